"""Workshop personas and a helper that walks a work order through its states."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from anxin.accounts.roles import Role
from anxin.core.validators import make_vin
from anxin.customers.models import Customer, Vehicle
from anxin.network.models import Outlet, OutletQualification
from anxin.people.models import Certification, Skill, Staff
from anxin.workshop import actions, checks, safety
from anxin.workshop.choices import InspectionStage, WorkOrderState
from anxin.workshop.models import ChecklistTemplate, WorkOrder
from tests.conftest import make_user

S = WorkOrderState


def licence(outlet: Outlet, number: str, *, expired: bool = False) -> OutletQualification:
    today = timezone.localdate()
    if expired:
        start, end = today - dt.timedelta(days=800), today - dt.timedelta(days=1)
    else:
        start, end = today - dt.timedelta(days=365), today + dt.timedelta(days=365)
    return OutletQualification.objects.create(
        outlet=outlet, licence_number=number, valid_from=start, expires_on=end
    )


@pytest.fixture
def shop(outlet) -> Outlet:
    """The fixture outlet with a valid licence, a phone and all capabilities."""
    outlet.phone = "0571-88880001"
    outlet.diag_800v = True
    outlet.body_shop = True
    outlet.open_24h = True
    outlet.address = "杭州市西湖区文三路 1 号"
    outlet.save()
    licence(outlet, "ZJ-HZ-0001")
    return outlet


@pytest.fixture
def advisor(east, shop):
    user = make_user("advisor_hz", Role.SERVICE_ADVISOR, east, outlet=shop)
    Staff.objects.create(
        employee_no="SA-001",
        name="李顾问",
        phone="13900001001",
        role=Role.SERVICE_ADVISOR,
        region=east,
        outlet=shop,
        user=user,
    )
    return user


@pytest.fixture
def hv_tech_staff(east, shop) -> Staff:
    staff = Staff.objects.create(
        employee_no="T-HV-1",
        name="赵技师",
        phone="13900001002",
        role=Role.TECHNICIAN,
        region=east,
        outlet=shop,
    )
    today = timezone.localdate()
    Certification.objects.create(
        staff=staff,
        skill=Skill.EV_HV,
        certificate_no="HV-2026-001",
        issued_on=today - dt.timedelta(days=100),
        expires_on=today + dt.timedelta(days=600),
    )
    return staff


@pytest.fixture
def technician(east, shop, hv_tech_staff):
    user = make_user("tech_hz", Role.TECHNICIAN, east, outlet=shop)
    hv_tech_staff.user = user
    hv_tech_staff.save()
    return user


@pytest.fixture
def plain_staff(east, shop) -> Staff:
    """A technician without an HV certificate."""
    return Staff.objects.create(
        employee_no="T-2",
        name="钱技师",
        phone="13900001003",
        role=Role.TECHNICIAN,
        region=east,
        outlet=shop,
    )


@pytest.fixture
def customer(east, hangzhou) -> Customer:
    return Customer.objects.create(name="刘先生", phone="13812345678", region=east, city=hangzhou)


@pytest.fixture
def ev(east, customer) -> Vehicle:
    today = timezone.localdate()
    return Vehicle.objects.create(
        vin=make_vin("LAX1E2A3P4", "000101"),
        plate="浙A D12345",
        brand="安心",
        model="星驰 EV",
        powertrain="bev",
        owner=customer,
        region=east,
        sold_on=today - dt.timedelta(days=400),
        warranty_until=today + dt.timedelta(days=700),
    )


@pytest.fixture
def car(east, customer) -> Vehicle:
    today = timezone.localdate()
    return Vehicle.objects.create(
        vin=make_vin("LAX1C2A3P4", "000202"),
        plate="浙A C54321",
        brand="安心",
        model="锐行 1.5T",
        powertrain="ice",
        owner=customer,
        region=east,
        sold_on=today - dt.timedelta(days=200),
        warranty_until=today + dt.timedelta(days=900),
    )


def photo_upload(name: str = "p.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def good_results(wo: WorkOrder, stage: str) -> dict[str, Any]:
    template = checks.template_for(stage, wo.job_type)
    values: dict[str, Any] = {}
    for item in template.items:
        kind = item.get("kind", "check")
        if kind == "check":
            values[item["code"]] = True
        elif kind == "number":
            values[item["code"]] = 50
        elif kind == "text":
            values[item["code"]] = "ok"
    return values


def sign_stage(wo: WorkOrder, stage: str, actor: Any, responsible: Staff) -> None:
    template = checks.template_for(stage, wo.job_type)
    for item in template.items:
        if item.get("photo_required"):
            checks.add_inspection_photo(wo, stage, item["code"], photo_upload(), actor=actor)
    checks.record_inspection(
        wo, stage, actor=actor, results=good_results(wo, stage), responsible=responsible
    )


@pytest.fixture
def open_order(advisor, shop, customer) -> Callable[..., WorkOrder]:
    def make(vehicle: Vehicle, job_type: str = "fault_repair", **kw: Any) -> WorkOrder:
        return actions.create_work_order(
            actor=advisor,
            outlet=shop,
            customer=customer,
            vehicle=vehicle,
            job_type=job_type,
            **kw,
        )

    return make


@pytest.fixture
def walk(advisor, hv_tech_staff) -> Callable[..., WorkOrder]:
    """Walk ``wo`` forward to ``target`` meeting every requirement on the way."""

    def go(
        wo: WorkOrder, target: str, *, lines: Any = ("L-BRK-PAD-F",), parts: Any = ()
    ) -> WorkOrder:
        order = [
            S.RECEPTION,
            S.DIAGNOSIS,
            S.QUOTATION,
            S.APPROVAL,
            S.APPROVED,
            S.IN_WORK,
            S.QUALITY_CHECK,
            S.READY,
            S.DELIVERED,
            S.SETTLED,
        ]
        while order.index(wo.state) < order.index(target):
            wo.refresh_from_db()
            if wo.state == S.RECEPTION:
                sign_stage(wo, InspectionStage.ENTRY, advisor, hv_tech_staff)
                wo = actions.start_diagnosis(wo, actor=advisor)
            elif wo.state == S.DIAGNOSIS:
                for code in lines:
                    actions.add_labour_line(wo, code, actor=advisor)
                for code in parts:
                    actions.add_part_line(wo, code, actor=advisor)
                wo.refresh_from_db()
                wo = actions.prepare_quote(wo, actor=advisor, diagnosis="前制动片磨损到极限")
            elif wo.state == S.QUOTATION:
                wo = actions.send_quote(wo, actor=advisor)
            elif wo.state == S.APPROVAL:
                wo = actions.approve_quote(wo, actor=advisor, signer_name="刘先生")
            elif wo.state == S.APPROVED:
                if wo.high_voltage:
                    safety.record_hv_check(
                        wo,
                        actor=advisor,
                        technician=hv_tech_staff,
                        discharged=True,
                        residual_voltage="3.2",
                        insulation_mohm="550",
                    )
                wo = actions.start_work(wo, actor=advisor)
            elif wo.state == S.IN_WORK:
                for line in wo.labour_lines.all():
                    actions.finish_operation(line, actor=advisor, actual_hours=line.standard_hours)
                for line in wo.part_lines.all():
                    actions.record_part_fitted(
                        line, actor=advisor, batch_no="B2026-11-01", supplier="SUP-OEM"
                    )
                wo.refresh_from_db()
                if wo.needs_oil_record and not wo.oil_brand:
                    wo = actions.record_oil(wo, actor=advisor, brand="嘉实多 极护", grade="0W-20")
                sign_stage(wo, InspectionStage.IN_PROCESS, advisor, hv_tech_staff)
                wo = actions.finish_work(wo, actor=advisor)
            elif wo.state == S.QUALITY_CHECK:
                sign_stage(wo, InspectionStage.COMPLETION, advisor, hv_tech_staff)
                wo = actions.pass_check(wo, actor=advisor)
            elif wo.state == S.READY:
                wo = actions.deliver(wo, actor=advisor)
            elif wo.state == S.DELIVERED:
                wo = actions.settle(
                    wo, actor=advisor, paid_amount=wo.customer_amount, payment_method="wechat"
                )
        return wo

    return go


__all__ = ["ChecklistTemplate", "Decimal", "good_results", "photo_upload", "sign_stage"]
