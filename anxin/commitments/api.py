"""The public API of service commitments: other apps report job events, clocks follow.

A job app calls :func:`on_event` for each event of a job (``created``, ``arrived``, ...) and
:func:`on_state` when the job's state changes; clocks start, stop, pause and resume from the
commitments' data. Call both inside the transaction of the business change: a change that
rolls back takes its clocks with it. Each write is a conditional update on the clock's old
state, so a concurrent sweep and an event never both win.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from . import calendars
from .calendar import CalendarError, WorkingCalendar
from .choices import OPEN_STATES, ClockEventKind, ClockState
from .models import Breach, Clock, ClockEvent, Commitment, JobKind


class CommitmentError(ValueError):
    """A job event or state the commitments cannot act on; the message says why."""


@dataclass
class EventOutcome:
    """What one job event did to the job's clocks."""

    started: list[Clock] = field(default_factory=list)
    stopped: list[Clock] = field(default_factory=list)
    cancelled: list[Clock] = field(default_factory=list)


@dataclass(frozen=True)
class ClockView:
    """A clock as a job page shows it: target, due, remaining or overdue, paused."""

    clock: Clock
    name: str
    target: dt.timedelta | None
    every: dt.timedelta | None
    due_at: dt.datetime | None
    remaining: dt.timedelta | None
    overdue: dt.timedelta | None
    paused: bool
    state: str
    breached: bool
    met: bool | None
    next_fire_at: dt.datetime | None
    calendar: str
    stopped_at: dt.datetime | None = None


def _aware(at: dt.datetime) -> dt.datetime:
    if not isinstance(at, dt.datetime) or timezone.is_naive(at):
        raise CommitmentError(_("the time %(at)r has no time-zone offset") % {"at": at})
    return at


def get_job_kind(code: str) -> JobKind:
    kind = JobKind.objects.filter(code=code, active=True).first()
    if kind is None:
        raise CommitmentError(_("unknown job kind %(kind)r") % {"kind": code})
    return kind


def _open_clocks(kind: str, job_id: str) -> list[Clock]:
    return list(
        Clock.objects.filter(job_kind=kind, job_id=job_id, state__in=OPEN_STATES).order_by("pk")
    )


def _event(clock: Clock, kind: str, at: dt.datetime, **detail: Any) -> None:
    ClockEvent.objects.create(clock=clock, at=at, kind=kind, detail=detail)


# --- events ------------------------------------------------------------------------------
def on_event(
    job_kind: str,
    job_id: str | int,
    event: str,
    *,
    at: dt.datetime,
    attrs: dict[str, Any] | None = None,
) -> EventOutcome:
    """Apply a job event: stop the clocks it stops, then start the clocks it starts.

    ``attrs`` carries the job's attributes the commitments' conditions look at: ``region``
    (id), ``area`` (urban/remote), ``tier``, ``priority``; and, for customer updates,
    ``customer_phone`` (or ``customer_recipient`` + ``customer_channel``) and ``language``.
    An event of the job kind's closing events cancels every open clock of the job.
    """
    _aware(at)
    kind = job_kind
    job_kind_row = get_job_kind(kind)
    if event not in job_kind_row.events:
        raise CommitmentError(
            _("%(event)r is not an event of %(kind)s jobs (known: %(known)s)")
            % {"event": event, "kind": kind, "known": ", ".join(job_kind_row.events)}
        )
    job_id, attrs = str(job_id), dict(attrs or {})
    outcome = EventOutcome()
    with transaction.atomic():
        closing = event in job_kind_row.terminal_events
        for clock in _open_clocks(kind, job_id):
            if closing:
                if finish_clock(clock, at=at, event=event, state=ClockState.CANCELLED):
                    outcome.cancelled.append(clock)
            elif clock.terms.get("stop_event") == event:
                if finish_clock(clock, at=at, event=event, state=ClockState.STOPPED):
                    outcome.stopped.append(clock)
        if closing:
            return outcome
        starting = (
            Commitment.objects.filter(job_kind=job_kind_row, active=True, start_event=event)
            .select_related("calendar", "job_kind")
            .order_by("pk")
        )
        for commitment in starting:
            if commitment.matches(attrs):
                clock = start_clock(commitment, kind, job_id, at=at, attrs=attrs)
                if clock is not None:
                    outcome.started.append(clock)
    return outcome


def on_state(job_kind: str, job_id: str | int, state: str, *, at: dt.datetime) -> list[Clock]:
    """The job entered ``state``: pause clocks for which it is a pause state, resume the others.

    Returns the clocks that changed.
    """
    _aware(at)
    kind = job_kind
    job_kind_row = get_job_kind(kind)
    if state not in job_kind_row.states:
        raise CommitmentError(
            _("%(state)r is not a state of %(kind)s jobs (known: %(known)s)")
            % {"state": state, "kind": kind, "known": ", ".join(job_kind_row.states)}
        )
    changed = []
    with transaction.atomic():
        for clock in _open_clocks(kind, str(job_id)):
            pausing = state in clock.terms.get("pause_states", [])
            if pausing and clock.state == ClockState.RUNNING and pause_clock(clock, at=at):
                changed.append(clock)
            elif not pausing and clock.state == ClockState.PAUSED and resume_clock(clock, at=at):
                changed.append(clock)
    return changed


