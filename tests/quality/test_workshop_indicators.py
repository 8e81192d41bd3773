"""Workshop, feedback and callback indicators read the other apps' records (read-only), and
the seeds' rules fire on them: a repair 20% over standard opens a review; a region's
battery rework rate above 5% opens an investigation (KPI-1, KPI-3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from anxin.core.validators import make_vin
from anxin.customers.models import Customer, Vehicle
from anxin.quality import alerts, rollup
from anxin.quality.models import Alert, ReviewTask
from anxin.workshop.models import LabourLine, LabourOperation, WorkOrder

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 10, 28, 12, 0, tzinfo=TZ)
OCT = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def car(east, hangzhou):
    owner = Customer.objects.create(name="赵六", phone="13712345678", region=east, city=hangzhou)
    return Vehicle.objects.create(
        vin=make_vin("LGXCE4CB0P", "000111"), brand="比亚迪", model="汉", powertrain="bev",
        region=east, owner=owner,
    )  # fmt: skip


@pytest.fixture
def operation(db):
    return LabourOperation.objects.create(
        code="HVB-R", name="动力电池更换", system="hv_battery", standard_hours=Decimal("2.00"),
        national_price=Decimal("300"), high_voltage=True,
    )  # fmt: skip


COUNTER = iter(range(1, 10**6))


def order(outlet, car, *, day, systems=("hv_battery",), rework_of=None, hours=None, op=None):
    n = next(COUNTER)
    at = dt.datetime.combine(day, dt.time(10), TZ)
    wo = WorkOrder.objects.create(
        number=f"WO-T{n:05d}", state="delivered", customer=car.owner, vehicle=car, outlet=outlet,
        region=outlet.region, job_type="fault_repair", systems=list(systems), received_at=at,
        work_finished_at=at + dt.timedelta(hours=3), delivered_at=at + dt.timedelta(hours=5),
        rework_of=rework_of, rework_system=systems[0] if rework_of else "",
    )  # fmt: skip
    if hours is not None:
        LabourLine.objects.create(
            work_order=wo, operation=op, standard_hours=op.standard_hours, unit_price=Decimal("300"),
            amount=Decimal("300"), added_at=at, actual_hours=Decimal(hours), finished_at=at,
        )  # fmt: skip
    rollup.refresh("workorder", [wo.pk])
    return wo


def test_rework_rate_counts_delivered_orders_on_their_delivery_day(outlet, car, east):
    first = order(outlet, car, day=dt.date(2026, 10, 3))
    for i in range(3):
        order(outlet, car, day=dt.date(2026, 10, 5 + i), systems=("brakes",))
    order(outlet, car, day=dt.date(2026, 10, 20), rework_of=first)
    fig = rollup.figure("rework_rate", "outlet", str(outlet.pk), *OCT)
    assert (fig.n, fig.num, fig.value) == (5, 1, 20.0)
    by_system = rollup.figure("rework_rate", "region_fault", f"{east.pk}|hv_battery", *OCT)
    assert (by_system.n, by_system.num) == (2, 1)
    assert rollup.differences(["workorder"]) == []


def test_repair_time_against_standard_and_the_each_rule(outlet, car, operation, east):
    ok = order(outlet, car, day=dt.date(2026, 10, 6), hours="2.40", op=operation)  # exactly +20%
    slow = order(outlet, car, day=dt.date(2026, 10, 7), hours="2.50", op=operation)  # +25%
    fig = rollup.figure("repair_within_standard", "outlet", str(outlet.pk), *OCT)
    assert (fig.n, fig.num) == (2, 1)
    assert alerts.check_record("workorder", ok.pk, NOW) == []
    fired = alerts.check_record("workorder", slow.pk, NOW)
    assert len(fired) == 1 and fired[0].value == pytest.approx(25.0)
    assert alerts.check_record("workorder", slow.pk, NOW) == []  # never twice
    task = ReviewTask.objects.get()
    assert task.kind == "review" and slow.number in task.title and task.region_id == east.pk


def test_a_regions_battery_rework_above_5_percent_opens_one_investigation(outlet, car, east):
    firsts = [order(outlet, car, day=dt.date(2026, 10, 2)) for _ in range(40)]
    for first in firsts[:6]:
        order(outlet, car, day=dt.date(2026, 10, 9), rework_of=first)
    # 6 of 46 battery jobs (13%) are reworks: beyond 5% + 2σ for n=46 (≈11.4%).
    fired = alerts.evaluate(NOW)
    battery = [a for a in fired if a.rule.code == "battery-rework-region"]
    assert len(battery) == 1 and battery[0].key == f"{east.pk}|hv_battery"
    assert battery[0].task.kind == "investigation"
    assert not [a for a in alerts.evaluate(NOW) if a.rule.code == "battery-rework-region"]
    assert Alert.objects.filter(rule__code="battery-rework-region").count() == 1


def test_a_few_reworks_in_a_small_sample_raise_no_alarm(outlet, car):
    firsts = [order(outlet, car, day=dt.date(2026, 10, 2)) for _ in range(18)]
    order(outlet, car, day=dt.date(2026, 10, 9), rework_of=firsts[0])
    order(outlet, car, day=dt.date(2026, 10, 9), rework_of=firsts[1])
    # 2 of 20 is 10%, above 5%, but well inside the funnel for n=20.
    assert not [a for a in alerts.evaluate(NOW) if a.rule.code == "battery-rework-region"]


def test_parts_on_time_says_it_has_no_data_source_yet(auditor):
    fig = rollup.figure("parts_on_time", "network", "", *OCT)
    assert fig.value is None and fig.note == "no data source yet"


def test_satisfaction_counts_ratings_of_4_or_5(outlet, east):
    from anxin.feedback.models import Rating, RatingInvitation

    for i, score in enumerate([5, 4, 3, 5, 2]):
        inv = RatingInvitation.objects.create(
            job_kind="workorder", job_id=str(900 + i), region=east, outlet=outlet,
            served_at=NOW, created_at=NOW, expires_at=NOW + dt.timedelta(days=7),
        )  # fmt: skip
        Rating.objects.create(
            invitation=inv, job_kind="workorder", job_id=str(900 + i), region=east, outlet=outlet,
            overall=score, timeliness=score, attitude=score, professionalism=score, result=score,
            submitted_at=NOW - dt.timedelta(days=i),
        )  # fmt: skip
    fig = rollup.figure("satisfaction", "outlet", str(outlet.pk), *OCT)
    assert (fig.n, fig.value, fig.meets) == (5, 60.0, False)
    assert rollup.differences(["rating"]) == []


def test_complaint_timeliness_follows_the_commitment_clocks(outlet, east):
    from anxin.commitments.api import on_event
    from anxin.feedback.models import Complaint

    received = NOW - dt.timedelta(days=3)
    quick = Complaint.objects.create(
        number="CP-1", channel="phone", text="等待太久", region=east, outlet=outlet,
        received_at=received, category="process",
    )  # fmt: skip
    slow = Complaint.objects.create(
        number="CP-2", channel="phone", text="态度差", region=east, outlet=outlet,
        received_at=received, category="attitude",
    )  # fmt: skip
    for c in (quick, slow):
        on_event("complaint", c.pk, "received", at=received, attrs={"region": east.pk})
    on_event("complaint", quick.pk, "first_response", at=received + dt.timedelta(minutes=40))
    on_event("complaint", slow.pk, "first_response", at=received + dt.timedelta(hours=5))
    fig = rollup.figure("complaint_first_response", "region", str(east.pk), *OCT)
    assert (fig.n, fig.num) == (2, 1)
    by_class = rollup.figure("complaint_first_response", "fault", "attitude", *OCT)
    assert (by_class.n, by_class.num) == (1, 0)
    assert rollup.differences(["complaint"]) == []
