"""Callbacks (回访): created by a draw or by a delivered work order; attempts; the result.

The post-repair callback (WS-8) is created by listening to ``job_state_changed`` — the
workshop app does not know this one — once per work order, due within one week by the
``callback-7d`` commitment. Manager callbacks start the ``manager-callback`` commitment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.accounts.models import User
from anxin.accounts.roles import Role
from anxin.api.base import Conflict
from anxin.audit.changelog import change_for, record, snapshot
from anxin.commitments.api import CommitmentError, on_event
from anxin.core.events import job_state_changed

from ..choices import (
    OPEN_CALLBACK_STATES,
    AttemptOutcome,
    CallbackPurpose,
    CallbackState,
    IssueTag,
    JobKind,
    VerificationAnswer,
)
from ..models import Callback, CallbackAttempt, Draw, ScriptQuestion
from ..records import ServiceRecord, workorder_record
from . import improvements
from .common import actor_or_none, require_change

CLOCK_KIND = "callback"
START_EVENT = {CallbackPurpose.POST_REPAIR: "scheduled", CallbackPurpose.MANAGER: "drawn"}
# Used only if the commitments are switched off: the brief's targets.
FALLBACK_DUE = {
    CallbackPurpose.POST_REPAIR: dt.timedelta(days=7),
    CallbackPurpose.MANAGER: dt.timedelta(days=14),
}
# Before giving up on reaching a customer, this many tries are made.
MIN_ATTEMPTS_UNREACHED = 3


def fresh_state(cb: Callback) -> dict[str, Any]:
    row = Callback.objects.filter(pk=cb.pk).values("state", "version", "attempts").first() or {}
    return dict(row)


def _clock(cb: Callback, event: str, at: dt.datetime) -> Any:
    try:
        return on_event(CLOCK_KIND, cb.pk, event, at=at, attrs={"region": cb.region_id})
    except CommitmentError:
        return None  # the callback job kind is switched off: the callback keeps its own due_at


def create_callback(
    rec: ServiceRecord,
    purpose: str,
    *,
    at: dt.datetime,
    draw: Draw | None = None,
    assignee: User | None = None,
    assignee_role: str = "",
) -> tuple[Callback, bool]:
    """One callback per (purpose, job): a second call returns the first one unchanged."""
    existing = Callback.objects.filter(purpose=purpose, job_kind=rec.kind, job_id=rec.id).first()
    if existing is not None:
        return existing, False
    cb = Callback(
        purpose=purpose,
        draw=draw,
        job_kind=rec.kind,
        job_id=rec.id,
        job_number=rec.number,
        served_at=rec.served_at,
        region_id=rec.region_id,
        outlet_id=rec.outlet_id,
        base_id=rec.base_id,
        customer_id=rec.customer_id,
        contact_name=rec.contact_name[:100],
        contact_phone=rec.contact_phone[:20],
        assignee=assignee,
        assignee_role=assignee_role,
        created_at=at,
        due_at=at + FALLBACK_DUE[purpose],
    )
    try:
        with transaction.atomic():
            cb.save(force_insert=True)
    except IntegrityError:
        return Callback.objects.get(purpose=purpose, job_kind=rec.kind, job_id=rec.id), False
    outcome = _clock(cb, START_EVENT[purpose], at)
    if outcome is not None and outcome.started and outcome.started[0].due_at:
        cb.due_at = outcome.started[0].due_at
        Callback.objects.filter(pk=cb.pk).update(due_at=cb.due_at)
    improvements.attach(cb, improvements.pending_for(cb))
    return cb, True


def post_repair_assignee(rec: ServiceRecord) -> tuple[User | None, str]:
    """The outlet's customer service (客服) if it has one, else the region's customer service pool."""
    users = User.objects.filter(is_active=True, role=Role.CUSTOMER_SERVICE)
    named = users.filter(outlet_id=rec.outlet_id).order_by("pk").first() if rec.outlet_id else None
    return named, Role.CUSTOMER_SERVICE


@receiver(job_state_changed, dispatch_uid="assurance.post_repair_callback")
def on_job_state_changed(
    sender: Any, *, kind: str, job: Any, state: str, at: dt.datetime, **kw: Any
) -> None:
    """A delivered work order gets its callback within one week (WS-8)."""
    if kind != JobKind.WORKORDER or state != "delivered":
        return
    rec = workorder_record(job, at)
    if rec.region_id is None:
        return
    assignee, role = post_repair_assignee(rec)
    create_callback(rec, CallbackPurpose.POST_REPAIR, at=at, assignee=assignee, assignee_role=role)


# --- working the callback -------------------------------------------------------------------
def _must_be_open(cb: Callback) -> None:
    if cb.state not in OPEN_CALLBACK_STATES:
        raise Conflict(
            _("this callback is %(state)s") % {"state": cb.get_state_display()}, fresh_state(cb)
        )


def _claim(cb: Callback, **fields: Any) -> Callback:
    before = snapshot(cb)
    won = Callback.objects.filter(pk=cb.pk, state=cb.state, version=cb.version).update(
        version=F("version") + 1, **fields
    )
    if not won:
        raise Conflict(_("the callback changed meanwhile; reload and try again"), fresh_state(cb))
    cb.refresh_from_db()
    record([change_for(cb, "update", before, snapshot(cb))])
    return cb


def record_attempt(
    cb: Callback, *, actor: Any, outcome: str, note: str = "", at: dt.datetime | None = None
) -> Callback:
    """A try at calling the customer. Reaching them is recorded with the result instead."""
    require_change(actor, cb)
    if outcome not in AttemptOutcome.values or outcome == AttemptOutcome.REACHED:
        raise ValidationError(
            {"outcome": _("record an unsuccessful try here; a reached customer goes in the result")}
        )
    _must_be_open(cb)
    at = at or timezone.now()
    with transaction.atomic():
        cb = _claim(
            cb,
            state=CallbackState.IN_PROGRESS,
            attempts=F("attempts") + 1,
            last_attempt_at=at,
        )
        CallbackAttempt.objects.create(
            callback=cb, at=at, outcome=outcome, note=(note or "")[:500], by=actor_or_none(actor)
        )
        _clock(cb, "attempted", at)
    return cb


def script_for(cb: Callback) -> list[ScriptQuestion]:
    return [
        q
        for q in ScriptQuestion.objects.filter(active=True)
        if cb.purpose in (q.purposes or []) and (not q.job_kinds or cb.job_kind in q.job_kinds)
    ]


def _clean_answers(cb: Callback, answers: dict[str, Any], reached: bool) -> tuple[dict, dict]:
    errors: dict[str, Any] = {}
    clean: dict[str, Any] = {}
    questions = {q.code: q for q in script_for(cb)}
    for code in answers:
        if code not in questions:
            errors[f"answers.{code}"] = _("not a question of this callback's script")
    for code, q in questions.items():
        value = answers.get(code)
        if value in (None, ""):
            if reached and q.required:
                errors[f"answers.{code}"] = _("answer this question")
            continue
        if q.answer == ScriptQuestion.Answer.YES_NO:
            if value not in (True, False, "yes", "no"):
                errors[f"answers.{code}"] = _("answer yes or no")
                continue
            value = value in (True, "yes")
        elif q.answer == ScriptQuestion.Answer.SCORE:
            try:
                value = int(value)
            except (TypeError, ValueError):
                value = 0
            if not 1 <= value <= 5:
                errors[f"answers.{code}"] = _("give a score from 1 to 5")
                continue
        else:
            value = str(value).strip()[:1000]
        clean[code] = value
    return clean, errors


def complete(
    cb: Callback,
    *,
    actor: Any,
    reached: bool,
    satisfied: bool | None = None,
    issues: str = "",
    issue_tags: list[str] | None = None,
    answers: dict[str, Any] | None = None,
    verifications: dict[int, dict[str, str]] | None = None,
    note: str = "",
    at: dt.datetime | None = None,
) -> Callback:
    """The result of the callback. Reached: satisfied or not, issues, the script's answers and
    the improvement questions (each answer may close or reopen its action). Not reached: only
    after :data:`MIN_ATTEMPTS_UNREACHED` tries, this one included."""
    require_change(actor, cb)
    _must_be_open(cb)
    at = at or timezone.now()
    issue_tags = list(issue_tags or [])
    verifications = {int(k): v for k, v in (verifications or {}).items()}
    errors: dict[str, Any] = {}
    if reached:
        if satisfied is None:
            errors["satisfied"] = _("ask whether the customer is satisfied")
        bad = [t for t in issue_tags if t not in IssueTag.values]
        if bad:
            errors["issue_tags"] = _("unknown issue categories: %(t)s") % {"t": ", ".join(bad)}
        if satisfied is False and not (issues.strip() or issue_tags):
            errors["issues"] = _("the customer is not satisfied: note what about")
        clean, answer_errors = _clean_answers(cb, answers or {}, True)
        errors.update(answer_errors)
        asked = {v.action_id: v for v in cb.verifications.all()}
        for action_id in verifications:
            if action_id not in asked:
                errors[f"verifications.{action_id}"] = _("this callback did not ask about it")
        for action_id, row in asked.items():
            given = verifications.get(action_id) or {}
            if row.answer and row.answer != VerificationAnswer.UNKNOWN:
                continue
            if given.get("answer") not in VerificationAnswer.values:
                errors[f"verifications.{action_id}"] = _(
                    "ask the customer whether “%(title)s” is better now"
                ) % {"title": row.action.title}
    else:
        clean = {}
        tries = cb.attempts + 1
        if tries < MIN_ATTEMPTS_UNREACHED:
            errors["reached"] = _(
                "try at least %(n)d times before closing as not reached (tried %(t)d)"
            ) % {"n": MIN_ATTEMPTS_UNREACHED, "t": tries}
        satisfied, issues, issue_tags = None, "", []
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        cb = _claim(
            cb,
            state=CallbackState.COMPLETED,
            reached=bool(reached),
            satisfied=satisfied,
            issues=issues.strip(),
            issue_tags=issue_tags,
            answers=clean,
            completed_at=at,
            completed_by=actor_or_none(actor),
            attempts=F("attempts") + 1,
            last_attempt_at=at,
        )
        CallbackAttempt.objects.create(
            callback=cb,
            at=at,
            outcome=AttemptOutcome.REACHED if reached else AttemptOutcome.NO_ANSWER,
            note=(note or "")[:500],
            by=actor_or_none(actor),
        )
        if reached:
            for row in cb.verifications.select_related("action"):
                given = verifications.get(row.action_id)
                if not given or (row.answer and row.answer != VerificationAnswer.UNKNOWN):
                    continue
                row.answer = given["answer"]
                row.note = (given.get("note") or "").strip()
                row.answered_at = at
                row.save(update_fields=["answer", "note", "answered_at"])
                improvements.apply_verification(row, actor=actor, at=at)
        _clock(cb, "completed", at)
    return cb


def cancel(cb: Callback, *, actor: Any, reason: str, at: dt.datetime | None = None) -> Callback:
    require_change(actor, cb)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("give a reason")})
    _must_be_open(cb)
    at = at or timezone.now()
    with transaction.atomic():
        cb = _claim(cb, state=CallbackState.CANCELLED, cancel_reason=reason.strip())
        _clock(cb, "cancelled", at)
    return cb
