from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, FilterLookup, FilterSchema, ModelSchema, Query, Router, Schema
from ninja.pagination import paginate

from anxin.accounts.roles import Role
from anxin.api.base import get_visible, visible
from anxin.api.pagination import Pages
from anxin.api.types import Id
from anxin.core.masking import mask_name, mask_phone

from .models import Certification, Skill, Staff

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
    region: Annotated[Id | None, FilterLookup("region_id")] = None
    outlet: Annotated[Id | None, FilterLookup("outlet_id")] = None
    base: Annotated[Id | None, FilterLookup("base_id")] = None


@router.get("/staff", response=list[StaffOut])
@paginate(Pages, page_size=50)
def list_staff(
    request: HttpRequest, filters: Query[StaffFilter], certified_for: Skill | None = None
) -> Any:
    """Staff in your scope; ``certified_for`` keeps those holding that skill's certificate today."""
    qs = filters.filter(visible(request, Staff)).prefetch_related("certifications")
    if certified_for:
        today = timezone.localdate()
        qs = qs.filter(
            certifications__skill=certified_for,
            certifications__issued_on__lte=today,
            certifications__expires_on__gte=today,
        )
    return qs.distinct()


@router.get("/staff/{staff_id}", response=StaffOut)
def get_staff(request: HttpRequest, staff_id: Id) -> Any:
    return get_visible(request, Staff, staff_id)
