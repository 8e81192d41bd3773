"""Workshop API (WS-1..9): appointments, work orders and their transitions, lines, the three
checks, the HV check, quote approval by personal link, remote expert requests, the archive.

Every row comes through ``visible`` (``restrict``); every write is an action function of
:mod:`anxin.workshop.actions`, :mod:`.appointments`, :mod:`.checks`, :mod:`.safety` or
:mod:`.expert`, so the API refuses exactly what the pages refuse.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Field, File, FilterLookup, FilterSchema, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from anxin.accounts.permissions import may_change
from anxin.api.base import Conflict, get_visible, visible
from anxin.api.pagination import Pages
from anxin.api.types import Id, IsoDateTime, Latitude, Longitude
from anxin.customers.models import Customer, Vehicle
from anxin.network.models import Outlet
from anxin.people.models import Staff

from . import actions, checks, expert, safety
from . import appointments as ap
from .archive import vehicle_timeline
from .choices import (
    AppointmentChannel,
    AppointmentState,
    ApprovalVia,
    ChargeTo,
    ExpertState,
    InspectionStage,
    JobType,
    ResponseKind,
    VehicleSystem,
    WorkOrderState,
)
from .ework import ework_data
from .models import (
    Appointment,
    ExpertRequest,
    LabourLine,
    LabourOperation,
    Part,
    PartLine,
    WorkOrder,
)
from .transitions import TRANSITIONS

router = Router()

Text = Annotated[str, Field(max_length=2000)]
Short = Annotated[str, Field(max_length=100)]
Code = Annotated[str, Field(min_length=1, max_length=40)]
Version = Annotated[int, Field(ge=1, le=2**31)]


def _ref(request: HttpRequest, model: Any, pk: int | None, field: str) -> Any:
    if pk is None:
        return None
    obj = visible(request, model).filter(pk=pk).first()
    if obj is None:
        raise ValidationError({field: "no such record, or not in your region"})
    return obj


def _version(obj: Any, expected: int | None, fresh: Any) -> None:
    if expected is not None and expected != obj.version:
        raise Conflict("it changed since you loaded it; reload and try again", fresh(obj))


# --- schemas -----------------------------------------------------------------------------
class TransitionOut(Schema):
    from_state: str
    to_state: str
    at: dt.datetime
    actor_label: str
    reason: str


class AssignmentOut(Schema):
    outlet: int | None = Field(None, alias="outlet_id")
    automatic: bool
    reason: str
    travel_seconds: float | None
    candidates: list[dict[str, Any]]
    at: dt.datetime


class AppointmentOut(Schema):
    id: int
    number: str
    state: AppointmentState
    version: int
    channel: AppointmentChannel
    customer: int | None = Field(None, alias="customer_id")
    vehicle: int = Field(alias="vehicle_id")
    contact_name: str = Field(alias="masked_contact_name")
    contact_phone: str = Field(alias="masked_contact_phone")
    job_type: JobType
    service_items: list[str]
    description: str
    needs: list[str]
    preferred_at: dt.datetime
    slot_start: dt.datetime | None
    proposed_at: dt.datetime | None
    lat: float
    lon: float
    address: str
    outlet: int | None = Field(None, alias="outlet_id")
    region: int = Field(alias="region_id")
    response: str
    responded_at: dt.datetime | None
    response_note: str
    cancel_reason: str
    created_at: dt.datetime


class AppointmentDetailOut(AppointmentOut):
    assignments: list[AssignmentOut]
    transitions: list[TransitionOut]
    work_order: int | None = None

    @staticmethod
    def resolve_assignments(obj: Appointment) -> list[Any]:
        return list(obj.assignments.all())

    @staticmethod
    def resolve_transitions(obj: Appointment) -> list[Any]:
        return list(obj.transitions.all())

    @staticmethod
    def resolve_work_order(obj: Appointment) -> int | None:
        return WorkOrder.objects.filter(appointment=obj).values_list("pk", flat=True).first()


class AppointmentIn(Schema):
    vehicle_id: Id | None = None
    vin: str | None = Field(None, max_length=17, description="the vehicle by VIN (checked)")
    plate: str = Field("", max_length=16)
    brand: str = Field("", max_length=64, description="to register an unknown VIN")
    model: str = Field("", max_length=64)
    powertrain: Literal["", "ice", "hev", "bev"] = ""
    contact_name: Short = ""
    contact_phone: str = Field(min_length=3, max_length=20)
    job_type: JobType
    service_items: list[Short] = Field([], max_length=20)
    description: Text = ""
    preferred_at: IsoDateTime
    lat: Latitude
    lon: Longitude
    address: str = Field("", max_length=300)
    channel: Literal["app", "phone", "web", "walk_in"] = "app"


class RespondIn(Schema):
    kind: ResponseKind
    note: Text = ""
    proposed_at: IsoDateTime | None = None
    expected_version: Version | None = None


class ReasonIn(Schema):
    reason: Text = ""
    expected_version: Version | None = None


class ReassignIn(ReasonIn):
    outlet_id: Id | None = Field(None, description="empty: the next best outlet automatically")


class ArriveIn(Schema):
    mileage_km: int | None = Field(None, ge=0, le=5_000_000)
    high_voltage: bool | None = None
    complaint: Text | None = None
    expected_version: Version | None = None


class LabourLineOut(Schema):
    id: int
    operation: str
    operation_name: str
    system: str
    standard_hours: Decimal
    actual_hours: Decimal | None
    unit_price: Decimal
    discount_pct: Decimal
    amount: Decimal
    charge_to: ChargeTo
    warranty_months: int
    technician: int | None = Field(None, alias="technician_id")
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @staticmethod
    def resolve_operation(obj: LabourLine) -> str:
        return obj.operation.code

    @staticmethod
    def resolve_operation_name(obj: LabourLine) -> str:
        return obj.operation.name

    @staticmethod
    def resolve_system(obj: LabourLine) -> str:
        return obj.operation.system


class PartLineOut(Schema):
    id: int
    part: str
    part_name: str
    system: str
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    amount: Decimal
    charge_to: ChargeTo
    warranty_months: int
    batch_no: str
    supplier: str
    fitted_at: dt.datetime | None

    @staticmethod
    def resolve_part(obj: PartLine) -> str:
        return obj.part.code

    @staticmethod
    def resolve_part_name(obj: PartLine) -> str:
        return obj.part.name

    @staticmethod
    def resolve_system(obj: PartLine) -> str:
        return obj.part.system

    @staticmethod
    def resolve_supplier(obj: PartLine) -> str:
        return obj.supplier.code if obj.supplier_id else ""


class InspectionOut(Schema):
    stage: InspectionStage
    items: list[dict[str, Any]]
    results: dict[str, Any]
    remarks: str
    passed: bool | None
    responsible: int | None = Field(None, alias="responsible_id")
    signed_at: dt.datetime | None
    photos: list[str]
    missing: list[str]

    @staticmethod
    def resolve_photos(obj: Any) -> list[str]:
        return [p.item for p in obj.photos.all()]

    @staticmethod
    def resolve_missing(obj: Any) -> list[str]:
        return checks.inspection_missing(obj.work_order, obj.stage)


class WorkOrderOut(Schema):
    id: int
    number: str
    state: WorkOrderState
    version: int
    appointment: int | None = Field(None, alias="appointment_id")
    customer: int = Field(alias="customer_id")
    vehicle: int = Field(alias="vehicle_id")
    outlet: int = Field(alias="outlet_id")
    region: int = Field(alias="region_id")
    job_type: JobType
    inspection_kind: str
    warranty_cover: str
    high_voltage: bool
    systems: list[str]
    complaint: str
    diagnosis: str
    fault_codes: list[str]
    mileage_km: int | None
    oil_brand: str
    oil_grade: str
    technician: int | None = Field(None, alias="technician_id")
    contract: int | None = Field(None, alias="contract_id")
    rework_of: int | None = Field(None, alias="rework_of_id")
    rework_system: str
    quote_version: int
    total_amount: Decimal
    customer_amount: Decimal
    paid_amount: Decimal | None
    payment_method: str
    cancel_reason: str
    received_at: dt.datetime
    approved_at: dt.datetime | None
    work_started_at: dt.datetime | None
    delivered_at: dt.datetime | None
    settled_at: dt.datetime | None


class WorkOrderDetailOut(WorkOrderOut):
    labour_lines: list[LabourLineOut]
    part_lines: list[PartLineOut]
    inspections: list[InspectionOut]
    transitions: list[TransitionOut]
    available: list[str]
    hv_checked: bool

    @staticmethod
    def resolve_labour_lines(obj: WorkOrder) -> list[Any]:
        return list(obj.labour_lines.select_related("operation"))

    @staticmethod
    def resolve_part_lines(obj: WorkOrder) -> list[Any]:
        return list(obj.part_lines.select_related("part", "supplier"))

    @staticmethod
    def resolve_inspections(obj: WorkOrder) -> list[Any]:
        return list(obj.inspections.all())

    @staticmethod
    def resolve_transitions(obj: WorkOrder) -> list[Any]:
        return list(obj.transitions.all())

    @staticmethod
    def resolve_available(obj: WorkOrder) -> list[str]:
        return [t.name for t in TRANSITIONS.values() if obj.state in t.sources]

    @staticmethod
    def resolve_hv_checked(obj: WorkOrder) -> bool:
        return obj.hv_checks.exists()


class WorkOrderIn(Schema):
    outlet_id: Id
    vehicle_id: Id | None = None
    vin: str | None = Field(None, max_length=17)
    customer_id: Id | None = None
    job_type: JobType
    inspection_kind: Literal["", "safety", "emissions", "performance"] = ""
    warranty_cover: Literal["", "free", "paid"] = ""
    high_voltage: bool = False
    systems: list[VehicleSystem] = Field([], max_length=20)
    complaint: Text = ""
    fault_codes: list[Annotated[str, Field(max_length=16)]] = Field([], max_length=50)
    mileage_km: int | None = Field(None, ge=0, le=5_000_000)
    promised_at: IsoDateTime | None = None
    technician_id: Id | None = None


class DetailsIn(Schema):
    complaint: Text | None = None
    diagnosis: Text | None = None
    fault_codes: list[Annotated[str, Field(max_length=16)]] | None = Field(None, max_length=50)
    systems: list[VehicleSystem] | None = Field(None, max_length=20)
    mileage_km: int | None = Field(None, ge=0, le=5_000_000)
    high_voltage: bool | None = None
    oil_brand: Short | None = None
    oil_grade: Annotated[str, Field(max_length=40)] | None = None
    technician_id: Id | None = None
    expected_version: Version | None = None


class WorkOrderTransitionIn(Schema):
    name: str = Field(
        max_length=32,
        description="start_diagnosis, prepare_quote, send_quote, approve_quote, reject_quote, "
        "start_work, finish_work, fail_check, pass_check, deliver, settle, cancel",
    )
    reason: Text = ""
    expected_version: Version | None = None
    signer_name: Short = Field("", description="approve_quote: who approves (in person)")
    signature: str = Field("", max_length=200_000, description="approve_quote: SVG signature")
    paid_amount: Decimal | None = Field(None, ge=0, le=10**9, decimal_places=2)
    payment_method: Literal["", "cash", "card", "wechat", "alipay", "contract", "warranty"] = ""


class LabourLineIn(Schema):
    operation: Code = Field(description="labour operation code from the national catalog")
    technician_id: Id | None = None
    charge_to: Literal["", "customer", "warranty", "contract"] = ""


class PartLineIn(Schema):
    part: Code = Field(description="part number from the national catalog")
    quantity: Decimal = Field(Decimal("1"), gt=0, le=9999, decimal_places=2)
    batch_no: Annotated[str, Field(max_length=64)] = ""
    supplier: Annotated[str, Field(max_length=32)] = ""
    charge_to: Literal["", "customer", "warranty", "contract"] = ""


class FinishIn(Schema):
    actual_hours: Decimal | None = Field(None, gt=0, le=999, decimal_places=2)


class FittedIn(Schema):
    batch_no: Annotated[str, Field(min_length=1, max_length=64)]
    supplier: Annotated[str, Field(min_length=1, max_length=32)]


class InspectionIn(Schema):
    results: dict[Annotated[str, Field(max_length=40)], bool | float | str | None] = Field(
        default_factory=dict, max_length=100
    )
    responsible_id: Id | None = None
    remarks: Text = ""
    sign: bool = True


class HVCheckIn(Schema):
    technician_id: Id
    discharged: bool
    residual_voltage: Decimal = Field(ge=0, le=2000, decimal_places=1)
    insulation_mohm: Decimal = Field(ge=0, le=100_000, decimal_places=3)
    remarks: Text = ""


class HVCheckOut(Schema):
    id: int
    technician: int = Field(alias="technician_id")
    certification: int = Field(alias="certification_id")
    residual_voltage: Decimal
    insulation_mohm: Decimal
    nominal_voltage: int
    recorded_at: dt.datetime


class QuoteOut(Schema):
    number: str
    state: WorkOrderState
    quote_version: int
    quote: dict[str, Any]
    outlet: str
    vehicle: str
    expires_at: dt.datetime | None


class ApproveIn(Schema):
    signer_name: Annotated[str, Field(min_length=1, max_length=100)]
    signature: str = Field("", max_length=200_000)
    quote_version: Version | None = None


class RejectIn(Schema):
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class ExpertIn(Schema):
    question: Annotated[str, Field(min_length=1, max_length=4000)]
    fault_codes: list[Annotated[str, Field(max_length=16)]] = Field([], max_length=50)


class MessageOut(Schema):
    author_label: str
    from_expert: bool
    body: str
    at: dt.datetime


class ExpertOut(Schema):
    id: int
    work_order: int = Field(alias="work_order_id")
    state: ExpertState
    version: int
    question: str
    fault_codes: list[str]
    requested_at: dt.datetime
    expert: int | None = Field(None, alias="expert_id")
    first_response_at: dt.datetime | None
    first_response_seconds: float | None
    resolved_at: dt.datetime | None
    resolution: str
    messages: list[MessageOut]

    @staticmethod
    def resolve_messages(obj: ExpertRequest) -> list[Any]:
        return list(obj.messages.all())


class BodyIn(Schema):
    body: Annotated[str, Field(min_length=1, max_length=4000)]


class ResolveIn(Schema):
    resolution: Annotated[str, Field(min_length=1, max_length=4000)]


class CatalogOut(Schema):
    code: str
    name: str
    system: str
    national_price: Decimal
    warranty_months: int
    standard_hours: Decimal | None = None
    unit: str | None = None


class TimelineOut(Schema):
    at: dt.datetime
    kind: str
    title: str
    detail: str
    number: str
    state: str


class AppointmentFilter(FilterSchema):
    state: Annotated[AppointmentState | None, FilterLookup("state")] = None
    outlet: Annotated[Id | None, FilterLookup("outlet_id")] = None


class WorkOrderFilter(FilterSchema):
    state: Annotated[WorkOrderState | None, FilterLookup("state")] = None
    outlet: Annotated[Id | None, FilterLookup("outlet_id")] = None
    vehicle: Annotated[Id | None, FilterLookup("vehicle_id")] = None
    job_type: Annotated[JobType | None, FilterLookup("job_type")] = None


class CatalogFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["code__icontains", "name__icontains"])] = Field(
        None, max_length=50
    )
    system: Annotated[VehicleSystem | None, FilterLookup("system")] = None


# --- appointments ------------------------------------------------------------------------
@router.get("/appointments", response=list[AppointmentOut])
@paginate(Pages, page_size=50)
def list_appointments(request: HttpRequest, filters: Query[AppointmentFilter]) -> Any:
    return filters.filter(visible(request, Appointment))


@router.get("/appointments/{appointment_id}", response=AppointmentDetailOut)
def get_appointment(request: HttpRequest, appointment_id: Id) -> Any:
    return get_visible(request, Appointment, appointment_id)


@router.post("/appointments", response={201: AppointmentDetailOut})
def create_appointment(request: HttpRequest, payload: AppointmentIn) -> Any:
    """Book from the app, a partner or the desk; the outlet is assigned automatically."""
    if not may_change(request.user, Appointment):
        raise PermissionDenied("your role may not book appointments")
    vehicle = _ref(request, Vehicle, payload.vehicle_id, "vehicle_id")
    customer = None
    if vehicle is None:
        if not payload.vin:
            raise ValidationError({"vehicle_id": "give the vehicle (id or VIN)"})
        customer, vehicle = ap.resolve_customer_vehicle(
            vin=payload.vin,
            phone=payload.contact_phone,
            name=payload.contact_name,
            plate=payload.plate,
            brand=payload.brand,
            model=payload.model,
            powertrain=payload.powertrain,
            lat=payload.lat,
            lon=payload.lon,
        )
    appt = ap.book_appointment(
        actor=request.user,
        vehicle=vehicle,
        customer=customer or vehicle.owner,
        contact_phone=payload.contact_phone,
        contact_name=payload.contact_name,
        job_type=payload.job_type,
        preferred_at=payload.preferred_at,
        lat=payload.lat,
        lon=payload.lon,
        channel=payload.channel,
        service_items=payload.service_items,
        description=payload.description,
        address=payload.address,
    )
    return Status(201, appt)


@router.post("/appointments/{appointment_id}/respond", response=AppointmentDetailOut)
def respond_appointment(request: HttpRequest, appointment_id: Id, payload: RespondIn) -> Any:
    """The outlet's answer: confirm, propose another slot (``proposed_at``) or decline."""
    appt = get_visible(request, Appointment, appointment_id)
    _version(appt, payload.expected_version, ap.fresh_state)
    return ap.respond(
        appt,
        actor=request.user,
        kind=payload.kind,
        note=payload.note,
        proposed_at=payload.proposed_at,
    )


