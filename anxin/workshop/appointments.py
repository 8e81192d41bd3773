"""The action functions of an appointment (预约, WS-1).

Booking assigns the outlet automatically (:mod:`anxin.workshop.assignment`) and starts the
30-minute response clock; the outlet confirms, proposes another slot or declines with a reason;
the desk can reassign with a reason. Each change is a conditional update on state and version
with a stored :class:`AppointmentTransition` row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.accounts.permissions import restrict
from anxin.api.base import Conflict
from anxin.audit.changelog import change_for, record, snapshot
from anxin.commitments.api import on_event, on_state
from anxin.commitments.choices import OPEN_STATES as OPEN_CLOCK_STATES
from anxin.commitments.models import Clock
from anxin.core.validators import normalise_vin, validate_phone, validate_vin
from anxin.customers.models import Customer, Powertrain, Vehicle
from anxin.dispatching.travel import great_circle_m
from anxin.network.models import City, Outlet, Region

from . import assignment, messages
from .actions import contract_for, create_work_order, next_number
from .choices import AppointmentChannel, AppointmentState, JobType, ResponseKind
from .models import Appointment, AppointmentTransition, OutletAssignment, WorkOrder
from .transitions import APPOINTMENT_TRANSITIONS
from .transitions import AppointmentTransition as ATransition

CLOCK_KIND = "appointment"
A = AppointmentState
MAX_DAYS_AHEAD = 90


def fresh_state(appt: Appointment) -> dict[str, Any]:
    row = Appointment.objects.filter(pk=appt.pk).values("state", "version", "outlet_id").first()
    row = row or {}
    return {
        "state": row.get("state"),
        "version": row.get("version"),
        "outlet": row.get("outlet_id"),
    }


def _authenticated(actor: Any) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def clock_attrs(appt: Appointment) -> dict[str, Any]:
    return {"region": appt.region_id, "number": appt.number, "language": "zh-hans"}


def _authorise(appt: Appointment, t: ATransition, actor: Any, public: bool) -> None:
    if public and t.public:
        return
    if not _authenticated(actor):
        raise PermissionDenied(_("sign in first"))
    if not restrict(Appointment.objects.filter(pk=appt.pk), actor, "change").exists():
        raise PermissionDenied(_("this appointment is not yours to change"))
    if not (actor.is_superuser or actor.role in t.roles):
        raise PermissionDenied(_("your role may not “%(action)s”") % {"action": t.label})


def _perform(
    appt: Appointment,
    name: str,
    *,
    actor: Any,
    reason: str = "",
    at: dt.datetime | None = None,
    data: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
    public: bool = False,
) -> Appointment:
    t = APPOINTMENT_TRANSITIONS[name]
    at = at or timezone.now()
    _authorise(appt, t, actor, public)
    if appt.state not in t.sources:
        raise Conflict(
            _("“%(action)s” is not possible while the appointment is %(state)s")
            % {"action": t.label, "state": appt.get_state_display()},
            fresh_state(appt),
        )
    if t.needs_reason and not (reason or "").strip():
        raise ValidationError({"reason": _("give a reason")})
    with transaction.atomic():
        source = appt.state
        before = snapshot(appt)
        won = Appointment.objects.filter(pk=appt.pk, state=appt.state, version=appt.version).update(
            state=t.target, version=F("version") + 1, **(fields or {})
        )
        if not won:
            raise Conflict(
                _("the appointment changed meanwhile; reload and try again"), fresh_state(appt)
            )
        appt.refresh_from_db()
        record([change_for(appt, "update", before, snapshot(appt))])
        AppointmentTransition.objects.create(
            appointment=appt,
            from_state=source,
            to_state=t.target,
            at=at,
            actor=actor if _authenticated(actor) else None,
            actor_label=(getattr(actor, "username", "") or "") if actor else "customer",
            reason=(reason or "").strip(),
            data=data or {},
        )
        if t.clock_event == "reassigned":
            if not _response_clock_running(appt):
                on_event(CLOCK_KIND, appt.pk, "reassigned", at=at, attrs=clock_attrs(appt))
        elif t.clock_event:
            on_event(CLOCK_KIND, appt.pk, t.clock_event, at=at, attrs=clock_attrs(appt))
        if t.target not in (A.CANCELLED, A.NO_SHOW):
            on_state(CLOCK_KIND, appt.pk, t.target, at=at)
    return appt


def _response_clock_running(appt: Appointment) -> bool:
    return Clock.objects.filter(
        job_kind=CLOCK_KIND, job_id=str(appt.pk), state__in=OPEN_CLOCK_STATES
    ).exists()


# --- customer and vehicle ----------------------------------------------------------------
def nearest_region(lat: float, lon: float) -> Region | None:
    cities = list(City.objects.select_related("region"))
    if not cities:
        return Region.objects.order_by("pk").first()
    city = min(cities, key=lambda c: float(great_circle_m(lat, lon, c.lat, c.lon)))
    return city.region


def resolve_customer_vehicle(
    *,
    vin: str,
    phone: str,
    name: str = "",
    plate: str = "",
    brand: str = "",
    model: str = "",
    powertrain: str = "",
    region: Region | None = None,
    lat: float | None = None,
    lon: float | None = None,
) -> tuple[Customer, Vehicle]:
    """Find (or register) the customer and the vehicle of a booking by VIN and phone.

    A VIN that fails its check digit is refused on field ``vin``; an unknown VIN needs brand,
    model and powertrain to register the vehicle.
    """
    errors: dict[str, Any] = {}
    try:
        validate_vin(vin)
    except ValidationError as exc:
        errors["vin"] = exc.messages
    try:
        validate_phone(phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages
    if errors:
        raise ValidationError(errors)
    vin = normalise_vin(vin)
    vehicle = Vehicle.objects.filter(vin=vin).select_related("owner").first()
    if region is None and lat is not None and lon is not None:
        region = nearest_region(lat, lon)
    if vehicle is None:
        missing = {
            "brand": brand.strip(),
            "model": model.strip(),
            "powertrain": powertrain if powertrain in Powertrain.values else "",
        }
        errors = {k: _("needed to register a new vehicle") for k, v in missing.items() if not v}
        if region is None:
            errors["region"] = _("give the place so the region can be found")
        if errors:
            raise ValidationError(errors)
    customer = None
    if vehicle is not None and vehicle.owner is not None and vehicle.owner.phone == phone:
        customer = vehicle.owner
    if customer is None:
        customer = Customer.objects.filter(phone=phone).order_by("pk").first()
    with transaction.atomic():
        if customer is None:
            customer = Customer(
                name=(name or "").strip()[:100] or _("Customer"),
                phone=phone,
                region=region or vehicle.region,  # type: ignore[union-attr]
            )
            customer.full_clean()
            customer.save()
        if vehicle is None:
            vehicle = Vehicle(
                vin=vin,
                plate=(plate or "").strip().upper(),
                brand=brand.strip(),
                model=model.strip(),
                powertrain=powertrain,
                owner=customer,
                region=region,
            )
            vehicle.full_clean()
            vehicle.save()
    return customer, vehicle


# --- booking -----------------------------------------------------------------------------
def book_appointment(
    *,
    actor: Any,
    vehicle: Vehicle,
    contact_phone: str,
    job_type: str,
    preferred_at: dt.datetime,
    lat: float,
    lon: float,
    channel: str = AppointmentChannel.PHONE,
    customer: Customer | None = None,
    contact_name: str = "",
    service_items: Any = (),
    description: str = "",
    address: str = "",
    needs: list[str] | None = None,
    at: dt.datetime | None = None,
) -> Appointment:
    """Book, assign the nearest capable outlet with room in the slot, start the 30-min clock.

    ``actor`` is None for the public page. When no outlet qualifies the appointment is still
    stored (unassigned) with every candidate's reason, for the desk to reassign by hand.
    """
    at = at or timezone.now()
    errors: dict[str, Any] = {}
    if job_type not in JobType.values:
        errors["job_type"] = _("choose a job type")
    if channel not in AppointmentChannel.values:
        errors["channel"] = _("unknown channel")
    if preferred_at is None or timezone.is_naive(preferred_at):
        errors["preferred_at"] = _("give the preferred time with its time zone")
    elif preferred_at < at - dt.timedelta(minutes=5):
        errors["preferred_at"] = _("the preferred time is in the past")
    elif preferred_at > at + dt.timedelta(days=MAX_DAYS_AHEAD):
        errors["preferred_at"] = _("book at most %(n)d days ahead") % {"n": MAX_DAYS_AHEAD}
    try:
        validate_phone(contact_phone)
    except ValidationError as exc:
        errors["contact_phone"] = exc.messages
    items = [str(i).strip()[:100] for i in (service_items or []) if str(i).strip()][:20]
    if errors:
        raise ValidationError(errors)
    if _authenticated(actor):
        from anxin.accounts.permissions import may_change

        if not may_change(actor, Appointment):
            raise PermissionDenied(_("your role may not book appointments"))
    needed = sorted(
        set(needs if needs is not None else assignment.needs_for(vehicle, job_type, items))
    )
    slot = assignment.slot_of(preferred_at)
    customer = customer or vehicle.owner
    appt = Appointment(
        number="pending",
        channel=channel,
        customer=customer,
        vehicle=vehicle,
        contact_name=(contact_name or "").strip()[:100],
        contact_phone=contact_phone,
        job_type=job_type,
        service_items=items,
        description=(description or "").strip()[:2000],
        needs=needed,
        preferred_at=preferred_at,
        slot_start=slot,
        lat=lat,
        lon=lon,
        address=(address or "").strip()[:300],
        created_at=at,
        created_by=actor if _authenticated(actor) else None,
    )
    designated = _designated(vehicle, customer, at)
    candidates = assignment.rank_outlets(
        lat=lat, lon=lon, needs=needed, slot_start=slot, designated=designated
    )
    chosen = assignment.best(candidates)
    appt.outlet_id = chosen.outlet if chosen else None
    if chosen:
        appt.region_id = Outlet.objects.values_list("region_id", flat=True).get(pk=chosen.outlet)
    else:
        appt.region_id = vehicle.region_id
    appt.full_clean(exclude=["number", "token"])
    for _attempt in range(5):
        try:
            with transaction.atomic():
                appt.number = next_number(at, "AP", Appointment)
                appt.save(force_insert=True)
                _store_assignment(appt, chosen, candidates, actor=None, at=at, automatic=True)
                AppointmentTransition.objects.create(
                    appointment=appt,
                    from_state="",
                    to_state=A.BOOKED,
                    at=at,
                    actor=appt.created_by,
                    actor_label=getattr(appt.created_by, "username", "") or "public",
                    data={"channel": channel, "outlet": chosen.code if chosen else ""},
                )
                on_event(CLOCK_KIND, appt.pk, "booked", at=at, attrs=clock_attrs(appt))
                messages.appointment_new(appt, 0)
            return appt
        except IntegrityError:
            appt.pk = None
            appt._state.adding = True
    raise Conflict(_("could not allocate an appointment number; try again"))


def _designated(vehicle: Vehicle, customer: Customer | None, at: dt.datetime) -> set[int]:
    from anxin.customers.models import RepairContract

    fleet_id = vehicle.fleet_id or (customer.fleet_id if customer else None)
    if fleet_id is None:
        return set()
    day = timezone.localdate(at)
    ids = RepairContract.objects.filter(
        fleet_id=fleet_id, valid_from__lte=day, valid_until__gte=day
    ).values_list("outlets", flat=True)
    return {i for i in ids if i is not None}


def _store_assignment(
    appt: Appointment,
    chosen: assignment.Candidate | None,
    candidates: list[assignment.Candidate],
    *,
    actor: Any,
    at: dt.datetime,
    automatic: bool,
    reason: str = "",
) -> OutletAssignment:
    if not reason:
        if chosen is not None:
            reason = "; ".join(chosen.reasons)
        else:
            reason = _("no outlet qualifies: the desk must assign by hand")
    return OutletAssignment.objects.create(
        appointment=appt,
        outlet_id=chosen.outlet if chosen else None,
        automatic=automatic,
        reason=reason,
        travel_seconds=chosen.travel_seconds if chosen else None,
        candidates=[c.as_dict() for c in candidates],
        at=at,
        actor=actor if _authenticated(actor) else None,
    )


# --- the outlet's answer -----------------------------------------------------------------
def respond(
    appt: Appointment,
    *,
    actor: Any,
    kind: str,
    note: str = "",
    proposed_at: dt.datetime | None = None,
    at: dt.datetime | None = None,
) -> Appointment:
    """The outlet's answer within 30 minutes: confirm, propose another slot, or decline."""
    at = at or timezone.now()
    if kind not in ResponseKind.values:
        raise ValidationError({"kind": _("confirm, propose another slot or decline")})
    if appt.outlet_id is None:
        raise ValidationError({"outlet": _("assign an outlet first")})
    if (
        _authenticated(actor)
        and getattr(actor, "outlet_id", None)
        and actor.outlet_id != appt.outlet_id
        and not actor.is_national
    ):
        raise PermissionDenied(_("only the assigned outlet answers the appointment"))
    fields: dict[str, Any] = {
        "response": kind,
        "responded_at": at,
        "response_note": (note or "").strip(),
    }
    name = {"confirm": "confirm", "propose": "propose", "decline": "decline"}[kind]
    if kind == ResponseKind.PROPOSE:
        if proposed_at is None or timezone.is_naive(proposed_at):
            raise ValidationError({"proposed_at": _("give the proposed time")})
        if proposed_at < at:
            raise ValidationError({"proposed_at": _("the proposed time is in the past")})
        slot = assignment.slot_of(proposed_at)
        outlet = appt.outlet
        if not assignment.is_open(outlet, slot):
            raise ValidationError({"proposed_at": _("the outlet is closed at that time")})
        slot_left, day_left = assignment.capacity_left(outlet, slot, exclude=appt.pk)
        if slot_left <= 0 or day_left <= 0:
            raise ValidationError({"proposed_at": _("that slot is full too")})
        fields["proposed_at"] = slot
    if kind == ResponseKind.CONFIRM and appt.slot_start:
        slot_left, day_left = assignment.capacity_left(
            appt.outlet, appt.slot_start, exclude=appt.pk
        )
        if slot_left <= 0 or day_left <= 0:
            raise ValidationError(
                {"kind": _("the slot is full meanwhile: propose another slot instead")}
            )
    with transaction.atomic():
        appt = _perform(
            appt,
            name,
            actor=actor,
            reason=note if kind == ResponseKind.DECLINE else "",
            at=at,
            fields=fields,
            data={
                "outlet": appt.outlet_id,
                "proposed_at": fields["proposed_at"].isoformat()
                if "proposed_at" in fields
                else None,
            },
        )
        messages.appointment_answer(appt, kind, appt.version)
    return appt


