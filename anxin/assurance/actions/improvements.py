"""Improvement actions (整改): create, edit, implement, verify at a callback, reopen, cancel.

The transition table below is the one place that says which state changes exist and who
makes them; the verification transitions are made by the system when a callback's answer
arrives (:func:`apply_verification`), never by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anxin.accounts.models import User
from anxin.accounts.permissions import restrict
from anxin.accounts.roles import Role
from anxin.api.base import Conflict
from anxin.audit.changelog import change_for, record, snapshot
from anxin.notifications.api import notify

from .. import sources
from ..choices import (
    OPEN_CALLBACK_STATES,
    ActionState,
    SourceKind,
    VerificationAnswer,
)
from ..models import Callback, ImprovementAction, ImprovementTransition, Verification
from .common import actor_or_none, require_change, require_role

S = ActionState
MANAGERS = frozenset({Role.QUALITY_AUDITOR, Role.REGIONAL_MANAGER, Role.ADMINISTRATOR})
SYSTEM = frozenset()  # made only by apply_verification


@dataclass(frozen=True)
class Transition:
    name: str
    label: Any
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    owner_may: bool = False
    needs_note: bool = False


TRANSITIONS = {
    t.name: t
    for t in (
        Transition(
            "implement",
            gettext_lazy("Mark implemented"),
            frozenset({S.OPEN, S.REOPENED}),
            S.IMPLEMENTED,
            MANAGERS,
            owner_may=True,
            needs_note=True,
        ),
        Transition(
            "close", gettext_lazy("Verified: close"), frozenset({S.IMPLEMENTED}), S.CLOSED, SYSTEM
        ),
        Transition(
            "reopen",
            gettext_lazy("Verification failed: reopen"),
            frozenset({S.IMPLEMENTED}),
            S.REOPENED,
            SYSTEM,
            needs_note=True,
        ),
        Transition(
            "cancel",
            gettext_lazy("Cancel"),
            frozenset({S.OPEN, S.REOPENED, S.IMPLEMENTED}),
            S.CANCELLED,
            frozenset({Role.QUALITY_AUDITOR, Role.ADMINISTRATOR}),
            needs_note=True,
        ),
    )
}


def fresh_state(action: ImprovementAction) -> dict[str, Any]:
    row = ImprovementAction.objects.filter(pk=action.pk).values("state", "version").first() or {}
    return {"state": row.get("state"), "version": row.get("version")}


def may(actor: Any, action: ImprovementAction, name: str) -> bool:
    t = TRANSITIONS[name]
    if action.state not in t.sources or not t.roles and not t.owner_may:
        return False
    if actor is None or not actor.is_authenticated:
        return False
    if not restrict(ImprovementAction.objects.filter(pk=action.pk), actor, "view").exists():
        return False
    return bool(
        actor.is_superuser or actor.role in t.roles or (t.owner_may and action.owner_id == actor.pk)
    )


def _claim(
    action: ImprovementAction,
    t: Transition,
    *,
    at: dt.datetime,
    actor: Any,
    note: str = "",
    callback: Callback | None = None,
    fields: dict[str, Any] | None = None,
) -> ImprovementAction:
    if action.state not in t.sources:
        raise Conflict(
            _("“%(action)s” is not possible while the action is %(state)s")
            % {"action": t.label, "state": action.get_state_display()},
            fresh_state(action),
        )
    before = snapshot(action)
    won = ImprovementAction.objects.filter(
        pk=action.pk, state=action.state, version=action.version
    ).update(state=t.target, version=F("version") + 1, **(fields or {}))
    if not won:
        raise Conflict(_("the action changed meanwhile; reload and try again"), fresh_state(action))
    source = action.state
    action.refresh_from_db()
    record([change_for(action, "update", before, snapshot(action))])
    ImprovementTransition.objects.create(
        action=action,
        from_state=source,
        to_state=t.target,
        at=at,
        actor=actor_or_none(actor),
        note=note,
        callback=callback,
    )
    return action


def perform(
    action: ImprovementAction,
    name: str,
    *,
    actor: Any,
    note: str = "",
    at: dt.datetime | None = None,
) -> ImprovementAction:
    """A hand-made transition (implement, cancel); verification ones are refused here."""
    t = TRANSITIONS.get(name)
    if t is None:
        raise ValidationError({"transition": _("unknown transition %(n)r") % {"n": name}})
    if not t.roles and not t.owner_may:
        raise PermissionDenied(_("this happens only through a callback's verification"))
    if not restrict(ImprovementAction.objects.filter(pk=action.pk), actor, "view").exists():
        raise PermissionDenied(_("this action is not in your region"))
    if not (
        actor.is_superuser or actor.role in t.roles or (t.owner_may and action.owner_id == actor.pk)
    ):
        raise PermissionDenied(_("your role may not “%(action)s”") % {"action": t.label})
    if t.needs_note and not (note or "").strip():
        raise ValidationError({"note": _("say what was done (or why)")})
    at = at or timezone.now()
    fields: dict[str, Any] = {}
    if name == "implement":
        fields = {"implemented_at": at, "implementation_note": note.strip()}
    elif name == "cancel":
        fields = {"closed_at": at}
    with transaction.atomic():
        action = _claim(action, t, at=at, actor=actor, note=note.strip(), fields=fields)
        if name == "implement":
            attach_to_open_callbacks(action)
    return action


# --- creating and editing ------------------------------------------------------------------
def next_number(at: dt.datetime) -> str:
    prefix = f"ZG{timezone.localtime(at):%Y%m}-"
    last = (
        ImprovementAction.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def _check_owner(owner: Any, region_id: int | None) -> None:
    if owner is None or not isinstance(owner, User) or not owner.is_active:
        raise ValidationError({"owner": _("choose an active user as the owner")})
    if region_id and not owner.is_national and owner.region_id != region_id:
        raise ValidationError({"owner": _("the owner must work in the action's region")})


def create_action(
    *,
    actor: Any,
    source_kind: str,
    source_id: str,
    title: str,
    owner: Any,
    due_date: dt.date,
    change_plan: str,
    success_measure: str,
    region: Any = None,
    outlet: Any = None,
    base: Any = None,
    customer: Any = None,
    verification_question: str = "",
    at: dt.datetime | None = None,
) -> ImprovementAction:
    """Open an improvement action from its source; region, outlet and customer default to the
    source's own. Refused with field messages, nothing stored, when anything is missing."""
    require_role(actor, ImprovementAction)
    at = at or timezone.now()
    source = sources.resolve(source_kind, str(source_id), actor)
    action = ImprovementAction(
        number="pending",
        title=(title or "").strip() or source.label,
        source_kind=source.kind,
        source_id=source.id,
        source_label=source.label,
        region_id=getattr(region, "pk", None) or source.region_id,
        outlet_id=getattr(outlet, "pk", None) or source.outlet_id,
        base_id=getattr(base, "pk", None) or source.base_id,
        customer_id=getattr(customer, "pk", None) or source.customer_id,
        owner=owner if isinstance(owner, User) else None,
        due_date=due_date,
        change_plan=(change_plan or "").strip(),
        success_measure=(success_measure or "").strip(),
        verification_question=(verification_question or "").strip(),
        created_at=at,
        created_by=actor_or_none(actor),
    )
    errors: dict[str, Any] = {}
    if not action.region_id:
        errors["region"] = _("name the region (the source does not say)")
    elif not actor.is_superuser and not actor.is_national and actor.region_id != action.region_id:
        errors["region"] = _("you may open actions in your own region only")
    if due_date is not None and due_date < timezone.localdate(at):
        errors["due_date"] = _("the due date is in the past")
    try:
        _check_owner(owner, action.region_id)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        action.full_clean(exclude=["number", "owner"] + list(errors))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                action.number = next_number(at)
                action.save(force_insert=True)
                ImprovementTransition.objects.create(
                    action=action,
                    from_state="",
                    to_state=S.OPEN,
                    at=at,
                    actor=actor_or_none(actor),
                    note=source.label,
                )
                _tell_owner(action, "assurance.improvement_assigned")
            return action
        except IntegrityError:
            action.pk = None
            action._state.adding = True
    raise Conflict(_("could not allocate an action number; try again"))


