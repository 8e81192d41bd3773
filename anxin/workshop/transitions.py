"""The one table of work-order transitions: who may make each and what each requires.

Pages and the API both call :mod:`anxin.workshop.actions`, which looks the transition up here
before writing; an illegal transition is refused with what is missing, in words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anxin.accounts.roles import Role

from .choices import WORK_ORDER_OPEN_STATES, AppointmentState, InspectionStage, WorkOrderState
from .models import WorkOrder

S = WorkOrderState
ADVISOR = frozenset({Role.SERVICE_ADVISOR, Role.ADMINISTRATOR})
WORKSHOP = ADVISOR | {Role.TECHNICIAN}
CANCELLERS = ADVISOR | {Role.REGIONAL_MANAGER}


@dataclass(frozen=True)
class Transition:
    name: str
    label: Any
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    needs_reason: bool = False
    public: bool = False  # the customer may make it through the personal link
    requires: tuple[Callable[[WorkOrder], list[str]], ...] = ()


# --- requirements: each returns what is missing, in words ------------------------------------
def entry_inspection(wo: WorkOrder) -> list[str]:
    from .checks import inspection_missing

    return inspection_missing(wo, InspectionStage.ENTRY)


def in_process_inspection(wo: WorkOrder) -> list[str]:
    from .checks import inspection_missing

    return inspection_missing(wo, InspectionStage.IN_PROCESS)


def completion_inspection(wo: WorkOrder) -> list[str]:
    from .checks import inspection_missing

    missing = inspection_missing(wo, InspectionStage.COMPLETION)
    if missing:
        return missing
    done = wo.inspections.filter(stage=InspectionStage.COMPLETION).first()
    if done is not None and done.passed is False:
        return [_("a passed completion inspection (the last one failed: send back to work)")]
    return []


def three_checks(wo: WorkOrder) -> list[str]:
    from .checks import three_checks_missing

    return three_checks_missing(wo)


def diagnosis_written(wo: WorkOrder) -> list[str]:
    return [] if (wo.diagnosis or "").strip() else [_("the diagnosis")]


def has_lines(wo: WorkOrder) -> list[str]:
    if wo.labour_lines.exists() or wo.part_lines.exists():
        return []
    return [_("at least one labour or part line")]


def hv_discharged(wo: WorkOrder) -> list[str]:
    from .safety import hv_check_missing

    return hv_check_missing(wo)


def operations_finished(wo: WorkOrder) -> list[str]:
    missing = []
    for line in wo.labour_lines.select_related("operation").filter(finished_at__isnull=True):
        missing.append(
            _("operation “%(op)s” finished with its actual time") % {"op": line.operation.name}
        )
    return missing


def parts_traced(wo: WorkOrder) -> list[str]:
    missing = []
    for line in wo.part_lines.select_related("part"):
        if not line.batch_no.strip() or line.supplier_id is None:
            missing.append(
                _("batch and supplier of part “%(part)s” (PRT-3)") % {"part": line.part.name}
            )
    return missing


def oil_recorded(wo: WorkOrder) -> list[str]:
    if wo.needs_oil_record and not (wo.oil_brand.strip() and wo.oil_grade.strip()):
        return [_("the oil's brand and grade (oil change)")]
    return []


def payment_recorded(wo: WorkOrder) -> list[str]:
    if wo.paid_amount is None or not wo.payment_method:
        return [_("the payment (amount and method)")]
    return []


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition(
            "start_diagnosis",
            gettext_lazy("Start diagnosis"),
            frozenset({S.RECEPTION}),
            S.DIAGNOSIS,
            WORKSHOP,
            requires=(entry_inspection,),
        ),
        Transition(
            "prepare_quote",
            gettext_lazy("Prepare quote"),
            frozenset({S.DIAGNOSIS}),
            S.QUOTATION,
            WORKSHOP,
            requires=(diagnosis_written, has_lines),
        ),
        Transition(
            "send_quote",
            gettext_lazy("Send quote to customer"),
            frozenset({S.QUOTATION}),
            S.APPROVAL,
            ADVISOR,
            requires=(has_lines,),
        ),
        Transition(
            "approve_quote",
            gettext_lazy("Customer approves quote"),
            frozenset({S.APPROVAL}),
            S.APPROVED,
            ADVISOR,
            public=True,
        ),
        Transition(
            "reject_quote",
            gettext_lazy("Customer rejects quote"),
            frozenset({S.APPROVAL}),
            S.QUOTATION,
            ADVISOR,
            needs_reason=True,
            public=True,
        ),
        Transition(
            "start_work",
            gettext_lazy("Start work"),
            frozenset({S.APPROVED}),
            S.IN_WORK,
            WORKSHOP,
            requires=(hv_discharged,),
        ),
        Transition(
            "finish_work",
            gettext_lazy("Finish work"),
            frozenset({S.IN_WORK}),
            S.QUALITY_CHECK,
            WORKSHOP,
            requires=(operations_finished, parts_traced, in_process_inspection, oil_recorded),
        ),
        Transition(
            "fail_check",
            gettext_lazy("Quality check failed: back to work"),
            frozenset({S.QUALITY_CHECK}),
            S.IN_WORK,
            WORKSHOP,
            needs_reason=True,
        ),
        Transition(
            "pass_check",
            gettext_lazy("Quality check passed"),
            frozenset({S.QUALITY_CHECK}),
            S.READY,
            WORKSHOP,
            requires=(completion_inspection,),
        ),
        Transition(
            "deliver",
            gettext_lazy("Deliver to customer"),
            frozenset({S.READY}),
            S.DELIVERED,
            ADVISOR,
            requires=(three_checks, oil_recorded, parts_traced),
        ),
        Transition(
            "settle",
            gettext_lazy("Settle"),
            frozenset({S.DELIVERED}),
            S.SETTLED,
            ADVISOR,
            requires=(payment_recorded,),
        ),
        Transition(
            "cancel",
            gettext_lazy("Cancel"),
            frozenset(WORK_ORDER_OPEN_STATES),
            S.CANCELLED,
            CANCELLERS,
            needs_reason=True,
        ),
    ]
}

# The field that records when each state was entered.
MILESTONE_FIELD = {
    S.DIAGNOSIS: "diagnosis_at",
    S.QUOTATION: "quoted_at",
    S.APPROVAL: "approval_requested_at",
    S.APPROVED: "approved_at",
    S.IN_WORK: "work_started_at",
    S.QUALITY_CHECK: "work_finished_at",
    S.READY: "ready_at",
    S.DELIVERED: "delivered_at",
    S.SETTLED: "settled_at",
    S.CANCELLED: "cancelled_at",
}

# The "next step" button of the technician's phone view and the advisor's board.
NEXT_STEP = {
    S.RECEPTION: "start_diagnosis",
    S.DIAGNOSIS: "prepare_quote",
    S.QUOTATION: "send_quote",
    S.APPROVAL: "approve_quote",
    S.APPROVED: "start_work",
    S.IN_WORK: "finish_work",
    S.QUALITY_CHECK: "pass_check",
    S.READY: "deliver",
    S.DELIVERED: "settle",
}


def available(wo: WorkOrder) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if wo.state in t.sources]


def missing(wo: WorkOrder, name: str) -> list[str]:
    """What transition ``name`` still needs on ``wo`` (empty: it may be made)."""
    t = TRANSITIONS[name]
    return [str(m) for check in t.requires for m in check(wo)]


# --- appointments (WS-1) -----------------------------------------------------------------
A = AppointmentState
DESK = frozenset(
    {Role.SERVICE_ADVISOR, Role.ADMINISTRATOR, Role.REGIONAL_MANAGER, Role.CUSTOMER_SERVICE}
)
OUTLET_DESK = frozenset({Role.SERVICE_ADVISOR, Role.ADMINISTRATOR, Role.REGIONAL_MANAGER})


@dataclass(frozen=True)
class AppointmentTransition:
    name: str
    label: Any
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    needs_reason: bool = False
    public: bool = False
    clock_event: str = ""


APPOINTMENT_TRANSITIONS: dict[str, AppointmentTransition] = {
    t.name: t
    for t in [
        AppointmentTransition(
            "confirm",
            gettext_lazy("Confirm"),
            frozenset({A.BOOKED}),
            A.CONFIRMED,
            OUTLET_DESK,
            clock_event="responded",
        ),
        AppointmentTransition(
            "propose",
            gettext_lazy("Propose another slot"),
            frozenset({A.BOOKED}),
            A.PROPOSED,
            OUTLET_DESK,
            clock_event="responded",
        ),
        AppointmentTransition(
            "decline",
            gettext_lazy("Decline"),
            frozenset({A.BOOKED}),
            A.DECLINED,
            OUTLET_DESK,
            needs_reason=True,
            clock_event="responded",
        ),
        AppointmentTransition(
            "accept_proposal",
            gettext_lazy("Customer accepts the proposed slot"),
            frozenset({A.PROPOSED}),
            A.CONFIRMED,
            DESK,
            public=True,
            clock_event="confirmed",
        ),
        AppointmentTransition(
            "reassign",
            gettext_lazy("Reassign to another outlet"),
            frozenset({A.BOOKED, A.PROPOSED, A.DECLINED, A.CONFIRMED}),
            A.BOOKED,
            DESK,
            needs_reason=True,
            clock_event="reassigned",
        ),
        AppointmentTransition(
            "arrive",
            gettext_lazy("Vehicle arrived: open work order"),
            frozenset({A.CONFIRMED, A.BOOKED}),
            A.ARRIVED,
            OUTLET_DESK,
            clock_event="arrived",
        ),
        AppointmentTransition(
            "no_show",
            gettext_lazy("No show"),
            frozenset({A.CONFIRMED}),
            A.NO_SHOW,
            OUTLET_DESK,
            clock_event="no_show",
        ),
        AppointmentTransition(
            "cancel",
            gettext_lazy("Cancel"),
            frozenset({A.BOOKED, A.CONFIRMED, A.PROPOSED, A.DECLINED}),
            A.CANCELLED,
            DESK,
            needs_reason=True,
            public=True,
            clock_event="cancelled",
        ),
    ]
}
