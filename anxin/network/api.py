import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, FilterLookup, FilterSchema, ModelSchema, Query, Router, Schema, Status
from ninja.pagination import paginate

from anxin.accounts.permissions import may_change
from anxin.api.base import Conflict, get_visible, save_validated, visible
from anxin.api.pagination import Pages
from anxin.api.types import ClockTime, Id, Latitude, Longitude
from anxin.audit.changelog import change_for, record, snapshot

from .choices import UnitCapability, UnitKind, UnitStatus
from .models import City, Outlet, OutletQualification, Region, RescueBase, RescueUnit

router = Router()


class RegionOut(ModelSchema):
    class Meta:
        model = Region
        fields = ["id", "code", "name"]


class CityOut(ModelSchema):
    class Meta:
        model = City
        fields = ["id", "code", "name", "region", "lat", "lon"]


class OutletOut(ModelSchema):
    capabilities: list[str]
    opens_at: ClockTime
    closes_at: ClockTime

    class Meta:
        model = Outlet
        fields = [
            "id",
            "code",
            "name",
            "region",
            "city",
            "address",
            "phone",
            "lat",
            "lon",
            "opens_at",
            "closes_at",
            "open_24h",
            "ev_high_voltage",
            "diag_800v",
            "body_shop",
            "tow_reception",
            "daily_capacity",
            "bays",
            "active",
        ]


class OutletIn(Schema):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    region_id: Id
    city_id: Id
    lat: Latitude
    lon: Longitude
    address: str = ""
    phone: str = ""
    opens_at: dt.time = dt.time(8, 30)
    closes_at: dt.time = dt.time(17, 30)
    open_24h: bool = False
    ev_high_voltage: bool = False
    diag_800v: bool = False
    body_shop: bool = False
    tow_reception: bool = True
    daily_capacity: int = Field(20, ge=0, le=10000)
    bays: int = Field(6, ge=0, le=1000)


class OutletPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    lat: Latitude | None = None
    lon: Longitude | None = None
    address: str | None = None
    phone: str | None = None
    opens_at: dt.time | None = None
    closes_at: dt.time | None = None
    open_24h: bool | None = None
    ev_high_voltage: bool | None = None
    diag_800v: bool | None = None
    body_shop: bool | None = None
    tow_reception: bool | None = None
    daily_capacity: int | None = Field(None, ge=0, le=10000)
    bays: int | None = Field(None, ge=0, le=1000)
    active: bool | None = None


class OutletFilter(FilterSchema):
    q: Annotated[
        str | None, FilterLookup(["name__icontains", "code__icontains", "address__icontains"])
    ] = None
    region: Annotated[Id | None, FilterLookup("region_id")] = None
    city: Annotated[Id | None, FilterLookup("city_id")] = None
    ev_high_voltage: bool | None = None
    diag_800v: bool | None = None
    body_shop: bool | None = None
    active: bool | None = None


class QualificationOut(ModelSchema):
    is_valid: bool

    class Meta:
        model = OutletQualification
        fields = [
            "id",
            "outlet",
            "licence_number",
            "grade",
            "valid_from",
            "expires_on",
            "facilities",
        ]


class BaseOut(ModelSchema):
    class Meta:
        model = RescueBase
        fields = [
            "id",
            "code",
            "name",
            "region",
            "city",
            "area_type",
            "lat",
            "lon",
            "address",
            "open_24h",
        ]


class UnitOut(ModelSchema):
    capabilities: list[UnitCapability]
    shift_start: ClockTime
    shift_end: ClockTime

    class Meta:
        model = RescueUnit
        fields = [
            "id",
            "code",
            "plate",
            "kind",
            "base",
            "capabilities",
            "status",
            "last_lat",
            "last_lon",
            "last_seen_at",
            "shift_start",
            "shift_end",
            "active",
        ]


class UnitFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["code__icontains", "plate__icontains"])] = None
    kind: UnitKind | None = None
    status: UnitStatus | None = None
    base: Annotated[Id | None, FilterLookup("base_id")] = None


class UnitPositionIn(Schema):
    lat: Latitude
    lon: Longitude
    seen_at: dt.datetime | None = None


class UnitStatusIn(Schema):
    status: UnitStatus
    expected_status: UnitStatus | None = Field(
        None, description="Change only if the unit is still in this status; otherwise 409."
    )