@router.post("/appointments/{appointment_id}/reassign", response=AppointmentDetailOut)
def reassign_appointment(request: HttpRequest, appointment_id: Id, payload: ReassignIn) -> Any:
    appt = get_visible(request, Appointment, appointment_id)
    _version(appt, payload.expected_version, ap.fresh_state)
    outlet = _ref(request, Outlet, payload.outlet_id, "outlet_id")
    return ap.reassign(appt, actor=request.user, reason=payload.reason, outlet=outlet)


@router.post("/appointments/{appointment_id}/accept-proposal", response=AppointmentDetailOut)
def accept_proposal(request: HttpRequest, appointment_id: Id) -> Any:
    appt = get_visible(request, Appointment, appointment_id)
    return ap.accept_proposal(appt, actor=request.user)


@router.post("/appointments/{appointment_id}/no-show", response=AppointmentDetailOut)
def no_show(request: HttpRequest, appointment_id: Id) -> Any:
    appt = get_visible(request, Appointment, appointment_id)
    return ap.mark_no_show(appt, actor=request.user)


@router.post("/appointments/{appointment_id}/cancel", response=AppointmentDetailOut)
def cancel_appointment(request: HttpRequest, appointment_id: Id, payload: ReasonIn) -> Any:
    appt = get_visible(request, Appointment, appointment_id)
    _version(appt, payload.expected_version, ap.fresh_state)
    return ap.cancel_appointment(appt, actor=request.user, reason=payload.reason)


