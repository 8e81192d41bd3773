"""Action functions for a rescue job's evidence and reviews (RSC-3, RSC-4, RSC-5).

Every write of a photo, note, checklist tick, compliance review (二级审核), confirmation form
(救援服务确认单) and final review (三级审核) goes through one function here, which the pages and the
API both call. Each checks who may do it (role, region through the permission filter, crew
membership), validates, and writes in one transaction with the job row locked, so a job that was
cancelled a moment ago does not collect a photo. Model saves are change-logged by the audit
signals; refusals raise PermissionDenied (403), ValidationError with the field named (422) or
Conflict (409, with the job's fresh state), and write nothing.
"""

from __future__ import annotations

import contextlib
import secrets
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.accounts.roles import Role
from anxin.api.base import Conflict
from anxin.audit.context import acting_as
from anxin.notifications.api import notify

from . import actions
from .choices import OPEN_STATES, JobState
from .models import (
    ChecklistItem,
    ComplianceReview,
    ConfirmationForm,
    FinalReview,
    JobChecklistTick,
    JobNote,
    JobPhoto,
    RescueJob,
)
from .photos import clean_signature_png, clean_signature_svg, process_photo
from .transitions import checklist_done

S = JobState
PHOTO_ROLES = frozenset({Role.TECHNICIAN, Role.DISPATCHER, Role.REGIONAL_MANAGER})
NOTE_ROLES = frozenset(
    {Role.TECHNICIAN, Role.DISPATCHER, Role.REGIONAL_MANAGER, Role.CUSTOMER_SERVICE}
)
REVIEWER_ROLES = frozenset({Role.REGIONAL_MANAGER})
SERVICE_ROLES = frozenset({Role.CUSTOMER_SERVICE})

PHOTO_STATES = frozenset(OPEN_STATES | {S.COMPLETED})
NOTE_STATES = frozenset(OPEN_STATES | {S.COMPLETED, S.CONFIRMED})
# Ticks are made on site, between arrival and completion (complete requires them).
TICK_STATES = frozenset({S.ARRIVED, S.WORKING, S.TOWING})
# 二级审核 is an in-progress review: from arrival until the final review closes the job.
REVIEW_STATES = frozenset({S.ARRIVED, S.WORKING, S.TOWING, S.COMPLETED, S.CONFIRMED})

MAX_CAPTION = 200
MAX_TEXT = 4000
MAX_NAME = 100
SENT_BACK_TEMPLATE = "rescue.compliance_sent_back"
SMS_REASON_CHARS = 30  # SMS template variables are short; the full reasons are on the job page


# --- who may act ------------------------------------------------------------------------------
def _is_admin(actor: Any) -> bool:
    return bool(actor.is_superuser or actor.role == Role.ADMINISTRATOR)


def _signed_in(actor: Any) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise PermissionDenied(_("sign in first"))


def _may_reach(job: RescueJob, actor: Any) -> None:
    """The job is in the actor's region (and, for a technician, his own assignments)."""
    _signed_in(actor)
    if not RescueJob.objects.restrict(actor, "change").filter(pk=job.pk).exists():
        raise PermissionDenied(_("this job is not in your region or assignments"))


def _require_role(actor: Any, roles: frozenset[str], what: str) -> None:
    if not (_is_admin(actor) or actor.role in roles):
        raise PermissionDenied(_("your role may not %(what)s") % {"what": what})


def _require_crew_if_technician(job: RescueJob, actor: Any) -> None:
    # A technician of the same base sees the job but is not on it: only its unit's crew acts.
    if actor.role == Role.TECHNICIAN and not actions.is_crew(actor, job):
        raise PermissionDenied(_("only the crew of the assigned unit may do this"))


def _require_crew(job: RescueJob, actor: Any) -> None:
    if not (_is_admin(actor) or (actor.role == Role.TECHNICIAN and actions.is_crew(actor, job))):
        raise PermissionDenied(_("only the crew of the assigned unit may do this"))