def accept_proposal(
    appt: Appointment, *, actor: Any = None, at: dt.datetime | None = None, public: bool = False
) -> Appointment:
    """The customer takes the proposed slot (by the personal link, or told to the desk)."""
    if appt.proposed_at is None:
        raise ValidationError({"proposed_at": _("no slot was proposed")})
    return _perform(
        appt,
        "accept_proposal",
        actor=actor,
        at=at,
        public=public,
        fields={"slot_start": appt.proposed_at},
    )


def appointment_for_token(token: str) -> Appointment:
    appt = Appointment.objects.filter(token=token).first() if token else None
    if appt is None:
        raise ValidationError({"token": _("this link is not valid")})
    return appt


def reassign(
    appt: Appointment,
    *,
    actor: Any,
    reason: str,
    outlet: Outlet | None = None,
    at: dt.datetime | None = None,
) -> Appointment:
    """Give the appointment to another outlet (by hand, or the next best automatically).

    Outlets that declined it before are not chosen automatically. The new outlet must answer
    within 30 minutes again.
    """
    at = at or timezone.now()
    if not (reason or "").strip():
        raise ValidationError({"reason": _("give a reason")})
    declined_ids = {
        row.data.get("outlet")
        for row in appt.transitions.filter(to_state=A.DECLINED)
        if isinstance(row.data.get("outlet"), int)
    }
    slot = appt.slot_start or assignment.slot_of(appt.preferred_at)
    candidates = assignment.rank_outlets(
        lat=appt.lat,
        lon=appt.lon,
        needs=list(appt.needs or []),
        slot_start=slot,
        designated=_designated(appt.vehicle, appt.customer, at),
        exclude=declined_ids | ({appt.outlet_id} if appt.outlet_id and outlet is None else set()),
        appointment_id=appt.pk,
    )
    if outlet is not None:
        if (
            _authenticated(actor)
            and not restrict(Outlet.objects.filter(pk=outlet.pk), actor, "view").exists()
        ):
            raise PermissionDenied(_("this outlet is not in your region"))
        if outlet.pk == appt.outlet_id:
            raise ValidationError({"outlet": _("the appointment is already with this outlet")})
        chosen = next((c for c in candidates if c.outlet == outlet.pk), None)
        if chosen is None:
            chosen = assignment.rank_outlets(
                lat=appt.lat,
                lon=appt.lon,
                needs=list(appt.needs or []),
                slot_start=slot,
                appointment_id=appt.pk,
                outlets=[outlet],
            )[0]
        hard = [r for r in chosen.reasons if not chosen.eligible and "declined" not in r]
        if not chosen.eligible and hard:
            raise ValidationError(
                {
                    "outlet": _("%(outlet)s cannot take it: %(why)s")
                    % {"outlet": outlet.name, "why": "; ".join(hard)}
                }
            )
        automatic = False
    else:
        chosen = assignment.best(candidates)
        if chosen is None:
            raise ValidationError({"outlet": _("no other outlet qualifies; choose one by hand")})
        automatic = True
    new_region = Outlet.objects.values_list("region_id", flat=True).get(pk=chosen.outlet)
    with transaction.atomic():
        previous = appt.outlet_id
        appt = _perform(
            appt,
            "reassign",
            actor=actor,
            reason=reason,
            at=at,
            data={"outlet": previous, "to": chosen.outlet},
            fields={
                "outlet_id": chosen.outlet,
                "region_id": new_region,
                "response": "",
                "responded_at": None,
                "proposed_at": None,
                "slot_start": slot,
            },
        )
        _store_assignment(
            appt,
            chosen,
            candidates,
            actor=actor,
            at=at,
            automatic=automatic,
            reason=(reason.strip() + " — " + "; ".join(chosen.reasons)),
        )
        messages.appointment_new(appt, appt.version)
    return appt


