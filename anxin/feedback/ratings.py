"""Rating invitations and ratings (FB-1): invite after service, take the rating once.

The invitation is created inside the transaction that completed the job (the
``job_state_changed`` signal) and its notice goes through the notifications outbox. The rating
itself claims the invitation with a conditional update (``used_at IS NULL AND expires_at >
now``), so a link works exactly once even when submitted twice at the same moment.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.audit.changelog import change_for, record, snapshot
from anxin.core.events import SERVED_STATES, job_state_changed
from anxin.customers.models import Consent
from anxin.notifications.api import notify
from anxin.notifications.conf import public_base_url

from . import conf
from .choices import FollowUpState, InviteChannel, LowReason
from .jobs import SERVICE_LABELS_ZH, JobInfo, info
from .models import FollowUp, Rating, RatingInvitation

log = logging.getLogger(__name__)
SALT = "anxin.feedback.rating"
SCORE_FIELDS = ("overall", "timeliness", "attitude", "professionalism", "result")
TEMPLATE = "feedback.service_completed"


class InvitationRefused(Exception):
    """The link cannot be used (expired, used, unknown): ``code`` says which, for the page."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# --- links --------------------------------------------------------------------------------
def signed_token(invitation: RatingInvitation) -> str:
    return signing.dumps(invitation.token, salt=SALT)


def personal_link(invitation: RatingInvitation) -> str:
    path = reverse("feedback:rate", args=[signed_token(invitation)])
    return f"{public_base_url()}{path}"


def invitation_for_signed(value: str) -> RatingInvitation:
    try:
        token = signing.loads(value, salt=SALT)
    except signing.BadSignature as exc:
        raise InvitationRefused("unknown", _("This link is not valid.")) from exc
    found = RatingInvitation.objects.filter(token=token).first()
    if found is None:
        raise InvitationRefused("unknown", _("This link is not valid."))
    return found


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def invitation_for_code(code: str) -> RatingInvitation:
    found = RatingInvitation.objects.filter(code=normalise_code(code)).first()
    if found is None:
        raise InvitationRefused("unknown", _("No service record has this lookup code."))
    return found


def check_usable(invitation: RatingInvitation, at: dt.datetime | None = None) -> None:
    at = at or timezone.now()
    if invitation.used_at is not None:
        raise InvitationRefused(
            "used", _("This service has already been rated. Thank you for your feedback.")
        )
    if invitation.expires_at <= at:
        raise InvitationRefused(
            "expired",
            _(
                "This link has expired. Please call the service hotline if you want to tell us more."
            ),
        )


# --- inviting -----------------------------------------------------------------------------
def survey_refused(customer: Any) -> bool:
    """PIPL: a customer who withdrew consent to ratings and callbacks is not asked."""
    if customer is None:
        return False
    latest = (
        Consent.objects.filter(customer=customer, purpose=Consent.Purpose.SURVEY)
        .order_by("-recorded_at", "-pk")
        .first()
    )
    return latest is not None and not latest.granted


def invite(job: JobInfo, *, at: dt.datetime) -> RatingInvitation | None:
    """Create the job's invitation and queue its notice; None if it was invited already."""
    if RatingInvitation.objects.filter(job_kind=job.kind, job_id=job.id).exists():
        return None
    refused = survey_refused(job.customer)
    channel = InviteChannel.NONE if refused or not job.phone else InviteChannel.SMS
    invitation = RatingInvitation(
        **job.linked_fields(),
        channel=channel,
        service_label=SERVICE_LABELS_ZH.get(job.kind, "服务"),
        served_at=at,
        created_at=at,
        expires_at=at + conf.invitation_lifetime(),
    )
    try:
        with transaction.atomic():
            invitation.save(force_insert=True)
    except IntegrityError:
        return None  # a concurrent event invited first
    if channel == InviteChannel.SMS:
        message = notify(
            job_ref=f"{job.kind}:{job.id}",
            purpose="rating_invitation",
            template=TEMPLATE,
            recipient=job.phone,
            channel="sms",
            context={
                "service": invitation.service_label,
                "finished_at": timezone.localtime(at).strftime("%m月%d日%H:%M"),
                "code": invitation.code,
            },
        )
        RatingInvitation.objects.filter(pk=invitation.pk).update(message_id=message.pk)
    return invitation