@router.post("/appointments/{appointment_id}/work-order", response={201: WorkOrderDetailOut})
def arrive(request: HttpRequest, appointment_id: Id, payload: ArriveIn) -> Any:
    """The vehicle arrived: open its work order from the appointment."""
    appt = get_visible(request, Appointment, appointment_id)
    _version(appt, payload.expected_version, ap.fresh_state)
    extra = payload.dict(exclude={"expected_version"}, exclude_none=True)
    return Status(201, ap.open_work_order(appt, actor=request.user, **extra))


# --- work orders -------------------------------------------------------------------------
@router.get("/work-orders", response=list[WorkOrderOut])
@paginate(Pages, page_size=50)
def list_work_orders(request: HttpRequest, filters: Query[WorkOrderFilter]) -> Any:
    return filters.filter(visible(request, WorkOrder))


@router.get("/work-orders/{work_order_id}", response=WorkOrderDetailOut)
def get_work_order(request: HttpRequest, work_order_id: Id) -> Any:
    return get_visible(request, WorkOrder, work_order_id)


@router.post("/work-orders", response={201: WorkOrderDetailOut})
def create_work_order(request: HttpRequest, payload: WorkOrderIn) -> Any:
    """Reception without an appointment (walk-in, towed in by a rescue unit)."""
    if not may_change(request.user, WorkOrder):
        raise PermissionDenied("your role may not open work orders")
    outlet = _ref(request, Outlet, payload.outlet_id, "outlet_id")
    vehicle = _ref(request, Vehicle, payload.vehicle_id, "vehicle_id")
    if vehicle is None and payload.vin:
        from anxin.core.validators import normalise_vin, validate_vin

        try:
            validate_vin(payload.vin)
        except ValidationError as exc:
            raise ValidationError({"vin": exc.messages}) from None
        vehicle = visible(request, Vehicle).filter(vin=normalise_vin(payload.vin)).first()
        if vehicle is None:
            raise ValidationError({"vin": "no vehicle with this VIN in your region"})
    if vehicle is None:
        raise ValidationError({"vehicle_id": "give the vehicle (id or VIN)"})
    customer = _ref(request, Customer, payload.customer_id, "customer_id") or vehicle.owner
    if customer is None:
        raise ValidationError({"customer_id": "the vehicle has no owner: give the customer"})
    technician = _ref(request, Staff, payload.technician_id, "technician_id")
    wo = actions.create_work_order(
        actor=request.user,
        outlet=outlet,
        customer=customer,
        vehicle=vehicle,
        job_type=payload.job_type,
        inspection_kind=payload.inspection_kind,
        warranty_cover=payload.warranty_cover,
        high_voltage=payload.high_voltage,
        systems=[str(s) for s in payload.systems],
        complaint=payload.complaint,
        fault_codes=payload.fault_codes,
        mileage_km=payload.mileage_km,
        promised_at=payload.promised_at,
        technician=technician,
    )
    return Status(201, wo)


