"""Three checks and one record (三检一记录, WS-3): entry, in-process and completion inspections.

Each check follows the checklist template for its stage and the work order's job type, is
signed by a named responsible person, and carries the photos its template asks for. A work
order cannot be delivered until all three are complete (see ``transitions.three_checks``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.accounts.permissions import restrict
from anxin.accounts.roles import Role
from anxin.people.models import Staff

from . import files
from .choices import InspectionStage, ItemKind, WorkOrderState
from .models import ChecklistTemplate, Inspection, InspectionPhoto, WorkOrder

S = WorkOrderState
# While a check may be recorded (and re-recorded before it counts).
STAGE_STATES = {
    InspectionStage.ENTRY: frozenset(
        {S.RECEPTION, S.DIAGNOSIS, S.QUOTATION, S.APPROVAL, S.APPROVED}
    ),
    InspectionStage.IN_PROCESS: frozenset({S.IN_WORK}),
    InspectionStage.COMPLETION: frozenset({S.QUALITY_CHECK}),
}
INSPECTORS = frozenset({Role.SERVICE_ADVISOR, Role.TECHNICIAN, Role.ADMINISTRATOR})
OK_VALUES = {True: True, "ok": True, "true": True, "yes": True, False: False, "not_ok": False}
OK_VALUES.update({"false": False, "no": False})


def template_for(stage: str, job_type: str) -> ChecklistTemplate:
    """The job type's own active template for the stage, else the general one."""
    rows = ChecklistTemplate.objects.filter(stage=stage, active=True, job_type__in=[job_type, ""])
    found = sorted(rows, key=lambda t: (t.job_type != job_type, -t.pk))
    if not found:
        raise ValidationError(
            {"stage": _("no active checklist template for the %(stage)s") % {"stage": stage}}
        )
    return found[0]


def _label(item: dict[str, Any]) -> str:
    from django.utils.translation import get_language

    if (get_language() or "").startswith("en") and item.get("label_en"):
        return str(item["label_en"])
    return str(item.get("label") or item["code"])


def _stage_label(stage: str) -> str:
    return str(InspectionStage(stage).label)


def _authorise(wo: WorkOrder, actor: Any) -> None:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("sign in first"))
    if not restrict(WorkOrder.objects.filter(pk=wo.pk), actor, "change").exists():
        raise PermissionDenied(_("this work order is not yours to change"))
    if not (actor.is_superuser or actor.role in INSPECTORS):
        raise PermissionDenied(_("your role may not record inspections"))


def _check_window(wo: WorkOrder, stage: str) -> None:
    if wo.state not in STAGE_STATES[InspectionStage(stage)]:
        raise ValidationError(
            {
                "stage": _("the %(stage)s cannot be recorded while the work order is %(state)s")
                % {"stage": _stage_label(stage), "state": wo.get_state_display()}
            }
        )


def open_inspection(
    wo: WorkOrder, stage: str, *, actor: Any, at: dt.datetime | None = None
) -> Inspection:
    """The work order's inspection for ``stage``, created from the template if new."""
    if stage not in InspectionStage.values:
        raise ValidationError({"stage": _("unknown inspection stage %(s)r") % {"s": stage}})
    _authorise(wo, actor)
    existing = wo.inspections.filter(stage=stage).first()
    if existing is not None:
        return existing
    _check_window(wo, stage)
    template = template_for(stage, wo.job_type)
    inspection, _created = Inspection.objects.get_or_create(
        work_order=wo,
        stage=stage,
        defaults={
            "template": template,
            "items": template.items,
            "created_at": at or timezone.now(),
        },
    )
    return inspection


def add_inspection_photo(
    wo: WorkOrder,
    stage: str,
    item: str,
    upload: Any,
    *,
    actor: Any,
    at: dt.datetime | None = None,
) -> InspectionPhoto:
    """Store a photo for checklist item ``item``: re-encoded, EXIF read then stripped."""
    from anxin.rescue.photos import process_photo

    inspection = open_inspection(wo, stage, actor=actor, at=at)
    _check_window(wo, stage)
    codes = {i["code"] for i in inspection.items}
    if item not in codes:
        raise ValidationError({"item": _("no checklist item %(item)r") % {"item": item}})
    processed = process_photo(upload)
    photo = InspectionPhoto(
        inspection=inspection,
        item=item,
        width=processed.width,
        height=processed.height,
        taken_at=processed.taken_at,
        uploaded_at=at or timezone.now(),
        uploaded_by=actor,
    )
    with files.discard_on_rollback():
        files.store(photo.image, f"{wo.number}-{stage}-{item}.jpg", processed.content)
        photo.save()
    return photo