# --- state ------------------------------------------------------------------------------------
def _locked(job: RescueJob) -> RescueJob:
    """The job row as it is now, locked for this transaction (PostgreSQL; SQLite's IMMEDIATE
    transactions already serialise writers)."""
    return RescueJob.objects.select_for_update().get(pk=job.pk)


def _require_state(job: RescueJob, states: frozenset[str], what: str) -> None:
    if job.state not in states:
        raise Conflict(
            _("you cannot %(what)s while the job is %(state)s")
            % {"what": what, "state": job.get_state_display()},
            actions.fresh_state(job),
        )


def _text(value: Any, field: str, *, required: bool, limit: int = MAX_TEXT) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({field: _("This field is required.")})
    if len(text) > limit:
        raise ValidationError({field: _("At most %(limit)d characters.") % {"limit": limit}})
    return text


# --- on-site evidence (RSC-3) -----------------------------------------------------------------
def add_photo(job: RescueJob, upload: Any, *, actor: Any, caption: str = "") -> JobPhoto:
    """Store an on-site photo: crew of the unit, the dispatcher or the regional manager, while the
    job is open or completed. Time and place from EXIF go into the row, not the file."""
    _may_reach(job, actor)
    _require_role(actor, PHOTO_ROLES, _("add photos"))
    _require_crew_if_technician(job, actor)
    _require_state(job, PHOTO_STATES, _("add photos"))
    caption = _text(caption, "caption", required=False, limit=MAX_CAPTION)
    if upload is None:
        raise ValidationError({"image": _("Choose a photo.")})
    # Decoding and re-encoding is the slow part: done before the transaction takes the lock.
    photo = process_photo(upload)
    with transaction.atomic():
        current = _locked(job)
        _require_state(current, PHOTO_STATES, _("add photos"))
        row = JobPhoto(
            job=current,
            caption=caption,
            taken_at=photo.taken_at,
            taken_lat=photo.taken_lat,
            taken_lon=photo.taken_lon,
            width=photo.width,
            height=photo.height,
            uploaded_by=actor,
        )
        # A random name: the uploader's file name may carry personal data or path tricks.
        row.image.save(f"{uuid.uuid4().hex}.jpg", ContentFile(photo.content), save=False)
        try:
            row.save()
        except Exception:
            row.image.storage.delete(row.image.name)
            raise
    return row


def add_note(job: RescueJob, text: str, *, actor: Any) -> JobNote:
    """A progress note from the crew or the desk, until the final review closes the job."""
    _may_reach(job, actor)
    _require_role(actor, NOTE_ROLES, _("add notes"))
    _require_crew_if_technician(job, actor)
    text = _text(text, "text", required=True)
    with transaction.atomic():
        current = _locked(job)
        _require_state(current, NOTE_STATES, _("add notes"))
        return JobNote.objects.create(job=current, text=text, author=actor)


def tick_checklist(job: RescueJob, item: str, *, actor: Any) -> tuple[JobChecklistTick, bool]:
    """The crew confirms one checklist item on site; ticking it twice keeps the first tick."""
    _may_reach(job, actor)
    _require_crew(job, actor)
    if item not in ChecklistItem.values:
        raise ValidationError({"item": _("Unknown checklist item.")})
    with transaction.atomic():
        current = _locked(job)
        _require_state(current, TICK_STATES, _("tick the checklist"))
        existing = JobChecklistTick.objects.filter(job=current, item=item).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                return JobChecklistTick.objects.create(job=current, item=item, by=actor), True
        except IntegrityError:
            # Two phones of the same crew ticked at once: the other tick stands.
            return JobChecklistTick.objects.get(job=current, item=item), False


