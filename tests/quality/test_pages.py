"""The quality pages: dashboard tiles, live figures, map and charts, drill-down, scorecards."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from anxin.accounts.roles import Role
from anxin.quality.models import ScoreEntry

from ..conftest import logged_in, make_user
from .helpers import T0, make_units, rescue

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 10, 20, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def jobs(admin_user, east, hangzhou, base):
    units = make_units(base, 2)
    return [
        rescue(admin_user, east, hangzhou, units[i % 2], T0 + dt.timedelta(hours=i), m)
        for i, m in enumerate([9, 12, 25])
    ]


def test_the_dashboard_shows_the_regions_figures_with_targets(auditor, east, jobs):
    page = logged_in(auditor).get(f"/quality/?scope=region&key={east.pk}&month=2026-10")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="kpi-rescue_response_mean">15.3<' in html
    assert "no data source yet" in html or "Parts on-time arrival" in html
    assert f"/quality/figures/rescue_response_mean/?scope=region&key={east.pk}" in html


def test_live_figures_count_todays_arrivals_and_waiting_jobs(
    auditor, east, hangzhou, base, admin_user
):
    (unit,) = make_units(base, 1)
    rescue(admin_user, east, hangzhou, unit, NOW - dt.timedelta(hours=1), 11)
    html = logged_in(auditor).get(f"/quality/live/?scope=region&key={east.pk}").content.decode()
    assert 'data-testid="live-mean">11.0<' in html
    assert 'data-testid="live-waiting">0<' in html


def test_drill_down_lists_the_jobs_behind_the_figure(auditor, east, jobs):
    html = (
        logged_in(auditor)
        .get(
            f"/quality/figures/rescue_within_15/?scope=region&key={east.pk}&month=2026-10&failing=1"
        )
        .content.decode()
    )
    assert jobs[2].number in html and jobs[0].number not in html
    assert f"/rescue/jobs/{jobs[2].pk}/" in html


def test_a_regional_manager_gets_their_region_and_not_another(east, south, jobs):
    manager = make_user("mgr", Role.REGIONAL_MANAGER, east)
    client = logged_in(manager)
    assert client.get("/quality/").status_code == 200
    assert client.get(f"/quality/?scope=region&key={south.pk}").status_code == 403
    assert client.get("/quality/?month=2031-01").status_code == 400


def test_map_points_colour_cities_by_response_time(auditor, east, hangzhou, jobs, outlet):
    data = (
        logged_in(auditor).get(f"/quality/map.json?scope=region&key={east.pk}&month=2026-10").json()
    )
    city = next(p for p in data["points"] if p["kind"] == "city")
    assert "15.3" in city["label"] and city["color"] == "#c92a2a"
    assert any(p["kind"] == "outlet" for p in data["points"])


def test_the_control_chart_gives_each_unit_against_network_limits(auditor, east, jobs):
    data = (
        logged_in(auditor)
        .get(
            f"/quality/control.json?indicator=rescue_within_15&members=unit&scope=region&key={east.pk}&month=2026-10"
        )
        .json()
    )
    assert data["available"] and data["centre"] == pytest.approx(66.67)
    assert sorted(p["n"] for p in data["points"]) == [1, 2]
    assert all(lim["lo3"] <= data["centre"] <= lim["hi3"] for lim in data["limits"])


def test_scorecard_records_a_penalty_and_shows_month_history(east, jobs):
    manager = make_user("mgr", Role.REGIONAL_MANAGER, east)
    unit = jobs[0].unit or jobs[0].transitions.filter(to_state="dispatched").first()
    from anxin.network.models import RescueUnit

    unit = RescueUnit.objects.get(code="Q00")
    client = logged_in(manager)
    page = client.get(f"/quality/scorecards/unit/{unit.pk}/?month=2026-10")
    assert page.status_code == 200 and "2026-09" in page.content.decode()
    client.post(
        f"/quality/scorecards/unit/{unit.pk}/?month=2026-10",
        {
            "month": "2026-10",
            "kind": "penalty",
            "points": "-2",
            "amount": "200",
            "indicator": "rescue_within_15",
            "reason": "两次超15分钟",
        },  # fmt: skip
    )
    entry = ScoreEntry.objects.get()
    assert (entry.points, entry.region_id, entry.month) == (-2, east.pk, dt.date(2026, 10, 1))
    assert "两次超15分钟" in client.get(f"/quality/scorecards/unit/{unit.pk}/").content.decode()
    listing = client.get("/quality/scorecards/?scope=unit&month=2026-10").content.decode()
    assert "Q00" in listing
