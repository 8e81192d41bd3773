from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Field, FilterLookup, FilterSchema, ModelSchema, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import field_validator

from anxin.accounts.permissions import may_change
from anxin.api.base import get_visible, save_validated, visible
from anxin.api.pagination import Pages
from anxin.api.types import Id
from anxin.core.masking import reveal
from anxin.core.validators import normalise_vin, validate_vin

from .models import Customer, CustomerTier, FleetCustomer, Powertrain, Vehicle

router = Router()


class CustomerOut(Schema):
    """A customer with name and phone masked (SEC-2); ``/contact`` gives the full view, logged."""

    id: int
    name: str = Field(alias="masked_name")
    phone: str = Field(alias="masked_phone")
    tier: CustomerTier
    region: int = Field(alias="region_id")
    city: int | None = Field(None, alias="city_id")
    fleet: int | None = Field(None, alias="fleet_id")


class ContactOut(Schema):
    id: int
    name: str
    phone: str


class CustomerFilter(FilterSchema):
    tier: CustomerTier | None = None
    region: Annotated[Id | None, FilterLookup("region_id")] = None
    city: Annotated[Id | None, FilterLookup("city_id")] = None
    phone_tail: Annotated[
        str | None, FilterLookup("phone__endswith"), Field(description="last digits of the phone")
    ] = None


class FleetOut(ModelSchema):
    class Meta:
        model = FleetCustomer
        fields = ["id", "name", "kind", "region"]


class VehicleOut(ModelSchema):
    class Meta:
        model = Vehicle
        fields = [
            "id",
            "vin",
            "plate",
            "brand",
            "model",
            "model_year",
            "powertrain",
            "high_voltage",
            "owner",
            "fleet",
            "region",
            "sold_on",
            "warranty_until",
            "mileage_km",
        ]


class VehicleIn(Schema):
    vin: str = Field(
        min_length=17,
        max_length=17,
        pattern=r"^[A-HJ-NPR-Za-hj-npr-z0-9]{17}$",
        description="17 characters, check digit in position 9 (GB 16735)",
    )
    plate: str = ""
    brand: str = Field(min_length=1, max_length=64)
    model: str = Field(min_length=1, max_length=64)
    model_year: int | None = Field(None, ge=1980, le=2100)
    powertrain: Powertrain
    high_voltage: bool = False
    owner_id: Id | None = None
    fleet_id: Id | None = None
    region_id: Id
    mileage_km: int = Field(0, ge=0, le=2_000_000)

    @field_validator("vin")
    @classmethod
    def vin_valid(cls, v: str) -> str:
        v = normalise_vin(v)
        try:
            validate_vin(v)
        except ValidationError as e:
            raise ValueError(" ".join(e.messages)) from e
        return v


class VehicleFilter(FilterSchema):
    q: Annotated[
        str | None, FilterLookup(["vin__icontains", "plate__icontains", "model__icontains"])
    ] = None
    powertrain: Powertrain | None = None
    region: Annotated[Id | None, FilterLookup("region_id")] = None
    owner: Annotated[Id | None, FilterLookup("owner_id")] = None
    fleet: Annotated[Id | None, FilterLookup("fleet_id")] = None


@router.get("/customers", response=list[CustomerOut])
@paginate(Pages, page_size=50)
def list_customers(request: HttpRequest, filters: Query[CustomerFilter]) -> Any:
    return filters.filter(visible(request, Customer))


@router.get("/customers/{customer_id}", response=CustomerOut)
def get_customer(request: HttpRequest, customer_id: Id) -> Any:
    return get_visible(request, Customer, customer_id)


@router.get("/customers/{customer_id}/contact", response=ContactOut)
def customer_contact(request: HttpRequest, customer_id: Id, purpose: str = "") -> Any:
    """The unmasked name and phone, for roles that need them; every call is logged."""
    customer = get_visible(request, Customer, customer_id)
    data = reveal(request.user, customer, ("name", "phone"), purpose=purpose)
    return {"id": customer.pk, **data}


@router.get("/fleets", response=list[FleetOut])
@paginate(Pages, page_size=50)
def list_fleets(request: HttpRequest) -> Any:
    return visible(request, FleetCustomer)


@router.get("/vehicles", response=list[VehicleOut])
@paginate(Pages, page_size=50)
def list_vehicles(request: HttpRequest, filters: Query[VehicleFilter]) -> Any:
    return filters.filter(visible(request, Vehicle))


@router.get("/vehicles/by-vin/{vin}", response=VehicleOut)
def vehicle_by_vin(request: HttpRequest, vin: str) -> Any:
    vehicle = visible(request, Vehicle).filter(vin=normalise_vin(vin)).first()
    if vehicle is None:
        from django.http import Http404

        raise Http404
    return vehicle


@router.get("/vehicles/{vehicle_id}", response=VehicleOut)
def get_vehicle(request: HttpRequest, vehicle_id: Id) -> Any:
    return get_visible(request, Vehicle, vehicle_id)


@router.post("/vehicles", response={201: VehicleOut})
def create_vehicle(request: HttpRequest, payload: VehicleIn) -> Any:
    if not may_change(request.user, Vehicle):
        raise PermissionDenied("your role may not register vehicles")
    from anxin.network.models import Region

    if not visible(request, Region).filter(pk=payload.region_id).exists():
        raise ValidationError({"region_id": "no such region, or not yours"})
    if payload.owner_id and not visible(request, Customer).filter(pk=payload.owner_id).exists():
        raise ValidationError({"owner_id": "no such customer, or not in your region"})
    if Vehicle.objects.filter(vin=payload.vin).exists():
        raise ValidationError({"vin": "a vehicle with this VIN is already registered"})
    return Status(201, save_validated(Vehicle(**payload.dict())))