EDITABLE = ("title", "owner", "due_date", "change_plan", "success_measure", "verification_question")


def update_action(action: ImprovementAction, *, actor: Any, **changes: Any) -> ImprovementAction:
    """Edit the plan while the action is open; a closed or cancelled action is history."""
    require_change(actor, action)
    if action.state not in (S.OPEN, S.REOPENED, S.IMPLEMENTED):
        raise Conflict(_("a closed or cancelled action cannot be edited"), fresh_state(action))
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({f: _("this field cannot be changed") for f in unknown})
    if "owner" in changes:
        _check_owner(changes["owner"], action.region_id)
    if changes.get("due_date") and changes["due_date"] < timezone.localdate():
        raise ValidationError({"due_date": _("the due date is in the past")})
    before = snapshot(action)
    for field, value in changes.items():
        setattr(action, field, value.strip() if isinstance(value, str) else value)
    action.full_clean()
    with transaction.atomic():
        won = ImprovementAction.objects.filter(pk=action.pk, version=action.version).update(
            version=F("version") + 1, **{f: getattr(action, f) for f in changes}
        )
        if not won:
            raise Conflict(
                _("the action changed meanwhile; reload and try again"), fresh_state(action)
            )
        action.refresh_from_db()
        record([change_for(action, "update", before, snapshot(action))])
    return action


