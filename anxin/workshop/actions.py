"""The action functions of a work order: every write to a work order goes through here.

Each transition checks the table in :mod:`anxin.workshop.transitions`, claims the change with
a conditional update on state and version (a concurrent writer gets :class:`Conflict`, 409
with the fresh state), stores the :class:`WorkOrderTransition` row, writes the change log,
moves the commitments' clocks and sends ``job_state_changed`` — all in one transaction.
Edits that are not transitions (lines, details) also bump ``version``, so a customer cannot
approve a quote that changed under them.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.accounts.permissions import may_change as may_change_model
from anxin.accounts.permissions import restrict
from anxin.api.base import Conflict
from anxin.audit.changelog import change_for, record, snapshot
from anxin.commitments.api import on_event, on_state
from anxin.core.events import job_state_changed
from anxin.customers.models import Customer, RepairContract, Vehicle
from anxin.network.models import Outlet
from anxin.people.models import Staff

from .choices import (
    LINE_EDIT_STATES,
    ApprovalVia,
    ChargeTo,
    InspectionKind,
    JobType,
    PaymentMethod,
    VehicleSystem,
    WarrantyCover,
    WorkOrderState,
)
from .models import (
    LabourLine,
    LabourOperation,
    Part,
    PartLine,
    Supplier,
    WorkOrder,
    WorkOrderTransition,
    WorkshopPolicy,
)
from .models.workorders import new_token
from .transitions import MILESTONE_FIELD, TRANSITIONS, Transition

EVENT_KIND = "workorder"  # job_state_changed kind
CLOCK_KIND = "work_order"  # commitments job kind
CENT = Decimal("0.01")
S = WorkOrderState


# --- helpers -----------------------------------------------------------------------------
def fresh_state(wo: WorkOrder) -> dict[str, Any]:
    current = WorkOrder.objects.filter(pk=wo.pk).values("state", "version").first() or {}
    return {"state": current.get("state"), "version": current.get("version")}


def _actor_label(actor: Any, fallback: str = "") -> str:
    return (getattr(actor, "username", "") or "") if actor is not None else fallback


def _authenticated(actor: Any) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def may_change(wo: WorkOrder, actor: Any) -> bool:
    return _authenticated(actor) and (
        restrict(WorkOrder.objects.filter(pk=wo.pk), actor, "change").exists()
    )


def authorise(wo: WorkOrder, t: Transition | None, actor: Any) -> None:
    if not _authenticated(actor):
        raise PermissionDenied(_("sign in first"))
    if not restrict(WorkOrder.objects.filter(pk=wo.pk), actor, "view").exists():
        raise PermissionDenied(_("this work order is not in your region or outlet"))
    if not may_change(wo, actor):
        raise PermissionDenied(_("your role may not change work orders"))
    if t is not None and not (actor.is_superuser or actor.role in t.roles):
        raise PermissionDenied(_("your role may not “%(action)s”") % {"action": t.label})


def clock_attrs(wo: WorkOrder) -> dict[str, Any]:
    return {
        "region": wo.region_id,
        "number": wo.number,
        "tier": wo.customer.tier if wo.customer_id else "",
        "language": "zh-hans",
    }


def _bump(wo: WorkOrder, fields: dict[str, Any], *, expected_version: int | None = None) -> None:
    """Write ``fields`` with a conditional update on the version; Conflict if it moved."""
    version = wo.version if expected_version is None else expected_version
    before = snapshot(wo)
    won = (
        WorkOrder.objects.filter(pk=wo.pk, version=version)
        .exclude(state__in=[S.CANCELLED])
        .update(version=F("version") + 1, **fields)
    )
    if not won:
        raise Conflict(_("the work order changed meanwhile; reload and try again"), fresh_state(wo))
    wo.refresh_from_db()
    record([change_for(wo, "update", before, snapshot(wo))])


def _clocks(wo: WorkOrder, event: str, at: dt.datetime) -> None:
    on_event(CLOCK_KIND, wo.pk, event, at=at, attrs=clock_attrs(wo))
    if event != S.CANCELLED and event != "opened":
        on_state(CLOCK_KIND, wo.pk, event, at=at)


# --- transitions -------------------------------------------------------------------------
def perform(
    wo: WorkOrder,
    name: str,
    *,
    actor: Any,
    reason: str = "",
    at: dt.datetime | None = None,
    data: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
    public: bool = False,
    expected_version: int | None = None,
) -> WorkOrder:
    """Make transition ``name`` on ``wo`` as ``actor``; refuse with the reason if not allowed.

    ``public`` is set only by the personal-link functions (the customer has no login).
    """
    t = TRANSITIONS.get(name)
    if t is None:
        raise ValidationError({"transition": _("unknown transition %(name)r") % {"name": name}})
    at = at or timezone.now()
    if not (public and t.public):
        authorise(wo, t, actor)
    if wo.state not in t.sources:
        raise Conflict(
            _("“%(action)s” is not possible while the work order is %(state)s")
            % {"action": t.label, "state": wo.get_state_display()},
            fresh_state(wo),
        )
    if expected_version is not None and expected_version != wo.version:
        raise Conflict(_("the work order changed meanwhile; reload and try again"), fresh_state(wo))
    if t.needs_reason and not (reason or "").strip():
        raise ValidationError({"reason": _("give a reason")})
    missing = [m for check in t.requires for m in check(wo)]
    if missing:
        raise ValidationError(
            {
                "requires": _("still missing: %(list)s")
                % {"list": "; ".join(str(m) for m in missing)}
            }
        )
    fields = dict(fields or {})
    if t.target in MILESTONE_FIELD:
        fields.setdefault(MILESTONE_FIELD[t.target], at)
    if t.target == S.CANCELLED:
        fields.setdefault("cancel_reason", reason.strip())
    with transaction.atomic():
        source = wo.state
        before = snapshot(wo)
        won = WorkOrder.objects.filter(pk=wo.pk, state=wo.state, version=wo.version).update(
            state=t.target, version=F("version") + 1, **fields
        )
        if not won:
            raise Conflict(
                _("the work order changed meanwhile; reload and try again"), fresh_state(wo)
            )
        wo.refresh_from_db()
        record([change_for(wo, "update", before, snapshot(wo))])
        WorkOrderTransition.objects.create(
            work_order=wo,
            from_state=source,
            to_state=t.target,
            at=at,
            actor=actor if _authenticated(actor) else None,
            actor_label=_actor_label(actor, "customer"),
            reason=reason.strip(),
            data=data or {},
        )
        _clocks(wo, t.target, at)
        _after(wo, t, source, at, actor)
        job_state_changed.send(
            sender=WorkOrder,
            kind=EVENT_KIND,
            job=wo,
            state=t.target,
            previous=source,
            at=at,
            actor=actor if _authenticated(actor) else None,
        )
    return wo


def _after(wo: WorkOrder, t: Transition, source: str, at: dt.datetime, actor: Any) -> None:
    """What a transition sets in motion besides the state: messages, PDF, 三包 check."""
    from . import messages, warranty

    if t.target == S.APPROVAL:
        messages.quote_ready(wo)
    elif t.target == S.READY:
        messages.vehicle_ready(wo)
    elif t.target == S.DELIVERED:
        from anxin.worker.api import enqueue

        from .ework import RENDER_JOB

        messages.ework_ready(wo)
        enqueue(
            RENDER_JOB,
            {"work_order_id": wo.pk},
            dedupe_key=f"{RENDER_JOB}:{wo.pk}:{wo.version}",
        )
        warranty.evaluate(wo.vehicle, at=at, work_order=wo)


def start_diagnosis(wo: WorkOrder, *, actor: Any, at: dt.datetime | None = None) -> WorkOrder:
    return perform(wo, "start_diagnosis", actor=actor, at=at)


def prepare_quote(
    wo: WorkOrder, *, actor: Any, diagnosis: str | None = None, at: dt.datetime | None = None
) -> WorkOrder:
    if diagnosis is not None and diagnosis.strip() != wo.diagnosis:
        update_details(wo, actor=actor, diagnosis=diagnosis)
    return perform(wo, "prepare_quote", actor=actor, at=at)


def quote_snapshot(wo: WorkOrder) -> dict[str, Any]:
    """The quote as the customer sees it: lines with national prices, discounts, totals."""
    labour = [
        {
            "kind": "labour",
            "code": line.operation.code,
            "name": line.operation.name,
            "hours": str(line.standard_hours),
            "unit_price": str(line.unit_price),
            "quantity": "1",
            "discount_pct": str(line.discount_pct),
            "amount": str(line.amount),
            "charge_to": line.charge_to,
            "warranty_months": line.warranty_months,
        }
        for line in wo.labour_lines.select_related("operation")
    ]
    parts = [
        {
            "kind": "part",
            "code": line.part.code,
            "name": line.part.name,
            "unit_price": str(line.unit_price),
            "quantity": str(line.quantity),
            "discount_pct": str(line.discount_pct),
            "amount": str(line.amount),
            "charge_to": line.charge_to,
            "warranty_months": line.warranty_months,
        }
        for line in wo.part_lines.select_related("part")
    ]
    return {
        "lines": labour + parts,
        "total": str(wo.total_amount),
        "customer_amount": str(wo.customer_amount),
        "contract": wo.contract.number if wo.contract_id else "",
    }


def send_quote(wo: WorkOrder, *, actor: Any, at: dt.datetime | None = None) -> WorkOrder:
    """Send the quote to the customer: snapshot it and issue a new personal approval link."""
    at = at or timezone.now()
    days = WorkshopPolicy.current().quote_link_days
    return perform(
        wo,
        "send_quote",
        actor=actor,
        at=at,
        data={"quote_version": wo.quote_version + 1, "total": str(wo.total_amount)},
        fields={
            "quote": quote_snapshot(wo),
            "quote_version": wo.quote_version + 1,
            "quote_token": new_token(),
            "quote_token_expires_at": at + dt.timedelta(days=days),
            "rejection_reason": "",
        },
    )


def approve_quote(
    wo: WorkOrder,
    *,
    actor: Any = None,
    via: str = ApprovalVia.IN_PERSON,
    signer_name: str = "",
    signature: str = "",
    quote_version: int | None = None,
    at: dt.datetime | None = None,
    _public: bool = False,
) -> WorkOrder:
    """The customer approves the quote (in person at the desk, or through the personal link).

    A second approval finds the work order no longer awaiting approval: Conflict (409).
    """
    if via not in ApprovalVia.values:
        raise ValidationError({"via": _("approve by personal link or in person")})
    if wo.state != S.APPROVAL:
        raise Conflict(
            _("the quote is not awaiting approval (the work order is %(state)s)")
            % {"state": wo.get_state_display()},
            fresh_state(wo),
        )
    if quote_version is not None and quote_version != wo.quote_version:
        raise Conflict(
            _("the quote was changed after you saw it; reload it and approve again"),
            {**fresh_state(wo), "quote_version": wo.quote_version},
        )
    if not signer_name.strip():
        raise ValidationError({"signer_name": _("the name of the person approving the quote")})
    if signature:
        from anxin.rescue.photos import clean_signature_svg

        signature = clean_signature_svg(signature)
    return perform(
        wo,
        "approve_quote",
        actor=actor,
        at=at,
        public=_public,
        data={"via": via, "signer": signer_name.strip(), "quote_version": wo.quote_version},
        fields={
            "approved_via": via,
            "approved_by_name": signer_name.strip()[:100],
            "approval_signature": signature,
        },
    )


def work_order_for_token(token: str, *, at: dt.datetime | None = None) -> WorkOrder:
    """The work order behind a personal quote link; an unknown or expired link is refused."""
    at = at or timezone.now()
    wo = WorkOrder.objects.filter(quote_token=token).first() if token else None
    if wo is None:
        raise ValidationError({"token": _("this link is not valid")})
    if wo.quote_token_expires_at is not None and wo.quote_token_expires_at < at:
        raise ValidationError({"token": _("this link has expired; ask the outlet for a new one")})
    return wo


def approve_by_token(
    token: str,
    *,
    signer_name: str,
    signature: str = "",
    quote_version: int | None = None,
    at: dt.datetime | None = None,
) -> WorkOrder:
    wo = work_order_for_token(token, at=at)
    return approve_quote(
        wo,
        actor=None,
        via=ApprovalVia.LINK,
        signer_name=signer_name,
        signature=signature,
        quote_version=quote_version,
        at=at,
        _public=True,
    )


def reject_quote(
    wo: WorkOrder, *, actor: Any, reason: str, at: dt.datetime | None = None
) -> WorkOrder:
    return perform(
        wo,
        "reject_quote",
        actor=actor,
        reason=reason,
        at=at,
        fields={"rejection_reason": (reason or "").strip()},
    )


def reject_by_token(token: str, *, reason: str, at: dt.datetime | None = None) -> WorkOrder:
    wo = work_order_for_token(token, at=at)
    return perform(
        wo,
        "reject_quote",
        actor=None,
        reason=reason,
        at=at,
        public=True,
        fields={"rejection_reason": (reason or "").strip()},
    )


def start_work(wo: WorkOrder, *, actor: Any, at: dt.datetime | None = None) -> WorkOrder:
    return perform(wo, "start_work", actor=actor, at=at)


def finish_work(wo: WorkOrder, *, actor: Any, at: dt.datetime | None = None) -> WorkOrder:
    return perform(wo, "finish_work", actor=actor, at=at)


def pass_check(wo: WorkOrder, *, actor: Any, at: dt.datetime | None = None) -> WorkOrder:
    return perform(wo, "pass_check", actor=actor, at=at)


def fail_check(
    wo: WorkOrder, *, actor: Any, reason: str, at: dt.datetime | None = None
) -> WorkOrder:
    return perform(wo, "fail_check", actor=actor, reason=reason, at=at)


def deliver(wo: WorkOrder, *, actor: Any, at: dt.datetime | None = None) -> WorkOrder:
    return perform(wo, "deliver", actor=actor, at=at)


def settle(
    wo: WorkOrder,
    *,
    actor: Any,
    paid_amount: Any,
    payment_method: str,
    at: dt.datetime | None = None,
) -> WorkOrder:
    """Record the payment and settle. The amount must be what the customer owes."""
    if payment_method not in PaymentMethod.values:
        raise ValidationError({"payment_method": _("choose a payment method")})
    try:
        paid = Decimal(str(paid_amount)).quantize(CENT)
    except (InvalidOperation, ValueError):
        raise ValidationError({"paid_amount": _("give an amount")}) from None
    if not paid.is_finite() or paid < 0:
        raise ValidationError({"paid_amount": _("give an amount of at least 0")})
    if paid != wo.customer_amount:
        raise ValidationError(
            {
                "paid_amount": _("the customer owes %(owed)s CNY, not %(paid)s")
                % {"owed": wo.customer_amount, "paid": paid}
            }
        )
    wo.paid_amount, wo.payment_method = paid, payment_method  # for the requirement check
    return perform(
        wo,
        "settle",
        actor=actor,
        at=at,
        data={"paid": str(paid), "method": payment_method},
        fields={"paid_amount": paid, "payment_method": payment_method},
    )


def cancel(wo: WorkOrder, *, actor: Any, reason: str, at: dt.datetime | None = None) -> WorkOrder:
    return perform(wo, "cancel", actor=actor, reason=reason, at=at)


# --- creation ----------------------------------------------------------------------------
def next_number(at: dt.datetime, prefix: str = "WO", model: Any = WorkOrder) -> str:
    day = timezone.localtime(at).strftime("%Y%m%d")
    head = f"{prefix}{day}-"
    last = (
        model.objects.filter(number__startswith=head)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{head}{seq:04d}"


def contract_for(vehicle: Vehicle, customer: Customer, outlet: Outlet, on: dt.date) -> Any:
    """The fleet's designated-repair contract that names this outlet and is valid on the day."""
    fleet_id = vehicle.fleet_id or customer.fleet_id
    if fleet_id is None:
        return None
    return (
        RepairContract.objects.filter(
            fleet_id=fleet_id, valid_from__lte=on, valid_until__gte=on, outlets=outlet
        )
        .order_by("-valid_until")
        .first()
    )


