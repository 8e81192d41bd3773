"""Rescue API: intake, transitions, dispatch, batch GPS positions (DSP-1, DSP-6, RSC-1)."""

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, FilterLookup, FilterSchema, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Strict

from anxin.accounts.permissions import may_change, restrict
from anxin.api.base import Conflict, get_visible, visible
from anxin.api.pagination import Pages
from anxin.api.types import Id, IsoDateTime, Latitude, Longitude
from anxin.customers.models import Customer, Vehicle
from anxin.network.models import City, Outlet, Region, RescueUnit

from . import actions
from .choices import Channel, FaultType, JobState, Need, Priority
from .models import RescueJob
from .positions import PositionFix, record_positions

router = Router()


class TransitionOut(Schema):
    from_state: str
    to_state: str
    at: dt.datetime
    actor_label: str
    reason: str


class JobOut(Schema):
    id: int
    number: str
    state: JobState
    version: int
    channel: Channel
    priority: Priority
    area: str
    fault: FaultType
    needs: list[str]
    description: str
    lat: float
    lon: float
    address: str
    region: int = Field(alias="region_id")
    city: int | None = Field(None, alias="city_id")
    customer: int | None = Field(None, alias="customer_id")
    vehicle: int | None = Field(None, alias="vehicle_id")
    caller_phone: str = Field(alias="masked_caller_phone")
    unit: int | None = Field(None, alias="unit_id")
    eta_at: dt.datetime | None
    missing_info: str
    created_at: dt.datetime
    response_seconds: float | None = None


class JobDetailOut(JobOut):
    transitions: list[TransitionOut]

    @staticmethod
    def resolve_transitions(obj: RescueJob) -> list[Any]:
        return list(obj.transitions.all())


class JobIn(Schema):
    channel: Channel = Channel.PHONE
    priority: Priority = Priority.ROUTINE
    area: str = Field("urban", pattern="^(urban|remote)$")
    fault: FaultType
    needs: list[Need] = []
    description: str = Field("", max_length=2000)
    lat: Latitude
    lon: Longitude
    address: str = Field("", max_length=300)
    highway: bool = False
    region_id: Id
    city_id: Id | None = None
    customer_id: Id | None = None
    vehicle_id: Id | None = None
    vin: str | None = Field(
        None, max_length=17, description="look the vehicle up by VIN instead of id"
    )
    caller_name: str = Field("", max_length=100)
    caller_phone: str = Field(min_length=3, max_length=20)


class TransitionIn(Schema):
    name: str = Field(
        description="check, send_back, resubmit, decline, accept, depart, arrive, "
        "start_work, tow, complete, confirm, review, cancel"
    )
    reason: str = Field("", max_length=2000)
    expected_version: int | None = Field(
        None, ge=1, le=2**31, description="409 if the job moved on"
    )
    destination_outlet_id: Id | None = None


class DispatchIn(Schema):
    unit_id: Id
    recommended_unit_id: Id | None = None
    override_reason: str = Field("", max_length=2000)
    eta_seconds: float | None = Field(None, ge=0, le=86400)
    expected_version: int | None = Field(None, ge=1, le=2**31)


class JobFilter(FilterSchema):
    state: Annotated[JobState | None, FilterLookup("state")] = None
    region: Annotated[Id | None, FilterLookup("region_id")] = None
    unit: Annotated[Id | None, FilterLookup("unit_id")] = None


# GPS terminals send numbers; a boolean or a string where a number belongs is a broken row.
Number = Annotated[float, Strict()]


class FixIn(Schema):
    """One GPS fix. Coordinates are checked per row (a bad row is reported, the others kept)."""

    unit: str = Field(min_length=1, max_length=32, description="unit code")
    at: IsoDateTime
    lat: Number
    lon: Number
    speed_kmh: Number | None = None
    heading: Number | None = None


class BatchIn(Schema):
    fixes: list[FixIn] = Field(max_length=5000)


class BatchOut(Schema):
    accepted: int
    ignored_stale: int
    rejected: list[dict[str, Any]]


def _visible_ref(request: HttpRequest, model: Any, pk: int | None, field: str) -> Any:
    if pk is None:
        return None
    obj = visible(request, model).filter(pk=pk).first()
    if obj is None:
        raise ValidationError({field: "no such record, or not in your region"})
    return obj


def _check_version(job: RescueJob, expected: int | None) -> None:
    if expected is not None and expected != job.version:
        raise Conflict("the job changed since you loaded it", actions.fresh_state(job))


@router.get("/jobs", response=list[JobOut])
@paginate(Pages, page_size=50)
def list_jobs(request: HttpRequest, filters: Query[JobFilter]) -> Any:
    return filters.filter(visible(request, RescueJob))


@router.get("/jobs/{job_id}", response=JobDetailOut)
def get_job(request: HttpRequest, job_id: Id) -> Any:
    return get_visible(request, RescueJob, job_id)


