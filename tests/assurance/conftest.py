"""Builders for the assurance tests: served rescue jobs and delivered work orders."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from anxin.customers.models import Customer, Vehicle
from anxin.rescue.models import JobTransition, RescueJob
from tests.conftest import make_user

SH = ZoneInfo("Asia/Shanghai")
_seq = itertools.count(1)


def at(y: int, m: int, d: int, h: int = 10) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=SH)


def customer(region, name: str = "刘德明", phone: str | None = None) -> Customer:
    n = next(_seq)
    return Customer.objects.create(
        name=name, phone=phone or f"139{n:08d}", region=region, tier="regular"
    )


def vehicle(owner: Customer, region=None) -> Vehicle:
    n = next(_seq)
    return Vehicle.objects.create(
        vin=f"LSVAM4187C{n:07d}",
        brand="安心",
        model="AX5",
        powertrain="bev",
        owner=owner,
        region=region or owner.region,
    )


def served_rescue(region, when: dt.datetime, *, unit=None, cust: Customer | None = None, **kw):
    """A rescue job completed at ``when`` (its stored transitions say so)."""
    n = next(_seq)
    job = RescueJob.objects.create(
        number=f"RS-T{n:05d}",
        state="completed",
        fault="flat_battery",
        lat=30.27,
        lon=120.15,
        region=region,
        customer=cust,
        caller_name=cust.name if cust else "张三",
        caller_phone=cust.phone if cust else f"137{n:08d}",
        unit=unit,
        created_at=when - dt.timedelta(hours=1),
        **kw,
    )
    JobTransition.objects.create(job=job, from_state="", to_state="created", at=job.created_at)
    JobTransition.objects.create(
        job=job, from_state="created", to_state="checked", at=when - dt.timedelta(minutes=50)
    )
    JobTransition.objects.create(job=job, from_state="working", to_state="completed", at=when)
    return job


def delivered_order(outlet, when: dt.datetime, *, cust: Customer | None = None, **kw):
    from anxin.workshop.models import WorkOrder

    n = next(_seq)
    cust = cust or customer(outlet.region)
    fields = dict(
        number=f"WO-T{n:05d}",
        state="delivered",
        customer=cust,
        vehicle=vehicle(cust),
        outlet=outlet,
        region=outlet.region,
        job_type="maintenance",
        delivered_at=when,
        received_at=when - dt.timedelta(hours=5),
    )
    fields.update(kw)
    return WorkOrder.objects.create(**fields)


@pytest.fixture
def quality(db):
    from anxin.accounts.roles import Role

    return make_user("quality", Role.QUALITY_AUDITOR, email="quality@example.cn")


@pytest.fixture
def south_manager(south):
    from anxin.accounts.roles import Role

    return make_user("manager_south", Role.REGIONAL_MANAGER, south)


@pytest.fixture
def supervisor(east):
    from anxin.accounts.roles import Role

    return make_user("supervisor", Role.VOLUNTEER_SUPERVISOR, east)