def create_work_order(
    *,
    actor: Any,
    outlet: Outlet,
    customer: Customer,
    vehicle: Vehicle,
    job_type: str,
    at: dt.datetime | None = None,
    appointment: Any = None,
    complaint: str = "",
    mileage_km: int | None = None,
    high_voltage: bool | None = None,
    inspection_kind: str = "",
    warranty_cover: str = "",
    systems: Any = (),
    fault_codes: Any = (),
    promised_at: dt.datetime | None = None,
    technician: Staff | None = None,
) -> WorkOrder:
    """Reception: open the work order (工单) for a vehicle at an outlet."""
    at = at or timezone.now()
    if not _authenticated(actor):
        raise PermissionDenied(_("sign in first"))
    if not may_change_model(actor, WorkOrder):
        raise PermissionDenied(_("your role may not open work orders"))
    if not restrict(Outlet.objects.filter(pk=outlet.pk), actor, "view").exists():
        raise PermissionDenied(_("this outlet is not in your region"))
    if getattr(actor, "outlet_id", None) and actor.outlet_id != outlet.pk and not actor.is_national:
        raise PermissionDenied(_("you work for another outlet"))
    errors: dict[str, str] = {}
    if job_type not in JobType.values:
        errors["job_type"] = _("choose a job type")
    if job_type == JobType.INSPECTION and inspection_kind not in InspectionKind.values:
        errors["inspection_kind"] = _("an inspection is a safety, emissions or performance one")
    if job_type != JobType.INSPECTION and inspection_kind:
        errors["inspection_kind"] = _("only inspections have an inspection kind")
    if job_type == JobType.WARRANTY_REPAIR and warranty_cover not in WarrantyCover.values:
        errors["warranty_cover"] = _("a warranty repair is free or paid")
    if job_type != JobType.WARRANTY_REPAIR and warranty_cover:
        errors["warranty_cover"] = _("only warranty repairs are free or paid")
    if (
        job_type == JobType.WARRANTY_REPAIR
        and warranty_cover == WarrantyCover.FREE
        and (vehicle.warranty_until is None or vehicle.warranty_until < timezone.localdate(at))
    ):
        errors["warranty_cover"] = _("the vehicle's warranty has ended: the repair is paid")
    bad_systems = sorted(set(systems or []) - set(VehicleSystem.values))
    if bad_systems:
        errors["systems"] = _("unknown systems: %(s)s") % {"s": ", ".join(bad_systems)}
    if high_voltage and not vehicle.is_electric:
        errors["high_voltage"] = _("only electric and hybrid vehicles have HV jobs")
    if errors:
        raise ValidationError(errors)
    contract = contract_for(vehicle, customer, outlet, timezone.localdate(at))
    wo = WorkOrder(
        number="pending",
        appointment=appointment,
        customer=customer,
        vehicle=vehicle,
        outlet=outlet,
        region_id=outlet.region_id,
        job_type=job_type,
        inspection_kind=inspection_kind,
        warranty_cover=warranty_cover,
        high_voltage=bool(high_voltage),
        systems=sorted(set(systems or [])),
        complaint=complaint.strip(),
        fault_codes=[str(c).strip().upper() for c in fault_codes or [] if str(c).strip()],
        mileage_km=mileage_km,
        promised_at=promised_at,
        advisor=actor,
        technician=technician,
        contract=contract,
        labour_discount_pct=contract.labour_discount_pct if contract else Decimal("0"),
        parts_discount_pct=contract.parts_discount_pct if contract else Decimal("0"),
        payment_terms_days=contract.payment_terms_days if contract else 0,
        received_at=at,
        created_by=actor,
    )
    wo.full_clean(exclude=["number", "verification_code", "quote_token"])
    for _attempt in range(5):
        try:
            with transaction.atomic():
                wo.number = next_number(at)
                wo.save(force_insert=True)
                WorkOrderTransition.objects.create(
                    work_order=wo,
                    from_state="",
                    to_state=S.RECEPTION,
                    at=at,
                    actor=actor,
                    actor_label=_actor_label(actor),
                    data={"appointment": appointment.number if appointment else ""},
                )
                on_event(CLOCK_KIND, wo.pk, "opened", at=at, attrs=clock_attrs(wo))
                _after_lines(wo, at)
            return wo
        except IntegrityError:
            wo.pk = None
            wo._state.adding = True
    raise Conflict(_("could not allocate a work order number; try again"))


