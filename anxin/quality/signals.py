"""Keep the rollups current as source records change, inside the change's transaction.

Three kinds of notice reach us: the job transition signal (rescue jobs, work orders), saves of
the source models themselves, and new rows that mean a source record changed (a labour line
timed, an appointment or complaint transition, a callback attempt, a commitment clock that
stopped or breached). Each refreshes the facts of the records concerned. A failure here rolls
the business change back with it (the receiver runs in the sender's transaction), the price of
figures that are never behind the records; ``anxin kpi check`` finds any drift.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from anxin.core.events import job_state_changed

from .facts import SOURCES
from .rollup import refresh

# job_state_changed kind -> our source code
KIND_SOURCE = {"rescue": "rescue", "workorder": "workorder"}


def _refresh(source: str, pk: Any) -> None:
    if source in SOURCES and SOURCES[source].available and pk is not None:
        refresh(source, [int(pk)])


@receiver(job_state_changed, dispatch_uid="quality.rollups")
def on_job_state_changed(sender: Any, *, kind: str, job: Any, **_: Any) -> None:
    source = KIND_SOURCE.get(kind)
    if source:
        _refresh(source, job.pk)
    if source == "workorder":
        from . import alerts

        alerts.check_record("workorder", job.pk)


def _source_for(sender: Any) -> str | None:
    label = sender._meta.label
    for code, source in SOURCES.items():
        if source.model_label == label:
            return code
    return None


@receiver(post_save, dispatch_uid="quality.saved")
def on_saved(
    sender: Any, instance: Any, created: bool = False, raw: bool = False, **_: Any
) -> None:
    if raw:
        return
    from .sources import CLOCK_SOURCES, TRIGGERS

    label = sender._meta.label
    trigger = TRIGGERS.get(label)
    if trigger is not None:
        _refresh(*trigger(instance))
        return
    if label == "commitments.ClockEvent":
        clock = instance.clock
        source = CLOCK_SOURCES.get(clock.job_kind)
        if source and str(clock.job_id).isdigit():
            _refresh(source, clock.job_id)
        return
    code = _source_for(sender)
    if code is None:
        return
    # A new rescue job has not arrived yet: nothing to count until a transition says so.
    if code == "rescue" and created:
        return
    refresh(code, [instance.pk])


@receiver(post_delete, dispatch_uid="quality.deleted")
def on_deleted(sender: Any, instance: Any, **_: Any) -> None:
    code = _source_for(sender)
    if code is not None:
        refresh(code, [instance.pk])
