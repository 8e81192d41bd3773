"""SLA clocks of the demo's rescue history, written in the state the product would have left.

For each history job, every rescue commitment that matched it when it was called gets a
:class:`Clock` as :func:`anxin.commitments.api.on_event` would have started it (terms and
version snapshotted, due/warning/escalation times from the commitment's calendar), then moved
the way the 15-second sweep and the job's later events would have moved it: warned, breached
(with its :class:`Breach` row), escalated, progress updates counted, and finally stopped by
its stop event or cancelled with the job. No notifications are replayed: the history's
events say so (``told``/``sent`` are 0/False), the outbox stays empty.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from anxin.commitments import calendars
from anxin.commitments.api import _escalate_at
from anxin.commitments.choices import ClockEventKind, ClockState
from anxin.commitments.models import Breach, Clock, ClockEvent, Commitment
from anxin.rescue.actions import JOB_KIND, clock_attrs
from anxin.rescue.choices import JobState
from anxin.rescue.models import RescueJob

from .context import Demo, persist

SWEEP_SECONDS = 15  # the worker's sweep interval: it notices a due time up to this late


class Engines:
    """One calendar engine per calendar name, loaded once for the whole history."""

    def __init__(self, since: dt.datetime) -> None:
        self.since, self.engines = since, {}

    def __getitem__(self, name: str) -> Any:
        if name not in self.engines:
            self.engines[name] = calendars.engine(name, since=self.since)
        return self.engines[name]


def build_clocks(demo: Demo, jobs: list[tuple[RescueJob, dict[str, dt.datetime]]]) -> None:
    """Clocks, breaches and clock events for jobs that are all over (stopped or cancelled)."""
    commitments = list(
        Commitment.objects.filter(job_kind__code=JOB_KIND, active=True)
        .select_related("calendar", "job_kind")
        .order_by("pk")
    )
    terms = {c.pk: c.terms() for c in commitments}
    engines = Engines(min((times[JobState.CREATED] for _j, times in jobs), default=demo.as_of))
    clocks: list[Clock] = []
    events: list[tuple[Clock, list[tuple[dt.datetime, str, dict[str, Any]]]]] = []
    breaches: list[Breach] = []
    for job, times in jobs:
        attrs = clock_attrs(job)
        for commitment in commitments:
            start = times.get(commitment.start_event)
            if start is None or not commitment.matches(attrs):
                continue
            clock, history = run(demo, commitment, terms[commitment.pk], engines, job, times, attrs)
            clocks.append(clock)
            events.append((clock, history))
    persist(demo, clocks)
    rows = []
    for clock, history in events:
        for at, kind, detail in history:
            rows.append(ClockEvent(clock=clock, at=at, kind=kind, detail=detail))
        if clock.breached_at is not None:
            engine = engines[clock.terms["calendar"]]
            end = clock.stopped_at
            breaches.append(
                Breach(
                    clock=clock,
                    job_kind=clock.job_kind,
                    job_id=clock.job_id,
                    commitment_id=clock.commitment_id,
                    commitment_version=clock.commitment_version,
                    region_id=clock.region_id,
                    due_at=clock.due_at,
                    breached_at=clock.breached_at,
                    overdue_seconds=max(0, int(engine.span(clock.due_at, end).seconds)),
                    resolved_at=end,
                )
            )
    persist(demo, breaches)
    rows.sort(key=lambda e: (e.at, e.clock.pk))
    persist(demo, rows)


def run(
    demo: Demo,
    commitment: Commitment,
    terms: dict[str, Any],
    engines: Engines,
    job: RescueJob,
    times: dict[str, dt.datetime],
    attrs: dict[str, Any],
) -> tuple[Clock, list[tuple[dt.datetime, str, dict[str, Any]]]]:
    """One clock from start to end, with the events it would have stored on the way."""
    rng, engine = demo.rng, engines[terms["calendar"]]
    start = times[commitment.start_event]
    stop = times.get(commitment.stop_event)
    cancelled = times.get(JobState.CANCELLED)
    if stop is not None and stop >= start:
        state, end, event = ClockState.STOPPED, stop, commitment.stop_event
    elif cancelled is not None:
        state, end, event = ClockState.CANCELLED, cancelled, JobState.CANCELLED
    else:
        raise ValueError(f"{job.number}: the history job's clocks must all have ended")
    clock = Clock(
        job_kind=JOB_KIND,
        job_id=str(job.pk),
        commitment=commitment,
        commitment_version=commitment.version,
        terms=terms,
        attrs=attrs,
        region_id=job.region_id,
        started_at=start,
        state=state,
        stopped_at=end,
        stop_event=event,
    )
    history: list[tuple[dt.datetime, str, dict[str, Any]]] = []

    def swept(when: dt.datetime | None) -> dt.datetime | None:
        """When the sweep noticed ``when``, if the clock was still running then."""
        if when is None:
            return None
        seen = when + dt.timedelta(seconds=rng.randint(1, SWEEP_SECONDS))
        return seen if seen < end else None

    if commitment.target is not None:
        target = dt.timedelta(seconds=commitment.target)
        clock.due_at = engine.due(start, target).at
        if commitment.warning_percent:
            clock.warn_at = engine.due(start, target * commitment.warning_percent // 100).at
        clock.escalate_at = _escalate_at(terms, clock.due_at)
        history.append(
            (start, ClockEventKind.STARTED, {"version": commitment.version, "due_at": iso(clock)})
        )
        clock.met = end <= clock.due_at
        clock.warned_at = swept(clock.warn_at)
        if clock.warned_at:
            history.append((clock.warned_at, ClockEventKind.WARNED, {"told": 0, "stale": False}))
        if not clock.met:
            # Noticed by the sweep, or else recorded by the stop itself at the deadline.
            clock.breached_at = swept(clock.due_at) or clock.due_at
            noticed = int(engine.span(clock.due_at, clock.breached_at).seconds)
            history.append(
                (clock.breached_at, ClockEventKind.BREACHED, {"overdue_seconds": noticed})
            )
            clock.escalated_at = swept(clock.escalate_at) if clock.breached_at < end else None
            if clock.escalated_at:
                history.append((clock.escalated_at, ClockEventKind.ESCALATED, {"told": 0}))
    else:
        every = dt.timedelta(seconds=commitment.every)
        history.append(
            (start, ClockEventKind.STARTED, {"version": commitment.version, "due_at": None})
        )
        fire = engine.due(start, every).at
        while (sent := swept(fire)) is not None:
            clock.sequence += 1
            history.append(
                (sent, ClockEventKind.PROGRESS, {"sequence": clock.sequence, "sent": False})
            )
            fire = engine.due(fire, every).at
        clock.next_fire_at = fire
    kind = ClockEventKind.CANCELLED if state == ClockState.CANCELLED else ClockEventKind.STOPPED
    history.append((end, kind, {"event": event, "met": clock.met}))
    return clock, history


def iso(clock: Clock) -> str | None:
    return clock.due_at.isoformat() if clock.due_at else None