def mark_no_show(appt: Appointment, *, actor: Any, at: dt.datetime | None = None) -> Appointment:
    return _perform(appt, "no_show", actor=actor, at=at)


def cancel_appointment(
    appt: Appointment,
    *,
    actor: Any,
    reason: str,
    at: dt.datetime | None = None,
    public: bool = False,
) -> Appointment:
    return _perform(
        appt,
        "cancel",
        actor=actor,
        reason=reason,
        at=at,
        public=public,
        fields={"cancel_reason": (reason or "").strip()},
    )


def open_work_order(
    appt: Appointment, *, actor: Any, at: dt.datetime | None = None, **fields: Any
) -> WorkOrder:
    """The vehicle arrived: open its work order from the appointment (reception)."""
    at = at or timezone.now()
    if appt.outlet_id is None:
        raise ValidationError({"outlet": _("assign an outlet first")})
    customer = appt.customer or appt.vehicle.owner
    if customer is None:
        raise ValidationError({"customer": _("the appointment has no customer")})
    with transaction.atomic():
        appt = _perform(appt, "arrive", actor=actor, at=at)
        fields.setdefault("complaint", appt.description)
        return create_work_order(
            actor=actor,
            outlet=appt.outlet,
            customer=customer,
            vehicle=appt.vehicle,
            job_type=fields.pop("job_type", appt.job_type),
            appointment=appt,
            at=at,
            **fields,
        )


__all__ = [
    "accept_proposal",
    "appointment_for_token",
    "book_appointment",
    "cancel_appointment",
    "contract_for",
    "mark_no_show",
    "open_work_order",
    "reassign",
    "resolve_customer_vehicle",
    "respond",
]