def _after_lines(wo: WorkOrder, at: dt.datetime) -> None:
    from . import rework, warranty

    rework.detect(wo)
    warranty.evaluate(wo.vehicle, at=at, work_order=wo)


# --- details and lines -------------------------------------------------------------------
DETAIL_FIELDS = {
    "complaint",
    "diagnosis",
    "fault_codes",
    "systems",
    "mileage_km",
    "promised_at",
    "technician",
    "high_voltage",
    "oil_brand",
    "oil_grade",
}


def update_details(
    wo: WorkOrder, *, actor: Any, expected_version: int | None = None, **changes: Any
) -> WorkOrder:
    """Edit the work order's record (diagnosis, fault codes, oil, technician, ...)."""
    authorise(wo, None, actor)
    unknown = set(changes) - DETAIL_FIELDS
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("this field cannot be edited here")})
    if not wo.is_open:
        raise Conflict(_("a closed work order cannot be edited"), fresh_state(wo))
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {}
    for name, value in changes.items():
        if name in ("complaint", "diagnosis", "oil_brand", "oil_grade"):
            fields[name] = (value or "").strip()
        elif name == "fault_codes":
            fields[name] = [str(c).strip().upper() for c in value or [] if str(c).strip()]
        elif name == "systems":
            bad = sorted(set(value or []) - set(VehicleSystem.values))
            if bad:
                errors[name] = _("unknown systems: %(s)s") % {"s": ", ".join(bad)}
            fields[name] = sorted(set(value or []))
        elif name == "technician":
            if value is None:
                fields["technician_id"] = None
            else:
                pk = value.pk if isinstance(value, Staff) else value
                if not Staff.objects.filter(pk=pk, region_id=wo.region_id, active=True).exists():
                    errors[name] = _("no active technician of this region")
                fields["technician_id"] = pk
        elif name == "high_voltage":
            if value and not wo.vehicle.is_electric:
                errors[name] = _("only electric and hybrid vehicles have HV jobs")
            if not value and wo.state in (S.IN_WORK, S.QUALITY_CHECK, S.READY):
                errors[name] = _("an HV job stays an HV job once work started")
            fields[name] = bool(value)
        else:
            fields[name] = value
    if fields.get("oil_brand") == "" and "oil_brand" in changes and wo.needs_oil_record:
        errors["oil_brand"] = _("an oil change must name the oil's brand")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _bump(wo, fields, expected_version=expected_version)
        if "systems" in fields:
            _after_lines(wo, timezone.now())
    return wo