# --- one clock ---------------------------------------------------------------------------
def start_clock(
    commitment: Commitment,
    job_kind: str,
    job_id: str | int,
    *,
    at: dt.datetime,
    attrs: dict[str, Any] | None = None,
) -> Clock | None:
    """Start ``commitment`` on the job at ``at``; None if it already runs there."""
    _aware(at)
    kind, job_id, attrs = job_kind, str(job_id), dict(attrs or {})
    if Clock.objects.filter(
        job_kind=kind, job_id=job_id, commitment=commitment, state__in=OPEN_STATES
    ).exists():
        return None
    terms = commitment.terms()
    clock = Clock(
        job_kind=kind,
        job_id=job_id,
        commitment=commitment,
        commitment_version=commitment.version,
        terms=terms,
        attrs=attrs,
        started_at=at,
        state=ClockState.RUNNING,
    )
    region = attrs.get("region_id", attrs.get("region"))
    clock.region_id = int(region) if region is not None else None
    name = terms["calendar"]
    if commitment.target is not None:
        target = dt.timedelta(seconds=commitment.target)
        clock.due_at = calendars.due(name, at, target).at
        if commitment.warning_percent:
            # Exact integer arithmetic: 80 % of 30m is 24m to the microsecond.
            share = target * commitment.warning_percent // 100
            clock.warn_at = calendars.due(name, at, share).at
        clock.escalate_at = _escalate_at(terms, clock.due_at)
    else:
        clock.next_fire_at = calendars.due(name, at, dt.timedelta(seconds=commitment.every)).at
    try:
        with transaction.atomic():  # a savepoint: a concurrent duplicate start loses quietly
            clock.save(force_insert=True)
    except IntegrityError:
        return None
    _event(
        clock,
        ClockEventKind.STARTED,
        at,
        version=commitment.version,
        due_at=clock.due_at.isoformat() if clock.due_at else None,
    )
    return clock


def _escalate_at(terms: dict[str, Any], due_at: dt.datetime | None) -> dt.datetime | None:
    after = terms.get("escalate_after_seconds")
    if due_at is None or not after or "escalation" not in (terms.get("escalation") or {}):
        return None
    # "N minutes after the breach" is wall-clock time: the escalation is about urgency.
    return due_at + dt.timedelta(seconds=after)


def pause_clock(clock: Clock, *, at: dt.datetime) -> bool:
    """Stop the clock's time from counting (the job waits on the customer, ...)."""
    _aware(at)
    won = Clock.objects.filter(pk=clock.pk, state=ClockState.RUNNING).update(
        state=ClockState.PAUSED, paused_at=at
    )
    if won:
        clock.refresh_from_db()
        _event(clock, ClockEventKind.PAUSED, at)
    return bool(won)


def resume_clock(clock: Clock, *, at: dt.datetime) -> bool:
    """Count time again; due, warning and next-update times move by the working time paused.

    A time still ahead when the clock paused keeps its remaining working time, counted from
    ``at``. A time already passed stays where it was: the sweep owes it (or has fired it).
    """
    _aware(at)
    clock.refresh_from_db()
    if clock.state != ClockState.PAUSED or clock.paused_at is None:
        return False
    paused_at = clock.paused_at
    resume = max(at, paused_at)
    name = clock.terms["calendar"]
    arithmetic = calendars.engine(name, since=paused_at)

    def shift(when: dt.datetime | None) -> dt.datetime | None:
        if when is None or when <= paused_at:
            return when
        remaining = arithmetic.span(paused_at, when).duration
        return calendars.due(name, resume, remaining).at

    due_at = shift(clock.due_at)
    changes: dict[str, Any] = {
        "state": ClockState.RUNNING,
        "paused_at": None,
        "due_at": due_at,
        "paused_seconds": F("paused_seconds") + int((resume - paused_at).total_seconds()),
        "next_fire_at": shift(clock.next_fire_at),
    }
    if clock.warned_at is None:
        changes["warn_at"] = shift(clock.warn_at)
    if clock.breached_at is None:
        changes["escalate_at"] = _escalate_at(clock.terms, due_at)
    won = Clock.objects.filter(pk=clock.pk, state=ClockState.PAUSED, paused_at=paused_at).update(
        **changes
    )
    if won:
        clock.refresh_from_db()
        _event(
            clock,
            ClockEventKind.RESUMED,
            at,
            paused_since=paused_at.isoformat(),
            due_at=clock.due_at.isoformat() if clock.due_at else None,
        )
    return bool(won)