@router.post("/jobs", response={201: JobDetailOut})
def create_job(request: HttpRequest, payload: JobIn) -> Any:
    """Intake from the desk, the app or a partner channel."""
    if not may_change(request.user, RescueJob):
        raise PermissionDenied("your role may not open rescue jobs")
    data = payload.dict(exclude={"vin", "region_id", "city_id", "customer_id", "vehicle_id"})
    region = _visible_ref(request, Region, payload.region_id, "region_id")
    city = _visible_ref(request, City, payload.city_id, "city_id")
    customer = _visible_ref(request, Customer, payload.customer_id, "customer_id")
    vehicle = _visible_ref(request, Vehicle, payload.vehicle_id, "vehicle_id")
    if payload.vin:
        vehicle = visible(request, Vehicle).filter(vin=payload.vin.strip().upper()).first()
        if vehicle is None:
            raise ValidationError(
                {"vin": "unknown vehicle: no vehicle with this VIN in your region"}
            )
    if vehicle is not None and customer is None:
        customer = vehicle.owner
    job = actions.create_job(
        actor=request.user, region=region, city=city, customer=customer, vehicle=vehicle, **data
    )
    return Status(201, job)


@router.post("/jobs/{job_id}/transitions", response=JobDetailOut)
def make_transition(request: HttpRequest, job_id: Id, payload: TransitionIn) -> Any:
    job = get_visible(request, RescueJob, job_id)
    _check_version(job, payload.expected_version)
    fields: dict[str, Any] = {}
    if payload.name == "tow":
        outlet = _visible_ref(
            request, Outlet, payload.destination_outlet_id, "destination_outlet_id"
        )
        job.destination_outlet = outlet
        fields["destination_outlet"] = outlet
    if payload.name == "send_back":
        fields["missing_info"] = payload.reason
    if payload.name == "cancel":
        fields["cancel_reason"] = payload.reason
    return actions.perform(
        job, payload.name, actor=request.user, reason=payload.reason, fields=fields
    )


@router.post("/jobs/{job_id}/dispatch", response=JobDetailOut)
def dispatch_job(request: HttpRequest, job_id: Id, payload: DispatchIn) -> Any:
    job = get_visible(request, RescueJob, job_id)
    _check_version(job, payload.expected_version)
    unit = restrict(RescueUnit.objects.filter(pk=payload.unit_id), request.user, "view").first()
    if unit is None:
        raise ValidationError({"unit_id": "no such unit, or not in your region"})
    return actions.dispatch(
        job,
        unit,
        actor=request.user,
        eta_seconds=payload.eta_seconds,
        recommended_unit_id=payload.recommended_unit_id,
        override_reason=payload.override_reason,
    )


@router.post("/positions", response=BatchOut)
def post_positions(request: HttpRequest, payload: BatchIn) -> Any:
    """GPS fixes of many units in one call. Good rows are kept, bad ones reported; a fix older
    than the unit's last known one is ignored; the same fix twice is stored once."""
    fixes = [
        PositionFix(
            index=i,
            unit_code=f.unit,
            at=f.at,
            lat=f.lat,
            lon=f.lon,
            speed_kmh=f.speed_kmh,
            heading=f.heading,
        )
        for i, f in enumerate(payload.fixes)
    ]
    outcome = record_positions(request.user, fixes, now=timezone.now())
    return outcome


class ProposalOut(Schema):
    unit_id: int
    unit_code: str
    eta_seconds: float
    eta_at: dt.datetime
    rank: int
    reasons: list[str]
    passed_rules: list[str]


class RejectionOut(Schema):
    unit_id: int
    unit_code: str
    rule: str
    reason: str


class ProposalsOut(Schema):
    proposals: list[ProposalOut]
    rejections: list[RejectionOut]


@router.get("/jobs/{job_id}/proposals", response=ProposalsOut)
def job_proposals(
    request: HttpRequest, job_id: Id, limit: Annotated[int, Field(ge=1, le=20)] = 5
) -> Any:
    """The best units for the job by ETA, each with the rules it passed and why it ranks there;
    and the units turned down, with the rule they failed."""
    from .proposals import proposals_for

    job = get_visible(request, RescueJob, job_id)
    result = proposals_for(job, request.user, limit=limit)
    return {
        "proposals": [
            {
                "unit_id": p.unit.pk,
                "unit_code": p.unit.code,
                "eta_seconds": p.eta_seconds,
                "eta_at": p.eta_at,
                "rank": p.rank,
                "reasons": p.reasons,
                "passed_rules": p.passed_rules,
            }
            for p in result.proposals
        ],
        "rejections": [
            {"unit_id": r.unit.pk, "unit_code": r.unit.code, "rule": r.rule, "reason": r.reason}
            for r in result.rejections
        ],
    }