def record_oil(wo: WorkOrder, *, actor: Any, brand: str, grade: str) -> WorkOrder:
    """An oil change names the oil's brand and grade (e.g. 嘉实多 极护 / 0W-20)."""
    errors = {}
    if not (brand or "").strip():
        errors["oil_brand"] = _("name the oil's brand")
    if not (grade or "").strip():
        errors["oil_grade"] = _("name the oil's grade (viscosity, e.g. 0W-20)")
    if errors:
        raise ValidationError(errors)
    return update_details(wo, actor=actor, oil_brand=brand, oil_grade=grade)


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _charge_to(wo: WorkOrder, requested: str | None) -> str:
    if requested:
        if requested not in ChargeTo.values:
            raise ValidationError({"charge_to": _("charge to the customer, warranty or contract")})
        if requested == ChargeTo.CONTRACT and not wo.contract_id:
            raise ValidationError({"charge_to": _("this work order has no fleet contract")})
        return requested
    if wo.job_type == JobType.WARRANTY_REPAIR and wo.warranty_cover == WarrantyCover.FREE:
        return ChargeTo.WARRANTY
    if wo.contract_id:
        return ChargeTo.CONTRACT
    return ChargeTo.CUSTOMER


def _check_line_edit(wo: WorkOrder, actor: Any) -> None:
    authorise(wo, None, actor)
    if wo.state not in LINE_EDIT_STATES:
        raise ValidationError(
            {
                "state": _(
                    "lines can be changed only before the quote is sent (the work order is "
                    "%(state)s); additional work needs a new quote"
                )
                % {"state": wo.get_state_display()}
            }
        )