class UnitCapabilitiesIn(Schema):
    capabilities: list[UnitCapability]


@router.get("/regions", response=list[RegionOut])
@paginate(Pages, page_size=50)
def list_regions(request: HttpRequest) -> Any:
    return visible(request, Region)


@router.get("/cities", response=list[CityOut])
@paginate(Pages, page_size=50)
def list_cities(request: HttpRequest, region: Id | None = None) -> Any:
    qs = visible(request, City)
    return qs.filter(region_id=region) if region else qs


@router.get("/outlets", response=list[OutletOut])
@paginate(Pages, page_size=50)
def list_outlets(request: HttpRequest, filters: Query[OutletFilter]) -> Any:
    return filters.filter(visible(request, Outlet).select_related("region", "city"))


@router.get("/outlets/{outlet_id}", response=OutletOut)
def get_outlet(request: HttpRequest, outlet_id: Id) -> Any:
    return get_visible(request, Outlet, outlet_id)


@router.post("/outlets", response={201: OutletOut})
def create_outlet(request: HttpRequest, payload: OutletIn) -> Any:
    if not may_change(request.user, Outlet):
        raise PermissionDenied("your role may not create outlets")
    for fk, model in (("region_id", Region), ("city_id", City)):
        if not visible(request, model).filter(pk=getattr(payload, fk)).exists():
            raise ValidationError({fk: "no such record, or not in your region"})
    return Status(201, save_validated(Outlet(**payload.dict())))


@router.patch("/outlets/{outlet_id}", response=OutletOut)
def update_outlet(request: HttpRequest, outlet_id: int, payload: OutletPatch) -> Any:
    outlet = get_visible(request, Outlet, outlet_id, "change")
    return save_validated(outlet, **payload.dict(exclude_unset=True))


@router.get("/outlets/{outlet_id}/qualifications", response=list[QualificationOut])
def outlet_qualifications(request: HttpRequest, outlet_id: Id) -> Any:
    outlet = get_visible(request, Outlet, outlet_id)
    return visible(request, OutletQualification).filter(outlet=outlet)


@router.get("/bases", response=list[BaseOut])
@paginate(Pages, page_size=50)
def list_bases(request: HttpRequest, region: Id | None = None) -> Any:
    qs = visible(request, RescueBase)
    return qs.filter(region_id=region) if region else qs


@router.get("/bases/{base_id}", response=BaseOut)
def get_base(request: HttpRequest, base_id: Id) -> Any:
    return get_visible(request, RescueBase, base_id)


@router.get("/units", response=list[UnitOut])
@paginate(Pages, page_size=50)
def list_units(request: HttpRequest, filters: Query[UnitFilter]) -> Any:
    return filters.filter(visible(request, RescueUnit))


@router.get("/units/{unit_id}", response=UnitOut)
def get_unit(request: HttpRequest, unit_id: Id) -> Any:
    return get_visible(request, RescueUnit, unit_id)


@router.post("/units/{unit_id}/position", response=UnitOut)
def report_position(request: HttpRequest, unit_id: int, payload: UnitPositionIn) -> Any:
    unit = get_visible(request, RescueUnit, unit_id, "change")
    seen = payload.seen_at or timezone.now()
    if timezone.is_naive(seen):
        raise ValidationError(
            {"seen_at": "give a time zone offset, e.g. 2026-11-23T10:00:00+08:00"}
        )
    if unit.last_seen_at and seen < unit.last_seen_at:
        return unit  # an older fix arriving late never moves the unit backwards
    return save_validated(unit, last_lat=payload.lat, last_lon=payload.lon, last_seen_at=seen)


@router.post("/units/{unit_id}/status", response=UnitOut)
def change_unit_status(request: HttpRequest, unit_id: int, payload: UnitStatusIn) -> Any:
    unit = get_visible(request, RescueUnit, unit_id, "change")
    if payload.expected_status is not None:
        # Conditional update: of two dispatchers changing the same unit, only one wins.
        updated = RescueUnit.objects.filter(pk=unit.pk, status=payload.expected_status).update(
            status=payload.status
        )
        fresh = RescueUnit.objects.get(pk=unit.pk)
        if not updated:
            raise Conflict("the unit's status changed meanwhile", {"status": fresh.status})
        before = snapshot(unit)
        record([change_for(fresh, "update", before, snapshot(fresh))])
        return fresh
    return save_validated(unit, status=payload.status)
