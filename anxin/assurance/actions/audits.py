"""The quarterly audit: draw 20% of the quarter's records, check them, the auditor decides."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.api.base import Conflict
from anxin.audit.changelog import change_for, record, snapshot
from anxin.network.models import Region

from .. import audit_rules, records
from ..choices import AuditState, DrawPurpose, FindingState, SourceKind
from ..models import Audit, AuditFinding, AuditRecord
from .common import actor_or_none, require_change, require_role
from .draws import make_draw
from .improvements import create_action


def draw_audit(
    region: Region, quarter: str, *, seed: int | None = None, actor: Any = None, at: Any = None
) -> Audit:
    """Draw the quarter's sample and run the automatic checks on every sampled record."""
    if actor is not None:
        require_role(actor, Audit)
    at = at or timezone.now()
    with transaction.atomic():
        draw, chosen, notes, created = make_draw(
            DrawPurpose.AUDIT, region, quarter, seed=seed, actor=actor, at=at
        )
        if not created:
            return Audit.objects.get(draw=draw)
        audit = Audit.objects.create(
            draw=draw,
            region=region,
            quarter=draw.period,
            created_at=at,
            auditor=actor_or_none(actor),
            notes=notes,
        )
        skipped: set[str] = set()
        for key in draw.sample:
            rec = chosen[key]
            row = AuditRecord.objects.create(
                audit=audit,
                job_kind=rec.kind,
                job_id=rec.id,
                job_number=rec.number,
                job_type=rec.job_type,
                outlet_id=rec.outlet_id,
                base_id=rec.base_id,
            )
            note = run_checks(row, at=at)
            if note:
                skipped.add(note)
        if skipped - set(audit.notes):
            audit.notes = sorted(set(audit.notes) | skipped)
            audit.save(update_fields=["notes"])
    return audit


def run_checks(row: AuditRecord, *, at: dt.datetime) -> str:
    """The automatic checks of one record; a finding per failed rule, once."""
    job = records.load(row.job_kind, row.job_id)
    if job is None:
        AuditFinding.objects.get_or_create(
            record=row, rule="record.exists", defaults={"message": _("the record no longer exists")}
        )
        return ""
    failed, ran, note = audit_rules.check(row.job_kind, job)
    for rule, missing in failed:
        AuditFinding.objects.get_or_create(
            record=row, rule=rule.code, defaults={"message": "; ".join(missing)}
        )
    row.checked_at, row.rules_run = at, ran
    row.save(update_fields=["checked_at", "rules_run"])
    return note


def _open_finding(finding: AuditFinding) -> None:
    if finding.state != FindingState.PROPOSED:
        raise Conflict(
            _("this finding was already %(s)s") % {"s": finding.get_state_display()},
            {"state": finding.state},
        )
    if finding.record.audit.state != AuditState.OPEN:
        raise Conflict(_("the audit is closed"), {"state": finding.record.audit.state})


def _decide(finding: AuditFinding, **fields: Any) -> AuditFinding:
    before = snapshot(finding)
    won = AuditFinding.objects.filter(pk=finding.pk, state=FindingState.PROPOSED).update(**fields)
    if not won:
        raise Conflict(_("someone decided this finding meanwhile"), {"state": finding.state})
    finding.refresh_from_db()
    record([change_for(finding, "update", before, snapshot(finding))])
    return finding


def confirm_finding(
    finding: AuditFinding,
    *,
    actor: Any,
    owner: Any,
    due_date: dt.date,
    change_plan: str,
    success_measure: str,
    at: dt.datetime | None = None,
) -> AuditFinding:
    """The auditor agrees: the finding becomes an improvement action (整改) with its owner."""
    require_change(actor, finding)
    _open_finding(finding)
    at = at or timezone.now()
    with transaction.atomic():
        action = create_action(
            actor=actor,
            source_kind=SourceKind.FINDING,
            source_id=str(finding.pk),
            title=f"{finding.record} · {finding.message}"[:200],
            owner=owner,
            due_date=due_date,
            change_plan=change_plan,
            success_measure=success_measure,
            at=at,
        )
        return _decide(
            finding,
            state=FindingState.CONFIRMED,
            decided_at=at,
            decided_by=actor_or_none(actor),
            action=action,
        )


def override_finding(
    finding: AuditFinding, *, actor: Any, reason: str, at: dt.datetime | None = None
) -> AuditFinding:
    """The auditor disagrees with the automatic check and says why."""
    require_change(actor, finding)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("say why the finding does not hold")})
    _open_finding(finding)
    at = at or timezone.now()
    with transaction.atomic():
        return _decide(
            finding,
            state=FindingState.OVERRIDDEN,
            decided_at=at,
            decided_by=actor_or_none(actor),
            override_reason=reason.strip(),
        )


def close_audit(audit: Audit, *, actor: Any, at: dt.datetime | None = None) -> Audit:
    require_change(actor, audit)
    open_findings = AuditFinding.objects.filter(
        record__audit=audit, state=FindingState.PROPOSED
    ).count()
    if open_findings:
        raise ValidationError(
            {"findings": _("%(n)d findings still wait for a decision") % {"n": open_findings}}
        )
    at = at or timezone.now()
    before = snapshot(audit)
    if not Audit.objects.filter(pk=audit.pk, state=AuditState.OPEN).update(
        state=AuditState.CLOSED, closed_at=at
    ):
        raise Conflict(_("the audit is already closed"), {"state": AuditState.CLOSED})
    audit.refresh_from_db()
    record([change_for(audit, "update", before, snapshot(audit))])
    return audit