def recompute_totals(wo: WorkOrder) -> dict[str, Any]:
    lines = list(wo.labour_lines.values_list("amount", "charge_to")) + list(
        wo.part_lines.values_list("amount", "charge_to")
    )
    total = sum((a for a, _c in lines), Decimal("0"))
    customer = sum((a for a, c in lines if c == ChargeTo.CUSTOMER), Decimal("0"))
    return {"total_amount": _money(total), "customer_amount": _money(customer)}


def _line_systems(wo: WorkOrder, system: str) -> dict[str, Any]:
    systems = set(wo.systems or [])
    systems.add(system)
    return {"systems": sorted(systems)}


def add_labour_line(
    wo: WorkOrder,
    operation: LabourOperation | str,
    *,
    actor: Any,
    technician: Staff | None = None,
    charge_to: str | None = None,
    at: dt.datetime | None = None,
) -> LabourLine:
    """Add a labour operation at its standard hours and national price."""
    at = at or timezone.now()
    _check_line_edit(wo, actor)
    op = _catalog(LabourOperation, operation, "operation", _("labour operation"))
    charge = _charge_to(wo, charge_to)
    if technician is not None and technician.region_id != wo.region_id:
        raise ValidationError({"technician": _("no active technician of this region")})
    discount = wo.labour_discount_pct if charge == ChargeTo.CONTRACT else Decimal("0")
    amount = _money(op.national_price * (100 - discount) / 100)
    with transaction.atomic():
        line = LabourLine.objects.create(
            work_order=wo,
            operation=op,
            standard_hours=op.standard_hours,
            unit_price=op.national_price,
            discount_pct=discount,
            amount=amount,
            charge_to=charge,
            warranty_months=op.warranty_months,
            technician=technician,
            added_at=at,
        )
        _bump(
            wo,
            {
                **recompute_totals(wo),
                **_line_systems(wo, op.system),
                **({"high_voltage": True} if op.high_voltage else {}),
            },
        )
        _after_lines(wo, at)
    return line


