"""The monthly manager-callback draw (CB-1): 10% of served customers, by outlet / base,
reproducible from its stored seed and population, assigned to the regional manager."""

from __future__ import annotations

import datetime as dt
import io
import math

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from anxin.api.base import Conflict
from anxin.assurance import sampling
from anxin.assurance.actions.draws import draw_callbacks, verify_draw
from anxin.assurance.choices import CallbackPurpose, DrawPurpose
from anxin.assurance.models import Callback, Draw
from anxin.assurance.sweeps import calendar_sweep
from anxin.network.models import Outlet
from anxin.notifications.models import Message

from .conftest import at, customer, delivered_order, served_rescue

pytestmark = pytest.mark.django_db


@pytest.fixture
def november(east, outlet, unit, hangzhou):
    """East served 30 customers at outlet HZ-001, 9 at HZ-002 and 12 by rescue in November;
    plus jobs outside the month and in another region that must not count."""
    second = Outlet.objects.create(
        code="HZ-002", name="杭州滨江服务站", region=east, city=hangzhou, lat=30.2, lon=120.2
    )
    for i in range(30):
        delivered_order(outlet, at(2026, 11, 1 + i % 28, 9))
    for i in range(9):
        delivered_order(second, at(2026, 11, 2 + i, 11))
    for i in range(12):
        served_rescue(east, at(2026, 11, 3 + i, 15), unit=unit, cust=customer(east))
    # One customer served twice in the month is one served customer.
    regular = customer(east, "陈老板")
    delivered_order(outlet, at(2026, 11, 4), cust=regular)
    delivered_order(outlet, at(2026, 11, 20), cust=regular)
    delivered_order(outlet, at(2026, 10, 31, 23))  # October (Asia/Shanghai)
    delivered_order(outlet, at(2026, 12, 1, 0))  # December 00:00 +08:00
    return {"second": second}


def test_ten_percent_of_each_outlet_and_base_is_drawn_and_assigned_to_the_manager(
    east, november, manager, outlet
):
    manager.email = "manager@example.cn"
    manager.save()
    draw = draw_callbacks(east, "2026-11", seed=42, at=at(2026, 12, 1, 2))
    assert draw.population_size == 30 + 9 + 12 + 1
    assert draw.strata == {
        f"outlet:{outlet.pk}": [31, 4],
        f"outlet:{november['second'].pk}": [9, 1],
        f"base:{outlet.region.bases.get().pk}": [12, 2],
    }
    assert draw.sample_size == 7 >= math.ceil(0.1 * draw.population_size)
    callbacks = Callback.objects.filter(draw=draw)
    assert callbacks.count() == 7
    assert {c.purpose for c in callbacks} == {CallbackPurpose.MANAGER}
    assert {c.assignee for c in callbacks} == {manager}
    assert {c.job_kind for c in callbacks} == {"workorder", "rescue"}
    assert all(c.due_at == at(2026, 12, 1, 2) + dt.timedelta(days=14) for c in callbacks)
    assert draw.seed == 42 and draw.rate == "1/10"
    assert draw.population_hash == sampling.population_hash(k for k, _s in draw.population)
    assert Message.objects.filter(job_ref=f"draw:{draw.pk}", recipient=manager.email).exists()


def test_the_draw_is_reproducible_and_verifiable(east, november):
    draw = draw_callbacks(east, "2026-11", seed=7, at=at(2026, 12, 1, 2))
    check = verify_draw(draw)
    assert check.ok and check.current_size == draw.population_size
    # The same seed over the same population in a fresh database gives the same sample.
    stored = [sampling.Unit(k, s) for k, s in draw.population]
    assert sampling.draw(stored, rate="0.1", seed=7).chosen == draw.sample
    # A record changed afterwards (an extra delivery dated into November) shows up.
    delivered_order(november["second"], at(2026, 11, 29))
    later = verify_draw(draw)
    assert later.sample_reproduced and later.stored_hash_ok
    assert not later.population_unchanged and later.current_size == draw.population_size + 1


def test_a_month_is_drawn_once_and_cannot_be_redrawn_with_another_seed(east, november):
    first = draw_callbacks(east, "2026-11", seed=1, at=at(2026, 12, 1, 2))
    assert draw_callbacks(east, "2026-11", at=at(2026, 12, 2)) == first
    with pytest.raises(Conflict):
        draw_callbacks(east, "2026-11", seed=2, at=at(2026, 12, 2))
    assert Draw.objects.count() == 1
    assert Callback.objects.count() == first.sample_size


def test_a_month_not_over_or_badly_written_is_refused(east):
    with pytest.raises(ValidationError):
        draw_callbacks(east, "2026-12", at=at(2026, 12, 15))
    with pytest.raises(ValidationError):
        draw_callbacks(east, "2026-13", at=at(2027, 2, 1))
    assert not Draw.objects.exists()


def test_only_quality_and_managers_draw(east, dispatcher, november):
    with pytest.raises(PermissionDenied):
        draw_callbacks(east, "2026-11", actor=dispatcher, at=at(2026, 12, 1, 2))
    assert not Draw.objects.exists()


def test_the_command_draws_and_verifies(east, south, november):
    out = io.StringIO()
    call_command(
        "callbacks", "draw", "--month", "2026-11", "--region", "east", "--seed", "99", stdout=out
    )
    draw = Draw.objects.get(region=east)
    assert draw.seed == 99 and "east" in out.getvalue()
    out = io.StringIO()
    call_command("callbacks", "verify", str(draw.pk), stdout=out)
    assert "OK" in out.getvalue()
    call_command("callbacks", "draw", "--month", "2026-11", stdout=io.StringIO())
    assert Draw.objects.filter(region=south, population_size=0).exists()


def test_the_worker_draws_last_month_for_every_region_once(east, south, november):
    done = calendar_sweep(
        at(
            2026,
            12,
            1,
            0,
        )
    )
    assert Draw.objects.filter(purpose=DrawPurpose.CALLBACK, period="2026-11").count() == 2
    assert Draw.objects.filter(purpose=DrawPurpose.AUDIT, period="2026-Q3").count() == 2
    assert done >= 4
    calendar_sweep(at(2026, 12, 1, 1))
    assert Draw.objects.filter(purpose=DrawPurpose.CALLBACK).count() == 2
