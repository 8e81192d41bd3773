"""The one table of rescue-job transitions: who may make each and what each requires.

Pages and the API both call the action functions in :mod:`anxin.rescue.actions`, which look
the transition up here before they write; an illegal transition is refused, not logged after
the fact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anxin.accounts.roles import Role

from .choices import OPEN_STATES, FaultType, JobState, Need
from .models import REQUIRED_CHECKLIST, ComplianceReview, RescueJob

S = JobState
DESK = frozenset({Role.DISPATCHER, Role.ADMINISTRATOR})
CREW = frozenset({Role.TECHNICIAN})
CREW_OR_DESK = CREW | DESK
SERVICE = frozenset({Role.CUSTOMER_SERVICE, Role.ADMINISTRATOR})
CANCELLERS = DESK | SERVICE


@dataclass(frozen=True)
class Transition:
    name: str
    label: Any
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    crew_only: bool = False  # a technician must be on the assigned unit's crew
    needs_reason: bool = False
    requires: tuple[Callable[[RescueJob], list[str]], ...] = ()


# --- requirements: each returns what is missing, in words ------------------------------------
def complete_request(job: RescueJob) -> list[str]:
    """一级审核: location, fault type and need must match before dispatch."""
    missing = missing_details(job)
    return missing


def missing_details(job: RescueJob) -> list[str]:
    missing = []
    if job.lat is None or job.lon is None:
        missing.append(_("location"))
    if not job.fault:
        missing.append(_("fault type"))
    if not job.caller_phone:
        missing.append(_("caller phone"))
    needs = set(job.needs or [])
    vehicle = job.vehicle
    if (
        vehicle is not None
        and vehicle.is_electric
        and job.fault in (FaultType.BREAKDOWN, FaultType.ACCIDENT, FaultType.HV_FAULT)
        and Need.FLATBED not in needs
    ):
        missing.append(
            _("an electric vehicle that cannot drive must go on a flatbed: add the need “flatbed”")
        )
    if job.fault == FaultType.HV_FAULT and Need.HV_CERTIFIED not in needs:
        missing.append(
            _("a high-voltage fault needs an HV-certified crew: add the need “HV-certified crew”")
        )
    if job.fault == FaultType.ACCIDENT and not (needs & {Need.TOWING, Need.FLATBED}):
        missing.append(_("an accident needs towing or a flatbed"))
    return missing


def unit_assigned(job: RescueJob) -> list[str]:
    return [] if job.unit_id else [_("a rescue unit")]


def tow_destination(job: RescueJob) -> list[str]:
    return [] if job.destination_outlet_id else [_("the outlet the vehicle is towed to")]


def checklist_done(job: RescueJob) -> list[str]:
    ticked = set(job.checklist.values_list("item", flat=True))
    from .models import ChecklistItem

    return [str(ChecklistItem(item).label) for item in REQUIRED_CHECKLIST if item not in ticked]


def customer_signed(job: RescueJob) -> list[str]:
    form = getattr(job, "confirmation", None)
    try:
        signed = form is not None and form.is_signed
    except RescueJob.confirmation.RelatedObjectDoesNotExist:  # type: ignore[attr-defined]
        signed = False
    return [] if signed else [_("the customer's signature on the confirmation form")]


def compliance_accepted(job: RescueJob) -> list[str]:
    last = job.compliance_reviews.order_by("-at", "-pk").first()
    if last is None or last.verdict != ComplianceReview.Verdict.ACCEPTED:
        return [_("the regional manager's compliance review (second review) accepted")]
    return []


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition(
            "check",
            gettext_lazy("Confirm request (first review)"),
            frozenset({S.CREATED}),
            S.CHECKED,
            DESK,
            requires=(complete_request,),
        ),
        Transition(
            "send_back",
            gettext_lazy("Send back for details"),
            frozenset({S.CREATED}),
            S.RETURNED,
            DESK,
            needs_reason=True,
        ),
        Transition(
            "resubmit",
            gettext_lazy("Resubmit with details"),
            frozenset({S.RETURNED}),
            S.CREATED,
            DESK | SERVICE,
        ),
        Transition(
            "dispatch",
            gettext_lazy("Dispatch"),
            frozenset({S.CHECKED}),
            S.DISPATCHED,
            DESK,
            requires=(unit_assigned,),
        ),
        Transition(
            "decline",
            gettext_lazy("Decline (unit cannot go)"),
            frozenset({S.DISPATCHED}),
            S.CHECKED,
            CREW_OR_DESK,
            crew_only=True,
            needs_reason=True,
        ),
        Transition(
            "accept",
            gettext_lazy("Accept job"),
            frozenset({S.DISPATCHED}),
            S.ACCEPTED,
            CREW_OR_DESK,
            crew_only=True,
        ),
        Transition(
            "depart",
            gettext_lazy("Set off"),
            frozenset({S.ACCEPTED}),
            S.EN_ROUTE,
            CREW_OR_DESK,
            crew_only=True,
        ),
        Transition(
            "arrive",
            gettext_lazy("Arrived on site"),
            frozenset({S.EN_ROUTE}),
            S.ARRIVED,
            CREW_OR_DESK,
            crew_only=True,
        ),
        Transition(
            "start_work",
            gettext_lazy("Start work"),
            frozenset({S.ARRIVED}),
            S.WORKING,
            CREW_OR_DESK,
            crew_only=True,
        ),
        Transition(
            "tow",
            gettext_lazy("Start towing"),
            frozenset({S.WORKING}),
            S.TOWING,
            CREW_OR_DESK,
            crew_only=True,
            requires=(tow_destination,),
        ),
        Transition(
            "complete",
            gettext_lazy("Complete"),
            frozenset({S.WORKING, S.TOWING}),
            S.COMPLETED,
            CREW_OR_DESK,
            crew_only=True,
            requires=(checklist_done,),
        ),
        Transition(
            "confirm",
            gettext_lazy("Customer confirms"),
            frozenset({S.COMPLETED}),
            S.CONFIRMED,
            CREW_OR_DESK | SERVICE,
            crew_only=True,
            requires=(customer_signed,),
        ),
        Transition(
            "review",
            gettext_lazy("Final review (third review)"),
            frozenset({S.CONFIRMED}),
            S.REVIEWED,
            SERVICE,
            requires=(compliance_accepted,),
        ),
        Transition(
            "cancel",
            gettext_lazy("Cancel"),
            frozenset(OPEN_STATES),
            S.CANCELLED,
            CANCELLERS,
            needs_reason=True,
        ),
    ]
}

# The crew's "next step" button: the one forward transition from each state.
NEXT_FOR_CREW = {
    S.DISPATCHED: "accept",
    S.ACCEPTED: "depart",
    S.EN_ROUTE: "arrive",
    S.ARRIVED: "start_work",
    S.WORKING: "complete",
    S.TOWING: "complete",
    S.COMPLETED: "confirm",
}


def available(job: RescueJob) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if job.state in t.sources]
