"""High-voltage safety (WS-4): no HV work before the discharge and insulation check.

The check is recorded by a technician who holds a valid HV certificate (people.Certification,
skill ``ev_hv``) on the day; the certificate used is stored with the check.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.accounts.permissions import restrict
from anxin.accounts.roles import Role
from anxin.people.models import Certification, Skill, Staff

from .choices import WorkOrderState
from .models import HVSafetyCheck, WorkOrder, WorkshopPolicy

S = WorkOrderState
RECORDABLE_STATES = frozenset({S.APPROVED, S.IN_WORK, S.DIAGNOSIS, S.QUOTATION, S.APPROVAL})


def valid_certificate(staff: Staff, on: dt.date) -> Certification | None:
    return (
        staff.certifications.filter(skill=Skill.EV_HV, issued_on__lte=on, expires_on__gte=on)
        .order_by("-expires_on")
        .first()
    )


def hv_technicians(outlet: Any, on: dt.date | None = None) -> QuerySet[Staff]:
    """Active technicians of ``outlet`` with a valid HV certificate today."""
    day = on or timezone.localdate()
    return Staff.objects.filter(
        outlet=outlet,
        active=True,
        certifications__skill=Skill.EV_HV,
        certifications__issued_on__lte=day,
        certifications__expires_on__gte=day,
    ).distinct()


def nominal_voltage(wo: WorkOrder) -> int:
    return 800 if wo.vehicle.high_voltage else 400


def _decimal(field: str, value: Any) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("give a number")}) from None
    if not number.is_finite() or number < 0:
        raise ValidationError({field: _("give a number of at least 0")})
    return number


def record_hv_check(
    wo: WorkOrder,
    *,
    actor: Any,
    technician: Staff | int,
    discharged: bool,
    residual_voltage: Any,
    insulation_mohm: Any,
    remarks: str = "",
    at: dt.datetime | None = None,
) -> HVSafetyCheck:
    """Record the discharge and insulation check; refused (nothing stored) unless it passes."""
    at = at or timezone.now()
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("sign in first"))
    if not restrict(WorkOrder.objects.filter(pk=wo.pk), actor, "change").exists():
        raise PermissionDenied(_("this work order is not yours to change"))
    if not (
        actor.is_superuser
        or actor.role in (Role.TECHNICIAN, Role.SERVICE_ADVISOR, Role.ADMINISTRATOR)
    ):
        raise PermissionDenied(_("your role may not record the HV check"))
    if wo.state not in RECORDABLE_STATES:
        raise ValidationError(
            {
                "state": _("the HV check cannot be recorded while the work order is %(s)s")
                % {"s": wo.get_state_display()}
            }
        )
    pk = technician.pk if isinstance(technician, Staff) else technician
    staff = Staff.objects.filter(pk=pk, active=True).first()
    if staff is None or staff.region_id != wo.region_id:
        raise ValidationError({"technician": _("no active technician of this region")})
    certificate = valid_certificate(staff, timezone.localdate(at))
    if certificate is None:
        raise ValidationError(
            {
                "technician": _(
                    "%(name)s holds no valid high-voltage (HV) certificate: the discharge and "
                    "insulation check must be done by an HV-certified technician"
                )
                % {"name": staff.name}
            }
        )
    policy = WorkshopPolicy.current()
    residual = _decimal("residual_voltage", residual_voltage)
    insulation = _decimal("insulation_mohm", insulation_mohm)
    volts = nominal_voltage(wo)
    errors = {}
    if not discharged:
        errors["discharged"] = _("the HV system must be discharged before work starts")
    if residual > policy.max_residual_voltage:
        errors["residual_voltage"] = _(
            "residual voltage %(v)s V is above the safe %(max)s V: discharge again"
        ) % {"v": residual, "max": policy.max_residual_voltage}
    minimum = Decimal(policy.min_insulation_ohm_per_volt * volts) / Decimal(1_000_000)
    if insulation < minimum:
        errors["insulation_mohm"] = _(
            "insulation resistance %(r)s MΩ is below the minimum %(min)s MΩ (%(opv)s Ω/V at "
            "%(v)s V): find the insulation fault before work"
        ) % {"r": insulation, "min": minimum, "opv": policy.min_insulation_ohm_per_volt, "v": volts}
    if errors:
        raise ValidationError(errors)
    return HVSafetyCheck.objects.create(
        work_order=wo,
        technician=staff,
        certification=certificate,
        discharged=True,
        residual_voltage=residual,
        insulation_mohm=insulation,
        nominal_voltage=volts,
        remarks=remarks.strip(),
        recorded_at=at,
        recorded_by=actor,
    )


def hv_check_missing(wo: WorkOrder) -> list[str]:
    if not wo.high_voltage:
        return []
    if wo.hv_checks.exists():
        return []
    return [
        _(
            "the high-voltage discharge and insulation check, recorded by a technician with a "
            "valid HV certificate"
        )
    ]