@router.post("/work-orders/{work_order_id}/details", response=WorkOrderDetailOut)
def update_details(request: HttpRequest, work_order_id: Id, payload: DetailsIn) -> Any:
    wo = get_visible(request, WorkOrder, work_order_id)
    changes = payload.dict(exclude={"expected_version", "technician_id"}, exclude_unset=True)
    changes = {k: v for k, v in changes.items() if v is not None}
    if "systems" in changes:
        changes["systems"] = [str(s) for s in changes["systems"]]
    if payload.technician_id is not None:
        changes["technician"] = _ref(request, Staff, payload.technician_id, "technician_id")
    if not changes:
        raise ValidationError({"body": "nothing to change"})
    return actions.update_details(
        wo, actor=request.user, expected_version=payload.expected_version, **changes
    )


@router.post("/work-orders/{work_order_id}/transitions", response=WorkOrderDetailOut)
def work_order_transition(
    request: HttpRequest, work_order_id: Id, payload: WorkOrderTransitionIn
) -> Any:
    """Make one transition; refused with what is missing (422) or 409 if the state moved."""
    wo = get_visible(request, WorkOrder, work_order_id)
    _version(wo, payload.expected_version, actions.fresh_state)
    if payload.name not in TRANSITIONS:
        raise ValidationError({"name": f"unknown transition {payload.name!r}"})
    user = request.user
    match payload.name:
        case "send_quote":
            return actions.send_quote(wo, actor=user)
        case "approve_quote":
            return actions.approve_quote(
                wo,
                actor=user,
                via=ApprovalVia.IN_PERSON,
                signer_name=payload.signer_name,
                signature=payload.signature,
            )
        case "reject_quote":
            return actions.reject_quote(wo, actor=user, reason=payload.reason)
        case "settle":
            if payload.paid_amount is None:
                raise ValidationError({"paid_amount": "give the amount paid"})
            return actions.settle(
                wo,
                actor=user,
                paid_amount=payload.paid_amount,
                payment_method=payload.payment_method,
            )
    return actions.perform(wo, payload.name, actor=user, reason=payload.reason)


