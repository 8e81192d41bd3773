"""Feedback personas and jobs: a rescue job served in the east, another in the south."""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from anxin.core.events import job_state_changed
from anxin.customers.models import Customer, Vehicle
from anxin.rescue.models import RescueJob
from tests.conftest import make_user

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
_vins = itertools.count(1)


def vin(n: int) -> str:
    """A VIN with a valid check digit (ISO 3779 weights)."""
    from anxin.core.validators import validate_vin

    base = f"LSVAB4BR{n:09d}"[:17]
    values = {**{str(d): d for d in range(10)}}
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    translit = [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9]
    values.update(dict(zip(letters, translit, strict=True)))
    weights = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
    total = sum(values[c] * w for c, w in zip(base, weights, strict=True))
    check = total % 11
    result = base[:8] + ("X" if check == 10 else str(check)) + base[9:]
    validate_vin(result)
    return result


@pytest.fixture
def customer(east) -> Customer:
    return Customer.objects.create(name="刘德明", phone="13812345678", region=east)


@pytest.fixture
def vehicle(customer, east) -> Vehicle:
    return make_vehicle(customer, east, "汉")


def make_vehicle(owner: Customer | None, region: Any, model: str, plate: str = "") -> Vehicle:
    n = next(_vins)
    return Vehicle.objects.create(
        vin=vin(n),
        plate=plate or f"浙A{n:05d}",
        brand="比亚迪",
        model=model,
        powertrain="bev",
        owner=owner,
        region=region,
    )


def make_job(
    region: Any,
    customer: Customer | None = None,
    vehicle: Vehicle | None = None,
    number: str = "",
    phone: str = "13812345678",
) -> RescueJob:
    n = RescueJob.objects.count() + 1
    return RescueJob.objects.create(
        number=number or f"RS20261123-{n:04d}",
        fault="breakdown",
        lat=30.27,
        lon=120.15,
        region=region,
        customer=customer,
        vehicle=vehicle,
        caller_name="刘德明",
        caller_phone=phone,
        created_at=NOW - dt.timedelta(hours=2),
        state="completed",
    )


def serve(job: Any, kind: str = "rescue", at: dt.datetime | None = None) -> None:
    """What the rescue (or workshop) app announces when the customer has been served."""
    state = {"rescue": "completed", "workorder": "delivered"}[kind]
    job_state_changed.send(
        sender=type(job),
        kind=kind,
        job=job,
        state=state,
        previous="working",
        at=at or timezone.now(),
        actor=None,
    )


@pytest.fixture
def rescue_job(east, customer, vehicle) -> RescueJob:
    return make_job(east, customer, vehicle)


@pytest.fixture
def south_job(south) -> RescueJob:
    return make_job(south, number="RS20261123-9001", phone="13900009999")


@pytest.fixture
def south_manager(south):
    from anxin.accounts.roles import Role

    return make_user("manager_south", Role.REGIONAL_MANAGER, south)


@pytest.fixture
def work_order(east, customer, vehicle, outlet) -> SimpleNamespace:
    """A delivered work order as the workshop app will announce it (its model is not built
    yet: feedback reads only plain attributes)."""
    return SimpleNamespace(
        pk=501,
        number="WO20261123-0001",
        region_id=east.pk,
        outlet_id=outlet.pk,
        customer=customer,
        vehicle=vehicle,
        is_rework=False,
    )
