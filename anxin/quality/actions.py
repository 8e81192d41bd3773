"""The writes of quality monitoring: rules, review tasks, rewards and penalties.

Pages and the API both call these; each checks the role, validates, writes in one
transaction, and (for tasks) moves the task's commitment clock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.accounts.models import User
from anxin.accounts.permissions import may_change, restrict
from anxin.accounts.roles import NATIONAL_ROLES, Role
from anxin.api.base import Conflict
from anxin.commitments.api import on_event

from .models import Action, Alert, AlertRule, Outcome, ReviewTask, ScoreEntry, TaskState

JOB_KIND = "quality_review"
RULE_FIELDS = (
    "name", "indicator", "scope", "filter_fault", "test", "threshold", "sigma", "min_sample",
    "action", "owner_role", "notify_roles", "active",
)  # fmt: skip


def _require(actor: Any, model: type) -> None:
    if not may_change(actor, model):
        raise PermissionDenied(
            _("your role may not change %(what)s") % {"what": model._meta.verbose_name_plural}
        )


def save_rule(actor: Any, rule: AlertRule | None = None, **fields: Any) -> AlertRule:
    """Create or change a rule; a wrong threshold, scope or indicator is refused with why."""
    _require(actor, AlertRule)
    unknown = set(fields) - set(RULE_FIELDS) - {"code"}
    if unknown:
        raise ValidationError({f: _("not a field of a rule") for f in unknown})
    rule = rule or AlertRule()
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.full_clean()
    with transaction.atomic():
        rule.save()
    return rule


# --- review tasks ---------------------------------------------------------------------------
def next_number(at: dt.datetime) -> str:
    prefix = f"QR{timezone.localtime(at):%Y%m}-"
    last = (
        ReviewTask.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return f"{prefix}{(int(last.rsplit('-', 1)[1]) + 1) if last else 1:04d}"


def owner_for(role: str, region_id: int | None) -> User | None:
    """The person who owns a task: someone with ``role`` in the region (national roles
    anywhere), the longest-serving first so ownership is stable."""
    people = User.objects.filter(is_active=True, role=role)
    if role not in NATIONAL_ROLES and region_id is not None:
        people = people.filter(region_id=region_id)
    return people.order_by("date_joined", "pk").first()


def open_task(alert: Alert, *, at: dt.datetime, title: str) -> ReviewTask:
    """Open the review or investigation an alert calls for, with its deadline clock."""
    rule = alert.rule
    kind = Action.INVESTIGATION if rule.action == Action.INVESTIGATION else Action.REVIEW
    task = ReviewTask.objects.create(
        number=next_number(at),
        kind=kind,
        alert=alert,
        title=title[:300],
        region_id=alert.region_id,
        owner=owner_for(rule.owner_role, alert.region_id),
        owner_role=rule.owner_role,
        opened_at=at,
    )
    outcome = on_event(
        JOB_KIND, task.pk, f"{kind}_opened", at=at, attrs={"region": alert.region_id}
    )
    due = min((c.due_at for c in outcome.started if c.due_at), default=None)
    if due is not None:
        ReviewTask.objects.filter(pk=task.pk).update(due_at=due)
        task.due_at = due
    return task


def close_task(
    task: ReviewTask,
    *,
    actor: Any,
    outcome: str,
    findings: str,
    improvement_ref: str = "",
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> ReviewTask:
    """Record the outcome; a confirmed problem must name its improvement action (整改)."""
    at = at or timezone.now()
    if not restrict(ReviewTask.objects.filter(pk=task.pk), actor, "change").exists():
        raise PermissionDenied(_("this task is not yours to close"))
    if outcome not in Outcome.values:
        raise ValidationError(
            {"outcome": _("choose one of: %(list)s") % {"list": ", ".join(Outcome.values)}}
        )
    if not (findings or "").strip():
        raise ValidationError({"findings": _("write down what the review found")})
    if outcome == Outcome.CONFIRMED and not (improvement_ref or "").strip():
        raise ValidationError(
            {"improvement_ref": _("a confirmed problem needs the improvement action it led to")}
        )
    version = expected_version or task.version
    with transaction.atomic():
        won = ReviewTask.objects.filter(pk=task.pk, state=TaskState.OPEN, version=version).update(
            state=TaskState.CLOSED,
            outcome=outcome,
            findings=findings.strip(),
            improvement_ref=(improvement_ref or "").strip(),
            closed_at=at,
            closed_by=actor,
            version=F("version") + 1,
        )
        if not won:
            fresh = ReviewTask.objects.filter(pk=task.pk).values("state", "version").first() or {}
            raise Conflict(_("the task changed meanwhile; reload and try again"), fresh)
        task.refresh_from_db()
        from anxin.audit.changelog import change_for, record, snapshot

        record([change_for(task, "update", None, snapshot(task))])
        on_event(JOB_KIND, task.pk, "closed", at=at, attrs={"region": task.region_id})
    return task


# --- rewards and penalties (KPI-5) ----------------------------------------------------------
def record_score(
    actor: Any,
    *,
    scope: str,
    key: str,
    month: dt.date,
    kind: str,
    points: int,
    amount: Any,
    reason: str,
    indicator: str = "",
) -> ScoreEntry:
    from .catalog import INDICATORS
    from .scopes import check_scope

    _require(actor, ScoreEntry)
    if scope not in ("outlet", "unit", "staff"):
        raise ValidationError({"scope": _("scorecards are kept for outlets, units and staff")})
    member = check_scope(actor, scope, key)
    if indicator and indicator not in INDICATORS:
        raise ValidationError({"indicator": _("unknown indicator %(code)r") % {"code": indicator}})
    region_id = getattr(member, "region_id", None)
    if region_id is None and scope == "unit":
        region_id = member.base.region_id
    entry = ScoreEntry(
        scope=scope,
        key=str(key),
        label=str(member),
        region_id=region_id,
        month=month.replace(day=1),
        kind=kind,
        points=points,
        amount=amount,
        indicator=indicator,
        reason=(reason or "").strip(),
        recorded_by=actor,
    )
    entry.full_clean()
    entry.save()
    return entry


def staff_roles() -> list[str]:
    return [Role.REGIONAL_MANAGER, Role.QUALITY_AUDITOR, Role.ADMINISTRATOR]