def on_job_state_changed(
    sender: Any, *, kind: str, job: Any, state: str, at: Any, **kw: Any
) -> None:
    """A served job invites its customer to rate. Never breaks the job's own transition."""
    if SERVED_STATES.get(kind) != state:
        return
    try:
        with transaction.atomic():
            invite(info(kind, job), at=at or timezone.now())
    except Exception:  # noqa: BLE001 — the rescue/work order must complete regardless
        log.exception("rating invitation for %s:%s failed", kind, getattr(job, "pk", None))


def connect() -> None:
    job_state_changed.connect(on_job_state_changed, dispatch_uid="feedback.rating_invitation")


# --- rating -------------------------------------------------------------------------------
def clean_rating(data: dict[str, Any]) -> dict[str, Any]:
    """Scores as integers 1..5, known reasons, a bounded comment; errors by field."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for name in SCORE_FIELDS:
        raw = data.get(name)
        try:
            value = int(str(raw).strip())
            if str(raw).strip() != str(value):
                raise ValueError
        except (TypeError, ValueError):
            errors[name] = _("Choose a score from 1 to 5.")
            continue
        if not 1 <= value <= 5:
            errors[name] = _("A score must be between 1 and 5 (got %(value)s).") % {"value": value}
            continue
        out[name] = value
    reasons = data.get("reasons") or []
    if isinstance(reasons, str):
        reasons = [reasons]
    known = set(LowReason.values)
    unknown = [r for r in reasons if r not in known]
    if unknown:
        errors["reasons"] = _("Unknown reason: %(list)s") % {"list": ", ".join(map(str, unknown))}
    out["reasons"] = [r for r in LowReason.values if r in set(reasons)]
    comment = str(data.get("comment") or "").strip()
    if len(comment) > 2000:
        errors["comment"] = _("Please keep the comment under 2000 characters.")
    out["comment"] = comment
    if errors:
        raise ValidationError(errors)
    return out


def is_low(scores: dict[str, Any]) -> bool:
    subs = [scores[n] for n in SCORE_FIELDS[1:]]
    return scores["overall"] <= conf.low_overall() or min(subs) <= conf.low_subscore()


def submit_rating(
    invitation: RatingInvitation, data: dict[str, Any], *, at: dt.datetime | None = None
) -> Rating:
    """Store the customer's rating; refuse bad input, an expired or a used link (nothing stored).

    A low rating opens a follow-up for customer service in the same transaction.
    """
    at = at or timezone.now()
    check_usable(invitation, at)
    values = clean_rating(data)
    with transaction.atomic():
        before = snapshot(invitation)
        won = RatingInvitation.objects.filter(
            pk=invitation.pk, used_at__isnull=True, expires_at__gt=at
        ).update(used_at=at)
        if not won:
            invitation.refresh_from_db()
            check_usable(invitation, at)
            raise InvitationRefused("used", _("This service has already been rated."))
        invitation.refresh_from_db()
        record([change_for(invitation, "update", before, snapshot(invitation))])
        linked = {
            f: getattr(invitation, f)
            for f in ("job_kind", "job_id", "job_number", "region_id", "outlet_id")
        }
        rating = Rating.objects.create(
            invitation=invitation,
            customer_id=invitation.customer_id,
            vehicle_id=invitation.vehicle_id,
            submitted_at=at,
            is_low=is_low(values),
            **linked,
            **values,
        )
        if rating.is_low:
            open_follow_up(rating, at=at)
    return rating


# --- follow-ups ---------------------------------------------------------------------------
#: The follow-up's clocks (commitments of this job kind, seeded: call back within 24 h).
FOLLOWUP_CLOCK_KIND = "rating_follow_up"


def open_follow_up(rating: Rating, *, at: dt.datetime) -> FollowUp:
    """Customer service's task to call back the customer of a low rating, with its clock: the
    follow-up is due when the commitment's clock says (``ANXIN_RATING_FOLLOWUP_HOURS`` when
    no commitment of the kind is active)."""
    from anxin.commitments.api import on_event

    follow_up = FollowUp.objects.create(
        rating=rating,
        customer_id=rating.customer_id,
        vehicle_id=rating.vehicle_id,
        due_at=at + dt.timedelta(hours=conf.followup_hours()),
        created_at=at,
        **{
            f: getattr(rating, f)
            for f in ("job_kind", "job_id", "job_number", "region_id", "outlet_id")
        },
    )
    started = on_event(
        FOLLOWUP_CLOCK_KIND, follow_up.pk, "opened", at=at, attrs={"region": rating.region_id}
    ).started
    dues = [c.due_at for c in started if c.due_at is not None]
    if dues and min(dues) != follow_up.due_at:
        follow_up.due_at = min(dues)
        follow_up.save(update_fields=["due_at"])  # recorded in the change log by its signal
    return follow_up


def _follow_up_clock_events(before: str, after: str, at: dt.datetime, follow_up: FollowUp) -> None:
    """The first call stops the call-back clock (a follow-up closed without a recorded call
    was called when it closed); closing ends every clock of the follow-up."""
    from anxin.commitments.api import on_event

    if before == FollowUpState.OPEN:
        on_event(FOLLOWUP_CLOCK_KIND, follow_up.pk, "contacted", at=at)
    if after == FollowUpState.CLOSED:
        on_event(FOLLOWUP_CLOCK_KIND, follow_up.pk, "closed", at=at)


FOLLOWUP_MOVES = {
    "contact": ({FollowUpState.OPEN, FollowUpState.CONTACTED}, FollowUpState.CONTACTED),
    "close": ({FollowUpState.OPEN, FollowUpState.CONTACTED}, FollowUpState.CLOSED),
}


def move_follow_up(
    follow_up: FollowUp, name: str, *, actor: Any, note: str, at: dt.datetime | None = None
) -> FollowUp:
    """Record a call (``contact``) or close the follow-up with its outcome (``close``)."""
    from anxin.accounts.permissions import require
    from anxin.api.base import Conflict

    at = at or timezone.now()
    if name not in FOLLOWUP_MOVES:
        raise ValidationError({"name": _("unknown step %(name)r") % {"name": name}})
    require(actor, follow_up, "change")
    sources, target = FOLLOWUP_MOVES[name]
    note = (note or "").strip()
    if not note:
        raise ValidationError(
            {
                "note": _("say what the customer said")
                if name == "contact"
                else _("give the outcome")
            }
        )
    if follow_up.state not in sources:
        raise Conflict(
            _("the follow-up is already %(state)s") % {"state": follow_up.get_state_display()},
            {"state": follow_up.state, "version": follow_up.version},
        )
    stamp = timezone.localtime(at).strftime("%Y-%m-%d %H:%M")
    who = getattr(actor, "username", "")
    changes: dict[str, Any] = {"state": target}
    if name == "contact":
        changes["notes"] = (
            follow_up.notes + "\n" if follow_up.notes else ""
        ) + f"[{stamp} {who}] {note}"
    else:
        changes.update(outcome=note, closed_at=at, closed_by=actor)
    with transaction.atomic():
        before = snapshot(follow_up)
        from django.db.models import F

        won = FollowUp.objects.filter(
            pk=follow_up.pk, state=follow_up.state, version=follow_up.version
        ).update(version=F("version") + 1, **changes)
        if not won:
            current = FollowUp.objects.filter(pk=follow_up.pk).values("state", "version").first()
            raise Conflict(_("the follow-up changed meanwhile; reload and try again"), current)
        previous = follow_up.state
        follow_up.refresh_from_db()
        record([change_for(follow_up, "update", before, snapshot(follow_up))])
        _follow_up_clock_events(previous, follow_up.state, at, follow_up)
    return follow_up