# --- 二级审核: the regional manager's compliance review ----------------------------------------
def review_compliance(
    job: RescueJob, *, actor: Any, verdict: str, reasons: str = ""
) -> ComplianceReview:
    """Accept the scene (warning sign, belongings, procedure) or send it back with reasons; a
    send-back tells the crew by SMS at once."""
    _may_reach(job, actor)
    _require_role(actor, REVIEWER_ROLES, _("review on-site compliance"))
    if verdict not in ComplianceReview.Verdict.values:
        raise ValidationError({"verdict": _("Choose accept or send back.")})
    reasons = _text(reasons, "reasons", required=verdict == ComplianceReview.Verdict.SENT_BACK)
    with transaction.atomic():
        current = _locked(job)
        _require_state(current, REVIEW_STATES, _("review on-site compliance"))
        if verdict == ComplianceReview.Verdict.ACCEPTED:
            missing = checklist_done(current)
            if missing:
                raise ValidationError(
                    {
                        "verdict": _("The checklist is not complete: %(list)s")
                        % {"list": "; ".join(missing)}
                    }
                )
        review = ComplianceReview.objects.create(
            job=current, verdict=verdict, reasons=reasons, reviewer=actor
        )
        if verdict == ComplianceReview.Verdict.SENT_BACK:
            _notify_crew_sent_back(current, review)
    return review


def _notify_crew_sent_back(job: RescueJob, review: ComplianceReview) -> None:
    """One SMS per crew member, keyed by the review, so a retry does not send twice."""
    if job.unit_id is None:
        return
    from anxin.people.models import Staff

    short = (
        review.reasons
        if len(review.reasons) <= SMS_REASON_CHARS
        else (review.reasons[: SMS_REASON_CHARS - 1] + "…")
    )
    for member in Staff.objects.filter(unit_id=job.unit_id, active=True).order_by("pk"):
        notify(
            job_ref=f"rescue:{job.pk}",
            purpose=f"compliance-sent-back:{member.pk}",
            sequence=review.pk,
            template=SENT_BACK_TEMPLATE,
            recipient=member.phone,
            context={"job_no": job.number, "reasons": short},
            urgent=True,
        )


# --- 救援服务确认单 (RSC-4) ---------------------------------------------------------------------
def _form_of(job: RescueJob) -> ConfirmationForm | None:
    return ConfirmationForm.objects.filter(job_id=job.pk).first()


def fill_confirmation(
    job: RescueJob, *, actor: Any, work_done: str, follow_up_advice: str = ""
) -> ConfirmationForm:
    """The crew writes what was done and the follow-up advice, after completion and before the
    customer signs; a signed form is not changed any more."""
    _may_reach(job, actor)
    _require_crew(job, actor)
    work_done = _text(work_done, "work_done", required=True)
    follow_up_advice = _text(follow_up_advice, "follow_up_advice", required=False)
    with transaction.atomic():
        current = _locked(job)
        _require_state(current, frozenset({S.COMPLETED}), _("fill in the confirmation form"))
        form = _form_of(current)
        if form is not None and form.is_signed:
            raise Conflict(
                _("the customer has already signed the confirmation form"),
                actions.fresh_state(current),
            )
        if form is None:
            return ConfirmationForm.objects.create(
                job=current, work_done=work_done, follow_up_advice=follow_up_advice
            )
        form.work_done, form.follow_up_advice = work_done, follow_up_advice
        form.save(update_fields=["work_done", "follow_up_advice"])
        return form


def _signer_label(job: RescueJob, actor: Any, token: str | None) -> str | None:
    """Check who signs: the customer through the tracking link, or on the crew's phone."""
    if token is not None:
        if not secrets.compare_digest(str(token), job.tracking_token):
            raise PermissionDenied(_("this link is not valid for this job"))
        return f"customer:{job.number}"
    _may_reach(job, actor)
    _require_crew(job, actor)
    return None