def record_breach(clock: Clock, *, at: dt.datetime, condition: Any = None) -> Breach | None:
    """Claim the clock's breach (once, ever) and store the Breach row; None if already taken."""
    claim = Clock.objects.filter(pk=clock.pk, breached_at__isnull=True, due_at__isnull=False)
    if condition is not None:
        claim = claim.filter(condition)
    if not claim.update(breached_at=at):
        return None
    clock.refresh_from_db()
    overdue = calendars.span(clock.terms["calendar"], clock.due_at, at).seconds
    breach = Breach.objects.create(
        clock=clock,
        job_kind=clock.job_kind,
        job_id=clock.job_id,
        commitment_id=clock.commitment_id,
        commitment_version=clock.commitment_version,
        region_id=clock.region_id,
        due_at=clock.due_at,
        breached_at=at,
        overdue_seconds=max(0, overdue),
    )
    _event(clock, ClockEventKind.BREACHED, at, overdue_seconds=breach.overdue_seconds)
    return breach


def finish_clock(
    clock: Clock, *, at: dt.datetime, event: str = "", state: str = ClockState.STOPPED
) -> bool:
    """Stop (or cancel) the clock at ``at``; a deadline missed meanwhile is still a breach.

    A paused clock's time ended when it paused, so that is the instant compared with the due
    time. A breach the sweep had not yet noticed (worker down) is recorded here, without
    notifications: the job is over, but the KPI must count it.
    """
    _aware(at)
    clock.refresh_from_db()
    if clock.state not in OPEN_STATES:
        return False
    old_state = clock.state
    end = clock.paused_at if clock.state == ClockState.PAUSED and clock.paused_at else at
    end = max(end, clock.started_at)
    met = None
    if clock.due_at is not None:
        met = end <= clock.due_at
        if not met and clock.breached_at is None:
            # Dated at the deadline it missed; the overdue time is counted to the end below.
            record_breach(clock, at=clock.due_at)
    paused = int((at - clock.paused_at).total_seconds()) if old_state == ClockState.PAUSED else 0
    won = Clock.objects.filter(pk=clock.pk, state=old_state).update(
        state=state,
        stopped_at=at,
        stop_event=event,
        met=met,
        paused_at=None,
        paused_seconds=F("paused_seconds") + max(0, paused),
    )
    if not won:
        return False
    clock.refresh_from_db()
    if clock.due_at is not None and not met:
        overdue = calendars.span(clock.terms["calendar"], clock.due_at, end).seconds
        Breach.objects.filter(clock=clock).update(resolved_at=at, overdue_seconds=max(0, overdue))
    kind = ClockEventKind.CANCELLED if state == ClockState.CANCELLED else ClockEventKind.STOPPED
    _event(clock, kind, at, event=event, met=met)
    return True


# --- reading -----------------------------------------------------------------------------
def _view(clock: Clock, now: dt.datetime, engines: dict[str, WorkingCalendar]) -> ClockView:
    name = clock.terms.get("calendar", "natural")
    if name not in engines:
        try:
            engines[name] = calendars.engine(name, since=clock.started_at)
        except (calendars.UnknownCalendar, CalendarError):
            engines[name] = WorkingCalendar.natural_time(name)
    arithmetic = engines[name]
    if clock.state == ClockState.PAUSED and clock.paused_at:
        ref = clock.paused_at
    elif clock.stopped_at is not None:
        ref = clock.stopped_at
    else:
        ref = now
    mark = clock.due_at or (clock.next_fire_at if clock.is_open else None)
    remaining = overdue = None
    if mark is not None:
        if ref <= mark:
            remaining = arithmetic.span(ref, mark).duration
        else:
            overdue = arithmetic.span(mark, ref).duration
    return ClockView(
        clock=clock,
        name=clock.terms.get("name", str(clock.commitment_id)),
        target=clock.target,
        every=clock.every,
        due_at=clock.due_at,
        remaining=remaining,
        overdue=overdue if clock.due_at is not None else None,
        paused=clock.state == ClockState.PAUSED,
        state=clock.state,
        breached=clock.breached_at is not None,
        met=clock.met,
        next_fire_at=clock.next_fire_at if clock.is_open else None,
        calendar=name,
        stopped_at=clock.stopped_at if clock.state != ClockState.PAUSED else None,
    )


def clocks_for(
    job_kind: str, job_id: str | int, *, now: dt.datetime | None = None, open_only: bool = False
) -> list[ClockView]:
    """The job's clocks with target, remaining or overdue (in calendar time), paused."""
    kind, now = job_kind, now or timezone.now()
    clocks: Iterable[Clock] = Clock.objects.filter(job_kind=kind, job_id=str(job_id))
    if open_only:
        clocks = clocks.filter(state__in=OPEN_STATES)
    engines: dict[str, WorkingCalendar] = {}
    return [_view(clock, now, engines) for clock in clocks.order_by("started_at", "pk")]
