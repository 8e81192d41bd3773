"""The action functions of a complaint (FB-2, FB-3): every write to a complaint goes through here.

Like the rescue job's actions: the transition table is checked first, the change is claimed
with a conditional update on (state, version) — the loser of a race gets
:class:`anxin.api.base.Conflict` (409) with the fresh state — and the ComplaintTransition row,
the change log and the commitments' clocks are written in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.accounts.permissions import may_change, restrict
from anxin.api.base import Conflict
from anxin.audit.changelog import change_for, record, snapshot
from anxin.commitments.api import on_event, on_state

from . import classifier, escalation
from .choices import ComplaintChannel, ComplaintClass, ComplaintState
from .jobs import JobInfo
from .models import ClassificationLabel, Complaint, ComplaintTransition
from .transitions import CLOCK_STATE, TRANSITIONS, Transition

JOB_KIND = "complaint"
EDITABLE = (
    "text",
    "contact_name",
    "contact_phone",
    "vehicle_model",
    "system",
    "part",
    "fault_code",
)


def fresh_state(complaint: Complaint) -> dict[str, Any]:
    current = Complaint.objects.filter(pk=complaint.pk).values("state", "version").first() or {}
    return {"state": current.get("state"), "version": current.get("version")}


def clock_attrs(complaint: Complaint) -> dict[str, Any]:
    attrs: dict[str, Any] = {"region": complaint.region_id, "number": complaint.number}
    if complaint.customer_id:
        attrs["tier"] = complaint.customer.tier
    return attrs


def next_number(at: dt.datetime) -> str:
    day = timezone.localtime(at).strftime("%Y%m%d")
    prefix = f"TS{day}-"
    last = (
        Complaint.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def _authorise_write(actor: Any) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("sign in first"))
    if not may_change(actor, Complaint):
        raise PermissionDenied(_("your role may not handle complaints"))


def _check_region(actor: Any, region_id: int | None) -> None:
    """A regional user files complaints for their own region only."""
    if actor is None or actor.is_superuser or actor.is_national or region_id is None:
        return
    if actor.region_id != region_id:
        raise PermissionDenied(_("this customer or job is in another region than yours"))


def create_complaint(
    *,
    actor: Any,
    channel: str,
    text: str,
    job: JobInfo | None = None,
    at: dt.datetime | None = None,
    category: str = "",
    system_actor_ok: bool = False,
    **fields: Any,
) -> Complaint:
    """Intake: store the complaint with the classifier's proposal and start its clocks.

    ``category`` given by the desk confirms (or corrects) the proposal at once, as the hotline
    form does. The classifier never blocks intake: when it fails or is unsure the complaint is
    stored with the proposal marked unsure and the desk chooses.
    """
    at = at or timezone.now()
    if not (system_actor_ok and actor is None):
        _authorise_write(actor)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write down what the customer complains about.")})
    if channel not in ComplaintChannel.values:
        raise ValidationError({"channel": _("Unknown channel %(c)r") % {"c": channel}})
    if category and category not in ComplaintClass.values:
        raise ValidationError({"category": _("Unknown class %(c)r") % {"c": category}})
    linked = job.linked_fields() if job else {}
    customer = linked.get("customer") or fields.get("customer")
    region_id = linked.get("region_id") or fields.pop("region_id", None)
    if region_id is None and customer is not None:
        region_id = customer.region_id
    _check_region(actor, region_id)
    vehicle = linked.get("vehicle") or fields.get("vehicle")
    proposal = classifier.propose(text, job_hint=job.hint if job else "")
    complaint = Complaint(
        channel=channel,
        text=text,
        received_at=at,
        created_by=actor,
        proposed_class=proposal.cls,
        proposed_confidence=proposal.confidence,
        proposal_unsure=proposal.unsure,
        **{k: v for k, v in fields.items() if k not in ("customer", "vehicle")},
        **{k: v for k, v in linked.items() if k not in ("region_id",)},
    )
    complaint.region_id = region_id
    if customer is not None:
        complaint.customer = customer
    if vehicle is not None:
        complaint.vehicle = vehicle
        complaint.vehicle_model = complaint.vehicle_model or vehicle.model
    complaint.full_clean(exclude=["number"])
    for _attempt in range(5):
        try:
            with transaction.atomic():
                complaint.number = next_number(at)
                complaint.save(force_insert=True)
                ComplaintTransition.objects.create(
                    complaint=complaint,
                    name="receive",
                    to_state=ComplaintState.RECEIVED,
                    at=at,
                    actor=actor,
                    actor_label=getattr(actor, "username", "") or "system",
                    data={"channel": channel, "proposal": proposal.as_dict()},
                )
                on_event(JOB_KIND, complaint.pk, "received", at=at, attrs=clock_attrs(complaint))
                if category:
                    classify(complaint, category, actor=actor, at=at)
            return complaint
        except IntegrityError:
            complaint.pk = None
            complaint._state.adding = True
    raise Conflict(_("could not allocate a complaint number; try again"))


def authorise(complaint: Complaint, t: Transition | None, actor: Any) -> None:
    _authorise_write(actor)
    if not restrict(Complaint.objects.filter(pk=complaint.pk), actor, "change").exists():
        raise PermissionDenied(_("this complaint is not in your region"))
    if t is not None and not (actor.is_superuser or actor.role in t.roles):
        raise PermissionDenied(_("your role may not “%(action)s”") % {"action": t.label})


def perform(
    complaint: Complaint,
    name: str,
    *,
    actor: Any,
    note: str = "",
    at: dt.datetime | None = None,
    fields: dict[str, Any] | None = None,
) -> Complaint:
    """Make transition ``name`` on ``complaint``; refuse with the reason if not allowed."""
    t = TRANSITIONS.get(name)
    if t is None:
        raise ValidationError({"name": _("unknown transition %(name)r") % {"name": name}})
    at = at or timezone.now()
    authorise(complaint, t, actor)
    if complaint.state not in t.sources:
        raise Conflict(
            _("“%(action)s” is not possible while the complaint is %(state)s")
            % {"action": t.label, "state": complaint.get_state_display()},
            fresh_state(complaint),
        )
    note = (note or "").strip()
    if t.needs_note and not note:
        raise ValidationError({"note": _("give %(what)s") % {"what": t.note_label}})
    changes = {k: (v or "").strip() for k, v in (fields or {}).items() if k in t.fields}
    for key, value in changes.items():
        setattr(complaint, key, value)  # for the requirement checks; saved by the update
    missing = [m for check in t.requires for m in check(complaint)]
    if missing:
        raise ValidationError(
            {"requires": _("still missing: %(list)s") % {"list": "; ".join(map(str, missing))}}
        )
    if t.target == ComplaintState.CLOSED:
        changes["closed_at"] = at
    if name == "reopen":
        changes["closed_at"] = None
    with transaction.atomic():
        source = complaint.state
        before = snapshot(Complaint.objects.get(pk=complaint.pk))
        extra: dict[str, Any] = {}
        if name == "reopen":
            extra["reopen_count"] = F("reopen_count") + 1
        won = Complaint.objects.filter(
            pk=complaint.pk, state=source, version=complaint.version
        ).update(state=t.target, version=F("version") + 1, **changes, **extra)
        if not won:
            raise Conflict(
                _("the complaint changed meanwhile; reload and try again"), fresh_state(complaint)
            )
        complaint.refresh_from_db()
        record([change_for(complaint, "update", before, snapshot(complaint))])
        ComplaintTransition.objects.create(
            complaint=complaint,
            name=name,
            from_state=source,
            to_state=t.target,
            at=at,
            actor=actor,
            actor_label=getattr(actor, "username", "") or "",
            note=note,
            data={k: v for k, v in changes.items() if k in t.fields},
        )
        for event in t.events:
            on_event(JOB_KIND, complaint.pk, event, at=at, attrs=clock_attrs(complaint))
        if "withdrawn" not in t.events:
            on_state(JOB_KIND, complaint.pk, CLOCK_STATE[t.target], at=at)
    return complaint


def classify(
    complaint: Complaint, category: str, *, actor: Any, at: dt.datetime | None = None
) -> Complaint:
    """The desk confirms or corrects the class; the decision is kept as labelled data.

    A technical complaint may complete a run of the same problem and go to R&D (FB-4).
    """
    at = at or timezone.now()
    if category not in ComplaintClass.values:
        raise ValidationError({"category": _("Unknown class %(c)r") % {"c": category}})
    authorise(complaint, None, actor)
    with transaction.atomic():
        before = snapshot(Complaint.objects.get(pk=complaint.pk))
        Complaint.objects.filter(pk=complaint.pk).update(
            category=category, classified_by=actor, classified_at=at
        )
        complaint.refresh_from_db()
        record([change_for(complaint, "update", before, snapshot(complaint))])
        corrected = bool(complaint.proposed_class) and complaint.proposed_class != category
        ClassificationLabel.objects.update_or_create(
            complaint=complaint,
            defaults={
                "text": complaint.text,
                "job_kind": complaint.job_kind,
                "label": category,
                "proposed": complaint.proposed_class,
                "corrected": corrected,
                "at": at,
                "by": actor,
            },
        )
        ComplaintTransition.objects.create(
            complaint=complaint,
            name="classify",
            from_state=complaint.state,
            to_state=complaint.state,
            at=at,
            actor=actor,
            actor_label=getattr(actor, "username", "") or "",
            data={
                "category": category,
                "proposed": complaint.proposed_class,
                "corrected": corrected,
            },
        )
        if category == ComplaintClass.TECHNICAL:
            escalation.escalate(complaint, at=at)
    return complaint


def update_details(complaint: Complaint, *, actor: Any, **changes: Any) -> Complaint:
    """Edit the complaint's text, contact and problem fields (not its state)."""
    authorise(complaint, None, actor)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({k: _("This field cannot be changed here.") for k in unknown})
    for key, value in changes.items():
        setattr(complaint, key, (value or "").strip() if isinstance(value, str) else value)
    complaint.full_clean()
    with transaction.atomic():
        complaint.save()
        if complaint.category == ComplaintClass.TECHNICAL:
            escalation.escalate(complaint, at=timezone.now())
    return complaint