@router.post("/work-orders/{work_order_id}/labour-lines", response={201: LabourLineOut})
def add_labour_line(request: HttpRequest, work_order_id: Id, payload: LabourLineIn) -> Any:
    wo = get_visible(request, WorkOrder, work_order_id)
    technician = _ref(request, Staff, payload.technician_id, "technician_id")
    line = actions.add_labour_line(
        wo,
        payload.operation,
        actor=request.user,
        technician=technician,
        charge_to=payload.charge_to or None,
    )
    return Status(201, line)


@router.post("/work-orders/{work_order_id}/part-lines", response={201: PartLineOut})
def add_part_line(request: HttpRequest, work_order_id: Id, payload: PartLineIn) -> Any:
    wo = get_visible(request, WorkOrder, work_order_id)
    line = actions.add_part_line(
        wo,
        payload.part,
        actor=request.user,
        quantity=payload.quantity,
        batch_no=payload.batch_no,
        supplier=payload.supplier or None,
        charge_to=payload.charge_to or None,
    )
    return Status(201, line)


@router.delete("/labour-lines/{line_id}", response={204: None})
def delete_labour_line(request: HttpRequest, line_id: Id) -> Any:
    line = get_visible(request, LabourLine, line_id)
    actions.remove_line(line, actor=request.user)
    return Status(204, None)