def add_part_line(
    wo: WorkOrder,
    part: Part | str,
    *,
    actor: Any,
    quantity: Any = 1,
    batch_no: str = "",
    supplier: Supplier | str | None = None,
    charge_to: str | None = None,
    at: dt.datetime | None = None,
) -> PartLine:
    """Add a catalog part at its national price; a part not in the catalog is refused."""
    at = at or timezone.now()
    _check_line_edit(wo, actor)
    item = _catalog(Part, part, "part", _("part"))
    try:
        qty = Decimal(str(quantity))
    except (InvalidOperation, ValueError):
        raise ValidationError({"quantity": _("give a quantity")}) from None
    if not qty.is_finite() or qty <= 0 or qty > 9999:
        raise ValidationError({"quantity": _("give a quantity above 0")})
    qty = qty.quantize(CENT)
    supplier_row = _supplier(supplier) if supplier else None
    charge = _charge_to(wo, charge_to)
    discount = wo.parts_discount_pct if charge == ChargeTo.CONTRACT else Decimal("0")
    amount = _money(item.national_price * qty * (100 - discount) / 100)
    with transaction.atomic():
        line = PartLine.objects.create(
            work_order=wo,
            part=item,
            quantity=qty,
            unit_price=item.national_price,
            discount_pct=discount,
            amount=amount,
            charge_to=charge,
            warranty_months=item.warranty_months,
            batch_no=(batch_no or "").strip(),
            supplier=supplier_row,
            added_at=at,
        )
        _bump(wo, {**recompute_totals(wo), **_line_systems(wo, item.system)})
        _after_lines(wo, at)
    return line


