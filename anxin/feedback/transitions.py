"""The one table of complaint transitions (FB-3): who may make each and what each requires.

Pages and the API call :func:`anxin.feedback.actions.perform`, which looks the transition up
here before it writes. Each transition names the commitments events it reports (the first
response stops the 2-hour clock; the customer's confirmation stops the 48-hour solution clock)
and the clock state the complaint is in afterwards (a proposed solution waits on the customer,
which pauses the solution clock).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anxin.accounts.roles import Role

from .choices import OPEN_COMPLAINT_STATES, ComplaintState
from .models import Complaint

S = ComplaintState
DESK = frozenset({Role.CUSTOMER_SERVICE, Role.REGIONAL_MANAGER, Role.ADMINISTRATOR})

# The commitments' vocabulary for complaint states (anxin/commitments seed, job kind complaint).
CLOCK_STATE = {
    S.RECEIVED: "received",
    S.ACKNOWLEDGED: "responded",
    S.INVESTIGATING: "investigating",
    S.ROOT_CAUSE: "investigating",
    S.SOLUTION_PROPOSED: "waiting_customer",
    S.CONFIRMED: "confirmed",
    S.CLOSED: "closed",
}


@dataclass(frozen=True)
class Transition:
    name: str
    label: Any
    sources: frozenset[str]
    target: str
    roles: frozenset[str] = DESK
    needs_note: bool = False
    note_label: Any = gettext_lazy("note")
    events: tuple[str, ...] = ()
    requires: tuple[Callable[[Complaint], list[str]], ...] = ()
    fields: tuple[str, ...] = field(default=())


def classified(c: Complaint) -> list[str]:
    """Investigation goes by class (technical first): the desk must have confirmed it."""
    return [] if c.category else [_("the confirmed complaint class")]


def has_root_cause(c: Complaint) -> list[str]:
    return [] if c.root_cause.strip() else [_("the root cause")]


def has_solution(c: Complaint) -> list[str]:
    return [] if c.solution.strip() else [_("the solution offered to the customer")]


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition(
            "acknowledge",
            gettext_lazy("First response to the customer"),
            frozenset({S.RECEIVED}),
            S.ACKNOWLEDGED,
            needs_note=True,
            note_label=gettext_lazy("what the customer was told"),
            events=("first_response",),
        ),
        Transition(
            "investigate",
            gettext_lazy("Start investigation"),
            frozenset({S.ACKNOWLEDGED}),
            S.INVESTIGATING,
            events=("investigating",),
            requires=(classified,),
        ),
        Transition(
            "find_root_cause",
            gettext_lazy("Record root cause"),
            frozenset({S.INVESTIGATING}),
            S.ROOT_CAUSE,
            events=("root_cause_found",),
            requires=(has_root_cause,),
            fields=("root_cause",),
        ),
        Transition(
            "propose_solution",
            gettext_lazy("Propose solution to the customer"),
            frozenset({S.ROOT_CAUSE}),
            S.SOLUTION_PROPOSED,
            events=("solution_proposed",),
            requires=(has_solution,),
            fields=("solution",),
        ),
        Transition(
            "customer_confirms",
            gettext_lazy("Customer accepts the solution"),
            frozenset({S.SOLUTION_PROPOSED}),
            S.CONFIRMED,
            events=("customer_confirmed", "solved"),
        ),
        Transition(
            "customer_rejects",
            gettext_lazy("Customer rejects the solution"),
            frozenset({S.SOLUTION_PROPOSED}),
            S.INVESTIGATING,
            needs_note=True,
            note_label=gettext_lazy("why the customer is not satisfied"),
            events=("investigating",),
        ),
        Transition(
            "close",
            gettext_lazy("Close"),
            frozenset({S.CONFIRMED}),
            S.CLOSED,
            events=("closed",),
        ),
        Transition(
            "close_unconfirmed",
            gettext_lazy("Close without the customer's answer"),
            frozenset({S.SOLUTION_PROPOSED}),
            S.CLOSED,
            needs_note=True,
            note_label=gettext_lazy("attempts to reach the customer"),
            events=("solved", "closed"),
        ),
        Transition(
            "withdraw",
            gettext_lazy("Customer withdraws the complaint"),
            frozenset(OPEN_COMPLAINT_STATES),
            S.CLOSED,
            needs_note=True,
            events=("withdrawn",),
        ),
        Transition(
            "reopen",
            gettext_lazy("Reopen"),
            frozenset({S.CONFIRMED, S.CLOSED}),
            S.INVESTIGATING,
            needs_note=True,
            note_label=gettext_lazy("why it is reopened"),
            events=("reopened",),
        ),
    ]
}


def available(complaint: Complaint) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if complaint.state in t.sources]


def allowed_for(user: Any, complaint: Complaint) -> list[Transition]:
    return [
        t
        for t in available(complaint)
        if user.is_superuser or getattr(user, "role", None) in t.roles
    ]
