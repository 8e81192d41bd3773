"""Mystery checks (暗访) and the supervisors' quarterly reports (CB-3)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.accounts.models import User
from anxin.accounts.roles import Role
from anxin.api.base import Conflict
from anxin.audit.changelog import change_for, record, snapshot

from .. import periods
from ..choices import ItemResult
from ..models import ChecklistTemplate, MysteryReport, SupervisorReport
from .common import require_change, require_role

# The quarterly report is due this many days after the quarter ends.
REPORT_GRACE_DAYS = 10


def score(template: ChecklistTemplate, results: dict[str, str]) -> Decimal:
    """Weighted share of passes among the applicable items, 0–100."""
    passed = applicable = Decimal(0)
    for item in template.items:
        weight = Decimal(str(item.get("weight", 1)))
        value = results.get(item["code"])
        if value == ItemResult.NA:
            continue
        applicable += weight
        if value == ItemResult.PASS:
            passed += weight
    if not applicable:
        return Decimal("0.0")
    return (passed * 100 / applicable).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def file_report(
    *,
    actor: Any,
    template: ChecklistTemplate | None,
    results: dict[str, str],
    summary: str,
    visited_at: dt.datetime | None,
    outlet: Any = None,
    base: Any = None,
    channel: str = "",
    at: dt.datetime | None = None,
) -> MysteryReport:
    """A supervisor files one mystery visit or simulated complaint; every item answered."""
    require_role(actor, MysteryReport)
    at = at or timezone.now()
    errors: dict[str, Any] = {}
    if template is None or not template.active:
        raise ValidationError({"template": _("choose a checklist")})
    if actor.region_id is None and not actor.is_national:
        errors["region"] = _("your login has no region; ask the administrator")
    target = outlet or base
    if target is None:
        errors["outlet"] = _("name the outlet or rescue base you checked")
    elif outlet is not None and base is not None:
        errors["outlet"] = _("name either an outlet or a rescue base, not both")
    elif not actor.is_national and actor.region_id and target.region_id != actor.region_id:
        errors["outlet"] = _("this outlet is not in your region")
    if visited_at is None:
        errors["visited_at"] = _("when did the check take place?")
    elif visited_at > at + dt.timedelta(minutes=5):
        errors["visited_at"] = _("the check cannot be in the future")
    codes = {item["code"] for item in template.items}
    for code in codes:
        if results.get(code) not in ItemResult.values:
            errors[f"results.{code}"] = _("answer every item (meets / falls short / n.a.)")
    for code in set(results) - codes:
        errors[f"results.{code}"] = _("not an item of this checklist")
    failing = [code for code in codes if results.get(code) == ItemResult.FAIL]
    if failing and not (summary or "").strip():
        errors["summary"] = _("describe what fell short")
    if errors:
        raise ValidationError(errors)
    report = MysteryReport(
        supervisor=actor,
        template=template,
        kind=template.kind,
        region_id=target.region_id,
        outlet=outlet,
        base=base,
        visited_at=visited_at,
        channel=(channel or "")[:40],
        results={code: results[code] for code in sorted(codes)},
        score=score(template, results),
        summary=(summary or "").strip(),
        submitted_at=at,
    )
    report.full_clean()
    report.save()
    return report


def quarter_due_date(quarter: str) -> dt.date:
    end = periods.quarter(quarter).end
    return (end - dt.timedelta(days=1)).date() + dt.timedelta(days=REPORT_GRACE_DAYS)


def ensure_quarter_reports(quarter: str) -> int:
    """Expect a quarterly report from every active supervisor with a region."""
    due = quarter_due_date(quarter)
    made = 0
    supervisors = User.objects.filter(
        is_active=True, role=Role.VOLUNTEER_SUPERVISOR, region__isnull=False
    )
    for user in supervisors:
        _row, created = SupervisorReport.objects.get_or_create(
            supervisor=user,
            quarter=quarter,
            defaults={"region_id": user.region_id, "due_date": due},
        )
        made += created
    return made


def submit_quarterly(
    report: SupervisorReport,
    *,
    actor: Any,
    summary: str,
    suggestions: str = "",
    at: dt.datetime | None = None,
) -> SupervisorReport:
    require_change(actor, report)
    if report.supervisor_id != actor.pk:
        raise ValidationError({"supervisor": _("only the supervisor submits their own report")})
    if not (summary or "").strip():
        raise ValidationError({"summary": _("write the report")})
    at = at or timezone.now()
    if periods.quarter(report.quarter).start > at:
        raise ValidationError({"quarter": _("this quarter has not started yet")})
    before = snapshot(report)
    with transaction.atomic():
        won = SupervisorReport.objects.filter(pk=report.pk, submitted_at__isnull=True).update(
            summary=summary.strip(), suggestions=(suggestions or "").strip(), submitted_at=at
        )
        if not won:
            raise Conflict(_("this report was already submitted"), {"submitted": True})
        report.refresh_from_db()
        record([change_for(report, "update", before, snapshot(report))])
    return report