def _catalog(model: Any, value: Any, field: str, label: str) -> Any:
    if isinstance(value, model):
        row = value if value.active else None
    else:
        code = str(value or "").strip()
        row = model.objects.filter(code=code, active=True).first() if code else None
    if row is None:
        raise ValidationError(
            {
                field: _("%(what)s %(code)r is not in the national catalog")
                % {"what": label, "code": getattr(value, "code", value)}
            }
        )
    return row


def _supplier(value: Supplier | str) -> Supplier:
    code = value.code if isinstance(value, Supplier) else str(value).strip()
    row = Supplier.objects.filter(code=code, active=True).first()
    if row is None:
        raise ValidationError({"supplier": _("unknown supplier %(code)r") % {"code": code}})
    if not row.genuine:
        raise ValidationError({"supplier": _("only genuine-parts suppliers may be used")})
    return row


def remove_line(line: LabourLine | PartLine, *, actor: Any) -> WorkOrder:
    wo = line.work_order
    _check_line_edit(wo, actor)
    with transaction.atomic():
        line.delete()
        _bump(wo, recompute_totals(wo))
    return wo


def _line_in_work(line: Any, actor: Any) -> WorkOrder:
    wo = line.work_order
    authorise(wo, None, actor)
    if wo.state != S.IN_WORK:
        raise ValidationError(
            {"state": _("operations are started and finished while the work order is in work")}
        )
    return wo