def _clean_value(item: dict[str, Any], value: Any) -> Any:
    kind = item.get("kind", ItemKind.CHECK)
    if kind == ItemKind.CHECK:
        key = value.lower() if isinstance(value, str) else value
        if key not in OK_VALUES:
            raise ValueError(_("answer OK or not OK"))
        return OK_VALUES[key]
    if kind == ItemKind.NUMBER:
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            raise ValueError(_("give a number")) from None
        if not number.is_finite():
            raise ValueError(_("give a number"))
        lo, hi = item.get("min"), item.get("max")
        if (lo is not None and number < Decimal(str(lo))) or (
            hi is not None and number > Decimal(str(hi))
        ):
            raise ValueError(_("between %(lo)s and %(hi)s") % {"lo": lo, "hi": hi})
        return float(number)
    if kind == ItemKind.TEXT:
        return str(value).strip()[:1000]
    return value  # PHOTO items carry no value


def _problems(inspection: Inspection, results: dict[str, Any]) -> tuple[dict[str, Any], dict]:
    """Clean ``results`` against the copied template items; return (clean, errors)."""
    items = {i["code"]: i for i in inspection.items}
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for code in results:
        if code not in items:
            errors[f"results.{code}"] = _("no checklist item %(item)r") % {"item": code}
    photos = set(inspection.photos.values_list("item", flat=True))
    for code, item in items.items():
        value = results.get(code)
        empty = value is None or (isinstance(value, str) and not value.strip())
        if item.get("kind") == ItemKind.PHOTO:
            empty = False
        if empty:
            if item.get("required", True) and item.get("kind") != ItemKind.PHOTO:
                errors[f"results.{code}"] = _("“%(item)s” is required") % {"item": _label(item)}
        else:
            try:
                clean[code] = _clean_value(item, value)
            except ValueError as exc:
                errors[f"results.{code}"] = f"{_label(item)}: {exc}"
        if item.get("photo_required") and code not in photos:
            errors[f"photos.{code}"] = _("a photo of “%(item)s” is required") % {
                "item": _label(item)
            }
    return clean, errors


def record_inspection(
    wo: WorkOrder,
    stage: str,
    *,
    actor: Any,
    results: dict[str, Any],
    responsible: Staff | int | None,
    remarks: str = "",
    sign: bool = True,
    at: dt.datetime | None = None,
) -> Inspection:
    """Record the check's results and (with ``sign``) sign it off by ``responsible``.

    A required item without a value, a required photo missing, or an unknown responsible
    person is refused with the field named; nothing is stored then.
    """
    at = at or timezone.now()
    inspection = open_inspection(wo, stage, actor=actor, at=at)
    _check_window(wo, stage)
    if not isinstance(results, dict):
        raise ValidationError({"results": _("give the results as item → value")})
    clean, errors = _problems(inspection, results)
    person = _responsible(wo, responsible) if (sign or responsible) else None
    if sign and person is None:
        errors["responsible"] = _("name the responsible person who signs the check")
    if errors and sign:
        raise ValidationError(errors)
    checks = [
        clean[i["code"]] for i in inspection.items if i.get("kind", "check") == ItemKind.CHECK
    ]
    checks = [c for c in checks if c is not None]
    with transaction.atomic():
        inspection.results = {**inspection.results, **clean} if not sign else clean
        inspection.remarks = remarks.strip()
        inspection.passed = all(checks) if checks else True
        if person is not None:
            inspection.responsible = person
        if sign:
            inspection.signed_at = at
            inspection.signed_by = actor
        inspection.save()
    return inspection


def _responsible(wo: WorkOrder, who: Staff | int | None) -> Staff | None:
    if who is None:
        return None
    pk = who.pk if isinstance(who, Staff) else who
    staff = Staff.objects.filter(pk=pk, active=True, region_id=wo.region_id).first()
    if staff is None:
        raise ValidationError(
            {"responsible": _("the responsible person must be active staff of this region")}
        )
    return staff


def inspection_missing(wo: WorkOrder, stage: str) -> list[str]:
    """What the ``stage`` check still lacks (empty when it is complete and signed)."""
    inspection = wo.inspections.filter(stage=stage).first()
    name = _stage_label(stage)
    if inspection is None or inspection.signed_at is None:
        return [_("%(stage)s, signed by the responsible person") % {"stage": name}]
    if inspection.responsible_id is None:
        return [_("responsible person of the %(stage)s") % {"stage": name}]
    _clean, errors = _problems(inspection, inspection.results)
    if errors:
        return [f"{name}: {msg}" for msg in errors.values()]
    return []


def three_checks_missing(wo: WorkOrder) -> list[str]:
    missing: list[str] = []
    for stage in InspectionStage.values:
        missing += inspection_missing(wo, stage)
    return missing
