"""The action functions of a rescue job: every write to a job goes through here.

Each function checks the transition table, claims the change with a conditional update on the
job's state and version (a concurrent writer gets :class:`anxin.api.base.Conflict`, answered
409 with the fresh state), stores the :class:`JobTransition` row, writes the change log, moves
the job's SLA clocks and queues notifications — all in one transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.accounts.permissions import restrict
from anxin.accounts.roles import Role
from anxin.api.base import Conflict
from anxin.audit.changelog import change_for, record, snapshot
from anxin.commitments.api import on_event, on_state
from anxin.core.events import job_state_changed
from anxin.network.choices import UnitStatus
from anxin.network.models import RescueUnit

from .choices import JobState
from .models import JobTransition, RescueJob
from .transitions import TRANSITIONS, Transition

JOB_KIND = "rescue"
CLAIMABLE = (UnitStatus.AVAILABLE, UnitStatus.RETURNING)
UNIT_STATUS_FOR = {
    JobState.DISPATCHED: UnitStatus.ASSIGNED,
    JobState.ACCEPTED: UnitStatus.ASSIGNED,
    JobState.EN_ROUTE: UnitStatus.BUSY,
    JobState.ARRIVED: UnitStatus.BUSY,
    JobState.WORKING: UnitStatus.BUSY,
    JobState.TOWING: UnitStatus.BUSY,
}


def fresh_state(job: RescueJob) -> dict[str, Any]:
    current = (
        RescueJob.objects.filter(pk=job.pk).values("state", "version", "unit_id").first() or {}
    )
    return {
        "state": current.get("state"),
        "version": current.get("version"),
        "unit": current.get("unit_id"),
    }


def clock_attrs(job: RescueJob) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "region": job.region_id,
        "area": job.area,
        "priority": job.priority,
        "customer_phone": job.caller_phone,
        "language": "zh-hans",
        "number": job.number,
    }
    if job.customer_id:
        attrs["tier"] = job.customer.tier
    return attrs


def is_crew(user: Any, job: RescueJob) -> bool:
    staff = getattr(user, "staff", None)
    return staff is not None and job.unit_id is not None and staff.unit_id == job.unit_id


def authorise(job: RescueJob, t: Transition, actor: Any) -> None:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("sign in first"))
    if not restrict(RescueJob.objects.filter(pk=job.pk), actor, "view").exists():
        raise PermissionDenied(_("this job is not in your region or assignments"))
    if not (actor.is_superuser or actor.role in t.roles):
        raise PermissionDenied(_("your role may not “%(action)s”") % {"action": t.label})
    if t.crew_only and actor.role == Role.TECHNICIAN and not is_crew(actor, job):
        raise PermissionDenied(_("only the crew of the assigned unit may do this"))


def _claim(job: RescueJob, t: Transition, *, at: dt.datetime, fields: dict[str, Any]) -> RescueJob:
    """The conditional update on (state, version): of two writers, exactly one wins."""
    before = snapshot(job)
    won = RescueJob.objects.filter(pk=job.pk, state=job.state, version=job.version).update(
        state=t.target, version=F("version") + 1, **fields
    )
    if not won:
        raise Conflict(_("the job changed meanwhile; reload and try again"), fresh_state(job))
    job.refresh_from_db()
    record([change_for(job, "update", before, snapshot(job))])
    return job


def perform(
    job: RescueJob,
    name: str,
    *,
    actor: Any,
    reason: str = "",
    at: dt.datetime | None = None,
    data: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
) -> RescueJob:
    """Make transition ``name`` on ``job`` as ``actor``; refuse with the reason if not allowed."""
    t = TRANSITIONS.get(name)
    if t is None:
        raise ValidationError({"transition": _("unknown transition %(name)r") % {"name": name}})
    at = at or timezone.now()
    authorise(job, t, actor)
    if job.state not in t.sources:
        raise Conflict(
            _("“%(action)s” is not possible while the job is %(state)s")
            % {"action": t.label, "state": job.get_state_display()},
            fresh_state(job),
        )
    if t.needs_reason and not (reason or "").strip():
        raise ValidationError({"reason": _("give a reason")})
    missing = [m for check in t.requires for m in check(job)]
    if missing:
        raise ValidationError(
            {
                "requires": _("still missing: %(list)s")
                % {"list": "; ".join(str(m) for m in missing)}
            }
        )
    with transaction.atomic():
        source = job.state
        job = _claim(job, t, at=at, fields=dict(fields or {}))
        JobTransition.objects.create(
            job=job,
            from_state=source,
            to_state=t.target,
            at=at,
            actor=actor,
            actor_label=getattr(actor, "username", "") or "",
            reason=reason,
            data=data or {},
        )
        _move_unit(job, t, source)
        on_event(JOB_KIND, job.pk, t.target, at=at, attrs=clock_attrs(job))
        if t.target != JobState.CANCELLED:
            on_state(JOB_KIND, job.pk, t.target, at=at)
        job_state_changed.send(
            sender=RescueJob,
            kind="rescue",
            job=job,
            state=t.target,
            previous=source,
            at=at,
            actor=actor,
        )
    return job


def _move_unit(job: RescueJob, t: Transition, source: str) -> None:
    if job.unit_id is None:
        return
    releasing = t.target in (JobState.COMPLETED, JobState.CANCELLED) or t.name == "decline"
    if releasing and source in UNIT_STATUS_FOR:
        RescueUnit.objects.filter(pk=job.unit_id).update(status=UnitStatus.AVAILABLE)
        if t.name == "decline" or t.target == JobState.CANCELLED:
            RescueJob.objects.filter(pk=job.pk).update(unit=None, eta_at=None)
            job.unit_id, job.eta_at = None, None
    elif t.target in UNIT_STATUS_FOR:
        RescueUnit.objects.filter(pk=job.unit_id).update(status=UNIT_STATUS_FOR[t.target])


# --- the transitions that carry more than a state change --------------------------------------
def dispatch(
    job: RescueJob,
    unit: RescueUnit,
    *,
    actor: Any,
    eta_seconds: float | None = None,
    recommended_unit_id: int | None = None,
    override_reason: str = "",
    at: dt.datetime | None = None,
) -> RescueJob:
    """Send ``unit`` to the job. The unit is claimed with a conditional update on its status,
    so two dispatchers sending the same unit at the same moment cannot both win."""
    at = at or timezone.now()
    t = TRANSITIONS["dispatch"]
    authorise(job, t, actor)
    if not restrict(RescueUnit.objects.filter(pk=unit.pk), actor, "change").exists():
        raise PermissionDenied(_("this unit is not yours to dispatch"))
    overriding = recommended_unit_id is not None and recommended_unit_id != unit.pk
    if overriding and not override_reason.strip():
        raise ValidationError(
            {"override_reason": _("you chose another unit than the proposal: give a reason")}
        )
    with transaction.atomic():
        taken = RescueUnit.objects.filter(pk=unit.pk, status__in=CLAIMABLE, active=True).update(
            status=UnitStatus.ASSIGNED
        )
        if not taken:
            current = RescueUnit.objects.filter(pk=unit.pk).values_list("status", flat=True).first()
            raise Conflict(
                _("unit %(code)s is no longer available") % {"code": unit.code},
                {**fresh_state(job), "unit_status": current},
            )
        eta_at = at + dt.timedelta(seconds=eta_seconds) if eta_seconds is not None else None
        job.unit_id = unit.pk  # for the requirement check; saved by the conditional update
        return perform(
            job,
            "dispatch",
            actor=actor,
            at=at,
            reason=override_reason,
            data={
                "unit": unit.code,
                "eta_seconds": eta_seconds,
                "recommended_unit": recommended_unit_id,
            },
            fields={
                "unit_id": unit.pk,
                "eta_at": eta_at,
                "override_reason": override_reason if overriding else "",
            },
        )


def next_number(at: dt.datetime) -> str:
    day = timezone.localtime(at).strftime("%Y%m%d")
    prefix = f"RS{day}-"
    last = (
        RescueJob.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def create_job(*, actor: Any, at: dt.datetime | None = None, **fields: Any) -> RescueJob:
    """Intake (DSP-1): store the request, start its clocks. ``actor`` may be None (public form)."""
    at = at or timezone.now()
    creator = actor if actor is not None and actor.is_authenticated else None
    job = RescueJob(created_at=at, created_by=creator, number="pending", **fields)
    job.full_clean(exclude=["number"])
    for _attempt in range(5):
        try:
            with transaction.atomic():
                job.number = next_number(at)
                job.save(force_insert=True)
                JobTransition.objects.create(
                    job=job,
                    from_state="",
                    to_state=JobState.CREATED,
                    at=at,
                    actor=creator,
                    actor_label=getattr(creator, "username", "") or "public",
                    data={"channel": job.channel},
                )
                on_event(JOB_KIND, job.pk, "created", at=at, attrs=clock_attrs(job))
            return job
        except IntegrityError:
            # Two intakes took the same day number at once (PostgreSQL): take the next one.
            job.pk = None
            job._state.adding = True
    raise Conflict(_("could not allocate a job number; try again"))
