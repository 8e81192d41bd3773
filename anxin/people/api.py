
import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, FilterLookup, FilterSchema, ModelSchema, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from anxin.accounts.roles import Role
from anxin.api.base import get_visible, visible
from anxin.core.masking import mask_name, mask_phone

from .models import Certification, Staff

router = Router()


class CertificationOut(ModelSchema):
    class Meta:
        model = Certification
        fields = ["id", "skill", "certificate_no", "issued_on", "expires_on"]


class StaffOut(Schema):
    id: int
    employee_no: str
    name: str
    phone: str
    role: Role
    region: int = Field(alias="region_id")
    outlet: int | None = Field(None, alias="outlet_id")
    base: int | None = Field(None, alias="base_id")
    unit: int | None = Field(None, alias="unit_id")
    active: bool
    certifications: list[CertificationOut]

    @staticmethod
    def resolve_name(obj: Staff) -> str:
        return mask_name(obj.name)

    @staticmethod
    def resolve_phone(obj: Staff) -> str:
        return mask_phone(obj.phone)

    @staticmethod
    def resolve_certifications(obj: Staff) -> list[Certification]:
        return list(obj.certifications.all())


class StaffFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["employee_no__icontains", "name__icontains"])] = None
    role: Role | None = None
    region: Annotated[int | None, FilterLookup("region_id")] = None
    outlet: Annotated[int | None, FilterLookup("outlet_id")] = None
    base: Annotated[int | None, FilterLookup("base_id")] = None
    certified_for: Annotated[str | None, FilterLookup("certifications__skill"), Field(description="a skill code")] = None


@router.get("/staff", response=list[StaffOut])
@paginate(PageNumberPagination, page_size=50)
def list_staff(request: HttpRequest, filters: Query[StaffFilter], valid_on: dt.date | None = None) -> Any:
    qs = filters.filter(visible(request, Staff)).prefetch_related("certifications")
    if filters.certified_for and valid_on:
        qs = qs.filter(certifications__expires_on__gte=valid_on, certifications__issued_on__lte=valid_on)
    return qs.distinct()


@router.get("/staff/{staff_id}", response=StaffOut)
def get_staff(request: HttpRequest, staff_id: int) -> Any:
    return get_visible(request, Staff, staff_id)