@router.delete("/part-lines/{line_id}", response={204: None})
def delete_part_line(request: HttpRequest, line_id: Id) -> Any:
    line = get_visible(request, PartLine, line_id)
    actions.remove_line(line, actor=request.user)
    return Status(204, None)


@router.post("/labour-lines/{line_id}/start", response=LabourLineOut)
def start_operation(request: HttpRequest, line_id: Id) -> Any:
    line = get_visible(request, LabourLine, line_id)
    return actions.start_operation(line, actor=request.user)


@router.post("/labour-lines/{line_id}/finish", response=LabourLineOut)
def finish_operation(request: HttpRequest, line_id: Id, payload: FinishIn) -> Any:
    line = get_visible(request, LabourLine, line_id)
    return actions.finish_operation(line, actor=request.user, actual_hours=payload.actual_hours)


@router.post("/part-lines/{line_id}/fitted", response=PartLineOut)
def part_fitted(request: HttpRequest, line_id: Id, payload: FittedIn) -> Any:
    line = get_visible(request, PartLine, line_id)
    return actions.record_part_fitted(
        line, actor=request.user, batch_no=payload.batch_no, supplier=payload.supplier
    )


@router.post("/work-orders/{work_order_id}/inspections/{stage}", response=InspectionOut)
def record_inspection(
    request: HttpRequest, work_order_id: Id, stage: InspectionStage, payload: InspectionIn
) -> Any:
    """Record (and sign) the entry, in-process or completion check (三检)."""
    wo = get_visible(request, WorkOrder, work_order_id)
    responsible = _ref(request, Staff, payload.responsible_id, "responsible_id")
    return checks.record_inspection(
        wo,
        stage,
        actor=request.user,
        results=payload.results,
        responsible=responsible,
        remarks=payload.remarks,
        sign=payload.sign,
    )