def sign_confirmation(
    job: RescueJob,
    *,
    signed_name: str,
    signature_svg: str = "",
    signature_png: str = "",
    actor: Any = None,
    token: str | None = None,
) -> ConfirmationForm:
    """The customer signs the filled form (drawn signature as SVG paths or a canvas PNG)."""
    label = _signer_label(job, actor, token)
    signed_name = _text(signed_name, "signed_name", required=True, limit=MAX_NAME)
    if bool(signature_svg) == bool(signature_png):
        raise ValidationError({"signature": _("Ask the customer to sign in the box.")})
    svg = (
        clean_signature_svg(signature_svg) if signature_svg else clean_signature_png(signature_png)
    )
    # Through the tracking link there is no signed-in user: the change log names the customer.
    with acting_as(label=label) if label else contextlib.nullcontext():
        with transaction.atomic():
            current = _locked(job)
            _require_state(current, frozenset({S.COMPLETED}), _("sign the confirmation form"))
            form = _form_of(current)
            if form is None or not form.work_done:
                raise Conflict(
                    _("the crew has not filled in the confirmation form yet"),
                    actions.fresh_state(current),
                )
            if form.is_signed:
                raise Conflict(
                    _("the customer has already signed the confirmation form"),
                    actions.fresh_state(current),
                )
            form.signature_svg, form.signed_name, form.signed_at = svg, signed_name, timezone.now()
            form.save(update_fields=["signature_svg", "signed_name", "signed_at"])
    return form


# --- 三级审核: customer service's final review (RSC-5) ------------------------------------------
def final_review(
    job: RescueJob, *, actor: Any, process_ok: bool, findings: str = ""
) -> FinalReview:
    """Record the final review and close the job with the ``review`` transition, together."""
    _may_reach(job, actor)
    _require_role(actor, SERVICE_ROLES, _("make the final review"))
    findings = _text(findings, "findings", required=not process_ok)
    with transaction.atomic():
        current = _locked(job)
        _require_state(current, frozenset({S.CONFIRMED}), _("make the final review"))
        try:
            with transaction.atomic():
                review = FinalReview.objects.create(
                    job=current, process_ok=bool(process_ok), findings=findings, reviewer=actor
                )
        except IntegrityError:
            raise Conflict(
                _("this job already has a final review"), actions.fresh_state(current)
            ) from None
        # The transition checks the table (role, accepted compliance review); if it refuses, the
        # review above rolls back with it.
        actions.perform(
            current,
            "review",
            actor=actor,
            reason=findings,
            data={"final_review": review.pk, "process_ok": bool(process_ok)},
        )
    return review


# --- what the pages offer ---------------------------------------------------------------------
def allowed_actions(job: RescueJob, actor: Any) -> dict[str, bool]:
    """Which of the writes above ``actor`` may make on ``job`` now, by the very checks the
    action functions run, so a page never offers a button the action would refuse."""
    checks: dict[str, list[Any]] = {
        "photo": [
            lambda: _require_role(actor, PHOTO_ROLES, ""),
            lambda: _require_crew_if_technician(job, actor),
            lambda: _require_state(job, PHOTO_STATES, ""),
        ],
        "note": [
            lambda: _require_role(actor, NOTE_ROLES, ""),
            lambda: _require_crew_if_technician(job, actor),
            lambda: _require_state(job, NOTE_STATES, ""),
        ],
        "tick": [lambda: _require_crew(job, actor), lambda: _require_state(job, TICK_STATES, "")],
        "review": [
            lambda: _require_role(actor, REVIEWER_ROLES, ""),
            lambda: _require_state(job, REVIEW_STATES, ""),
        ],
        "fill": [
            lambda: _require_crew(job, actor),
            lambda: _require_state(job, frozenset({S.COMPLETED}), ""),
        ],
        "sign": [
            lambda: _require_crew(job, actor),
            lambda: _require_state(job, frozenset({S.COMPLETED}), ""),
        ],
        "final": [
            lambda: _require_role(actor, SERVICE_ROLES, ""),
            lambda: _require_state(job, frozenset({S.CONFIRMED}), ""),
        ],
    }
    try:
        _may_reach(job, actor)
    except PermissionDenied:
        return dict.fromkeys(checks, False)
    allowed = {}
    for name, steps in checks.items():
        try:
            for step in steps:
                step()
        except (PermissionDenied, Conflict):
            allowed[name] = False
        else:
            allowed[name] = True
    return allowed