def _tell_owner(action: ImprovementAction, template: str, **context: Any) -> None:
    owner = action.owner
    if not owner.email:
        return
    notify(
        job_ref=f"improvement:{action.pk}",
        purpose=template.rsplit(".", 1)[-1],
        template=template,
        recipient=owner.email,
        channel="email",
        sequence=action.reopen_count,
        context={
            "number": action.number,
            "title": action.title,
            "due_date": action.due_date.isoformat(),
            "finding": context.get("finding", ""),
        },
    )


# --- verification at the callbacks (CB-4) ------------------------------------------------
def in_scope(action: ImprovementAction) -> Q:
    """Callbacks whose customer can tell whether this action worked."""
    scope = Q(region_id=action.region_id)
    narrow = Q()
    if action.customer_id:
        narrow |= Q(customer_id=action.customer_id)
    if action.outlet_id:
        narrow |= Q(outlet_id=action.outlet_id)
    if action.base_id:
        narrow |= Q(base_id=action.base_id)
    return scope & narrow if narrow else scope


def pending_for(callback: Callback) -> list[ImprovementAction]:
    """Implemented actions the customer of ``callback`` can verify."""
    narrow = Q(customer_id__isnull=True, outlet_id__isnull=True, base_id__isnull=True)
    if callback.customer_id:
        narrow |= Q(customer_id=callback.customer_id)
    if callback.outlet_id:
        narrow |= Q(outlet_id=callback.outlet_id)
    if callback.base_id:
        narrow |= Q(base_id=callback.base_id)
    return list(
        ImprovementAction.objects.filter(
            narrow,
            region_id=callback.region_id,
            state=S.IMPLEMENTED,
            implemented_at__lte=callback.created_at,
        ).order_by("pk")
    )


def attach(callback: Callback, actions: list[ImprovementAction]) -> int:
    made = 0
    for action in actions:
        _row, created = Verification.objects.get_or_create(
            callback=callback, action=action, defaults={"question": action.question[:300]}
        )
        made += created
    return made


def attach_to_open_callbacks(action: ImprovementAction) -> int:
    """An action just implemented is asked about in the callbacks still to be made."""
    callbacks = Callback.objects.filter(in_scope(action), state__in=OPEN_CALLBACK_STATES)
    return sum(attach(cb, [action]) for cb in callbacks)


def apply_verification(
    verification: Verification, *, actor: Any, at: dt.datetime
) -> ImprovementAction | None:
    """The customer's answer decides: "worked" closes the action, "not worked" sends it back
    to its owner with the finding; "cannot say" leaves it for the next callback."""
    action = verification.action
    if action.state != S.IMPLEMENTED:
        return None  # already decided by another callback, or cancelled
    callback = verification.callback
    if verification.answer == VerificationAnswer.WORKED:
        return _claim(
            action,
            TRANSITIONS["close"],
            at=at,
            actor=actor,
            callback=callback,
            note=verification.note,
            fields={"closed_at": at, "last_finding": verification.note},
        )
    if verification.answer == VerificationAnswer.NOT_WORKED:
        finding = verification.note or _("the customer says the problem remains")
        action = _claim(
            action,
            TRANSITIONS["reopen"],
            at=at,
            actor=actor,
            callback=callback,
            note=finding,
            fields={"last_finding": finding, "reopen_count": F("reopen_count") + 1},
        )
        _tell_owner(action, "assurance.improvement_reopened", finding=finding)
        return action
    return None


def verify(
    action: ImprovementAction,
    *,
    actor: Any,
    callback: Callback,
    answer: str,
    note: str = "",
    at: dt.datetime | None = None,
) -> ImprovementAction:
    """Record a customer's answer about ``action`` given on ``callback`` (which must have asked
    it and reached the customer), then apply it."""
    require_change(actor, callback)
    if answer not in VerificationAnswer.values:
        raise ValidationError({"answer": _("answer worked, not_worked or unknown")})
    row = Verification.objects.filter(callback=callback, action=action).first()
    if row is None:
        raise ValidationError({"callback": _("this callback did not ask about this action")})
    if callback.reached is not True:
        raise ValidationError({"callback": _("the callback has not reached the customer")})
    if row.answer and row.answer != VerificationAnswer.UNKNOWN:
        raise Conflict(_("this question was already answered"), fresh_state(action))
    at = at or timezone.now()
    with transaction.atomic():
        row.answer, row.note, row.answered_at = answer, note.strip(), at
        row.save(update_fields=["answer", "note", "answered_at"])
        apply_verification(row, actor=actor, at=at)
    action.refresh_from_db()
    return action


SOURCE_KINDS = SourceKind