def start_operation(
    line: LabourLine,
    *,
    actor: Any,
    technician: Staff | None = None,
    at: dt.datetime | None = None,
) -> LabourLine:
    at = at or timezone.now()
    wo = _line_in_work(line, actor)
    if line.started_at is not None:
        raise Conflict(_("this operation was already started"), {"line": line.pk})
    if line.operation.high_voltage:
        from .safety import hv_check_missing

        if not wo.high_voltage or hv_check_missing(wo):
            raise ValidationError(
                {
                    "requires": _("still missing: %(list)s")
                    % {
                        "list": "; ".join(
                            hv_check_missing(wo) or [_("the HV check (mark the job high-voltage)")]
                        )
                    }
                }
            )
    who = technician or line.technician or getattr(actor, "staff", None)
    if who is not None and not isinstance(who, Staff):
        who = None
    before = snapshot(line)
    won = LabourLine.objects.filter(pk=line.pk, started_at__isnull=True).update(
        started_at=at, technician=who
    )
    if not won:
        raise Conflict(_("this operation was already started"), {"line": line.pk})
    line.refresh_from_db()
    record([change_for(line, "update", before, snapshot(line))])
    return line


def finish_operation(
    line: LabourLine,
    *,
    actor: Any,
    at: dt.datetime | None = None,
    actual_hours: Any = None,
) -> LabourLine:
    """Finish an operation; actual hours are the time since it started unless given."""
    at = at or timezone.now()
    _line_in_work(line, actor)
    if line.finished_at is not None:
        raise Conflict(_("this operation was already finished"), {"line": line.pk})
    if actual_hours is None:
        if line.started_at is None:
            raise ValidationError(
                {"actual_hours": _("start the operation first, or give the actual hours")}
            )
        hours = Decimal((at - line.started_at).total_seconds()) / Decimal(3600)
    else:
        try:
            hours = Decimal(str(actual_hours))
        except (InvalidOperation, ValueError):
            raise ValidationError({"actual_hours": _("give the actual hours")}) from None
        if not hours.is_finite() or hours <= 0 or hours > 999:
            raise ValidationError({"actual_hours": _("give the actual hours (above 0)")})
    hours = max(hours.quantize(CENT, rounding=ROUND_HALF_UP), CENT)
    before = snapshot(line)
    won = LabourLine.objects.filter(pk=line.pk, finished_at__isnull=True).update(
        finished_at=at, actual_hours=hours, started_at=line.started_at or at
    )
    if not won:
        raise Conflict(_("this operation was already finished"), {"line": line.pk})
    line.refresh_from_db()
    record([change_for(line, "update", before, snapshot(line))])
    return line


def record_part_fitted(
    line: PartLine,
    *,
    actor: Any,
    batch_no: str,
    supplier: Supplier | str,
    at: dt.datetime | None = None,
) -> PartLine:
    """PRT-3: record the batch and supplier of a part as it is fitted."""
    at = at or timezone.now()
    wo = line.work_order
    authorise(wo, None, actor)
    if wo.state not in (S.APPROVED, S.IN_WORK, *LINE_EDIT_STATES):
        raise ValidationError({"state": _("parts are fitted before the work is finished")})
    errors = {}
    if not (batch_no or "").strip():
        errors["batch_no"] = _("give the part's batch number")
    if not supplier:
        errors["supplier"] = _("give the part's supplier")
    if errors:
        raise ValidationError(errors)
    row = _supplier(supplier)
    line.batch_no, line.supplier, line.fitted_at = batch_no.strip()[:64], row, at
    line.save(update_fields=["batch_no", "supplier", "fitted_at"])
    return line
