"""Escalation to R&D (FB-4): the third consecutive technical complaint about the same problem.

"The same problem" is the same vehicle model and the same fault code, part or system (tried in
that order, the most specific first). "Consecutive" counts the technical complaints about that
problem that no engineering case holds yet: once a case is open, later complaints join it, so
the case is opened exactly once. A partial unique constraint (one open case per model and
problem) settles two simultaneous third complaints: the second insert fails and joins the
winner's case.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from anxin.audit.changelog import change_for, record, snapshot

from . import conf
from .choices import CaseState, ComplaintClass, ProblemKind
from .models import Complaint, EngineeringCase

FIELD_FOR = {
    ProblemKind.FAULT_CODE: "fault_code__iexact",
    ProblemKind.PART: "part",
    ProblemKind.SYSTEM: "system",
}


def _next_number(at: dt.datetime) -> str:
    month = timezone.localtime(at).strftime("%Y%m")
    prefix = f"EC{month}-"
    last = (
        EngineeringCase.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:03d}"


def _open_case(model: str, kind: str, problem: str) -> EngineeringCase | None:
    return (
        EngineeringCase.objects.filter(vehicle_model=model, problem_kind=kind, problem=problem)
        .exclude(state=CaseState.CLOSED)
        .first()
    )


def _link(case: EngineeringCase, complaints: list[Complaint]) -> None:
    for complaint in complaints:
        before = snapshot(complaint)
        if Complaint.objects.filter(pk=complaint.pk, engineering_case__isnull=True).update(
            engineering_case=case
        ):
            complaint.refresh_from_db()
            record([change_for(complaint, "update", before, snapshot(complaint))])


def escalate(complaint: Complaint, *, at: dt.datetime) -> EngineeringCase | None:
    """Join or open the engineering case of this complaint's problem; None if not (yet) one."""
    complaint.refresh_from_db()
    if (
        complaint.category != ComplaintClass.TECHNICAL
        or not complaint.vehicle_model
        or complaint.engineering_case_id
    ):
        return complaint.engineering_case
    for kind, problem in complaint.problem_keys():
        case = _open_case(complaint.vehicle_model, kind, problem)
        if case is not None:
            _link(case, [complaint])
            return case
        last_closed = (
            EngineeringCase.objects.filter(
                vehicle_model=complaint.vehicle_model,
                problem_kind=kind,
                problem=problem,
                state=CaseState.CLOSED,
            )
            .order_by("-closed_at")
            .values_list("closed_at", flat=True)
            .first()
        )
        run = Complaint.objects.filter(
            Q(**{FIELD_FOR[ProblemKind(kind)]: problem}),
            category=ComplaintClass.TECHNICAL,
            vehicle_model=complaint.vehicle_model,
            engineering_case__isnull=True,
        )
        if last_closed is not None:
            run = run.filter(received_at__gt=last_closed)
        members = list(run.order_by("received_at", "pk"))
        if len(members) < conf.escalation_count():
            continue
        try:
            with transaction.atomic():
                case = EngineeringCase.objects.create(
                    number=_next_number(at),
                    vehicle_model=complaint.vehicle_model,
                    problem_kind=kind,
                    problem=problem,
                    opened_at=at,
                )
        except IntegrityError:
            # A concurrent third complaint opened it first (or took the number): join theirs.
            case = _open_case(complaint.vehicle_model, kind, problem)
            if case is None:
                raise
        _link(case, members)
        return case
    return None


def update_case(
    case: EngineeringCase,
    *,
    actor: object,
    state: str,
    findings: str,
    at: dt.datetime | None = None,
) -> EngineeringCase:
    """R&D records its findings and moves the case (open → under analysis → closed).

    Closing needs the findings; a closed case ends the run, so the next three complaints about
    the same problem open a new case.
    """
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from anxin.accounts.permissions import require

    require(actor, case, "change")
    if state not in CaseState.values:
        raise ValidationError({"state": _("Unknown state %(s)r") % {"s": state}})
    findings = (findings or "").strip()
    if state == CaseState.CLOSED and not findings:
        raise ValidationError({"findings": _("Record R&D's findings before closing the case.")})
    case.state = state
    case.findings = findings or case.findings
    case.closed_at = (at or timezone.now()) if state == CaseState.CLOSED else None
    case.save()
    return case