@router.post(
    "/work-orders/{work_order_id}/inspections/{stage}/photos", response={201: InspectionOut}
)
def inspection_photo(
    request: HttpRequest,
    work_order_id: Id,
    stage: InspectionStage,
    item: Form[Annotated[str, Field(min_length=1, max_length=40)]],
    image: File[UploadedFile],
) -> Any:
    wo = get_visible(request, WorkOrder, work_order_id)
    photo = checks.add_inspection_photo(wo, stage, item, image, actor=request.user)
    return Status(201, photo.inspection)


@router.post("/work-orders/{work_order_id}/hv-check", response={201: HVCheckOut})
def hv_check(request: HttpRequest, work_order_id: Id, payload: HVCheckIn) -> Any:
    """The discharge and insulation check before HV work, by an HV-certified technician."""
    wo = get_visible(request, WorkOrder, work_order_id)
    technician = _ref(request, Staff, payload.technician_id, "technician_id")
    check = safety.record_hv_check(
        wo,
        actor=request.user,
        technician=technician,
        discharged=payload.discharged,
        residual_voltage=payload.residual_voltage,
        insulation_mohm=payload.insulation_mohm,
        remarks=payload.remarks,
    )
    return Status(201, check)


@router.get("/work-orders/{work_order_id}/ework")
def electronic_work_order(request: HttpRequest, work_order_id: Id) -> Any:
    """The data of the electronic work order (电子工单)."""
    wo = get_visible(request, WorkOrder, work_order_id)
    return ework_data(wo)


# --- the customer's personal quote link (no login) ---------------------------------------
def _quote_out(wo: WorkOrder) -> dict[str, Any]:
    return {
        "number": wo.number,
        "state": wo.state,
        "quote_version": wo.quote_version,
        "quote": wo.quote,
        "outlet": wo.outlet.name,
        "vehicle": f"{wo.vehicle.plate or wo.vehicle.vin[-6:]} {wo.vehicle.model}",
        "expires_at": wo.quote_token_expires_at,
    }


Token = Annotated[str, Field(min_length=16, max_length=64)]


@router.get("/quotes/{token}", response=QuoteOut, auth=None)
def get_quote(request: HttpRequest, token: Token) -> Any:
    return _quote_out(actions.work_order_for_token(token))


@router.post("/quotes/{token}/approve", response=QuoteOut, auth=None)
def approve_quote(request: HttpRequest, token: Token, payload: ApproveIn) -> Any:
    """The customer approves the quote they were sent; a second approval is 409."""
    wo = actions.approve_by_token(
        token,
        signer_name=payload.signer_name,
        signature=payload.signature,
        quote_version=payload.quote_version,
    )
    return _quote_out(wo)


@router.post("/quotes/{token}/reject", response=QuoteOut, auth=None)
def reject_quote(request: HttpRequest, token: Token, payload: RejectIn) -> Any:
    return _quote_out(actions.reject_by_token(token, reason=payload.reason))


# --- remote expert support ---------------------------------------------------------------
@router.get("/expert-requests", response=list[ExpertOut])
@paginate(Pages, page_size=50)
def expert_queue(request: HttpRequest) -> Any:
    """The queue: waiting requests first, longest wait on top."""
    return expert.queue(request.user)


@router.get("/expert-requests/{request_id}", response=ExpertOut)
def get_expert_request(request: HttpRequest, request_id: Id) -> Any:
    return get_visible(request, ExpertRequest, request_id)


@router.post("/work-orders/{work_order_id}/expert-requests", response={201: ExpertOut})
def open_expert_request(request: HttpRequest, work_order_id: Id, payload: ExpertIn) -> Any:
    wo = get_visible(request, WorkOrder, work_order_id)
    req = expert.open_expert_request(
        wo, actor=request.user, question=payload.question, fault_codes=payload.fault_codes
    )
    return Status(201, req)


@router.post("/expert-requests/{request_id}/messages", response=ExpertOut)
def expert_message(request: HttpRequest, request_id: Id, payload: BodyIn) -> Any:
    req = get_visible(request, ExpertRequest, request_id)
    expert.add_message(req, actor=request.user, body=payload.body)
    req.refresh_from_db()
    return req


@router.post("/expert-requests/{request_id}/resolve", response=ExpertOut)
def resolve_expert_request(request: HttpRequest, request_id: Id, payload: ResolveIn) -> Any:
    req = get_visible(request, ExpertRequest, request_id)
    return expert.resolve(req, actor=request.user, resolution=payload.resolution)


# --- catalog and archive -----------------------------------------------------------------
@router.get("/catalog/parts", response=list[CatalogOut])
@paginate(Pages, page_size=100)
def list_parts(request: HttpRequest, filters: Query[CatalogFilter]) -> Any:
    return filters.filter(visible(request, Part).filter(active=True))


@router.get("/catalog/labour", response=list[CatalogOut])
@paginate(Pages, page_size=100)
def list_labour(request: HttpRequest, filters: Query[CatalogFilter]) -> Any:
    return filters.filter(visible(request, LabourOperation).filter(active=True))


@router.get("/vehicles/{vehicle_id}/archive", response=list[TimelineOut])
def vehicle_archive(request: HttpRequest, vehicle_id: Id) -> Any:
    """The vehicle's technical archive (车辆技术档案) on one timeline, newest first."""
    vehicle = get_visible(request, Vehicle, vehicle_id)
    return [
        {
            "at": e.at,
            "kind": e.kind,
            "title": e.title,
            "detail": e.detail,
            "number": e.number,
            "state": e.state,
        }
        for e in vehicle_timeline(vehicle, request.user)
    ]


__all__ = ["router"]
