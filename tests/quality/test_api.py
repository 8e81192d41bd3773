"""The quality API: figures by indicator, scope and month; bad input is a clear 4xx (KPI-1..3)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from anxin.accounts.roles import Role
from anxin.quality.models import AlertRule

from ..conftest import logged_in, make_user
from .helpers import T0, make_units, rescue

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def history(admin_user, east, hangzhou, base):
    units = make_units(base, 2)
    for i, minutes in enumerate([10, 14, 22, 30]):
        rescue(admin_user, east, hangzhou, units[i % 2], T0 + dt.timedelta(hours=i), minutes)
    return units


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def get(user, url):
    return logged_in(user).get(url)


def test_an_auditor_reads_the_region_figures_of_a_month(auditor, east, history):
    r = get(auditor, f"/api/v1/quality/figures?scope=region&key={east.pk}&month=2026-10"
                     "&indicator=rescue_response_mean&indicator=rescue_within_15")  # fmt: skip
    assert r.status_code == 200, r.content
    by = {f["indicator"]: f for f in r.json()}
    assert by["rescue_response_mean"]["value"] == 19.0
    assert by["rescue_response_mean"]["n"] == 4
    assert by["rescue_response_mean"]["meets_target"] is False
    assert by["rescue_within_15"]["value"] == 50.0
    assert by["rescue_within_15"]["previous_value"] is None


def test_the_records_behind_a_figure_are_the_jobs(auditor, east, history):
    r = get(auditor, f"/api/v1/quality/figures/rescue_within_15/records?scope=region"
                     f"&key={east.pk}&month=2026-10&failing=true")  # fmt: skip
    body = r.json()
    assert r.status_code == 200 and body["total"] == 2
    assert sorted(x["value_minutes"] for x in body["records"]) == [22.0, 30.0]
    assert all(x["url"].startswith("/rescue/jobs/") for x in body["records"])


def test_a_month_in_the_future_is_refused(auditor, east):
    r = get(auditor, f"/api/v1/quality/figures?scope=region&key={east.pk}&month=2027-01")
    assert r.status_code == 422
    assert "future" in r.content.decode()


def test_an_unknown_indicator_is_refused_by_name(auditor):
    r = get(auditor, "/api/v1/quality/figures?scope=network&month=2026-10&indicator=happiness")
    assert r.status_code == 422 and "happiness" in r.content.decode()
    r = get(auditor, "/api/v1/quality/figures/happiness/records?scope=network&month=2026-10")
    assert r.status_code == 422


def test_a_regional_manager_may_not_see_another_region_or_the_network(east, south):
    manager = make_user("mgr", Role.REGIONAL_MANAGER, east)
    assert get(manager, f"/api/v1/quality/figures?scope=region&key={south.pk}").status_code == 403
    assert get(manager, "/api/v1/quality/figures?scope=network").status_code == 403
    assert get(manager, f"/api/v1/quality/figures?scope=region&key={east.pk}").status_code == 200
    # Without a scope, a regional user gets their own region.
    assert get(manager, "/api/v1/quality/figures").json()[0]["key"] == str(east.pk)


def test_an_unknown_scope_is_refused(auditor):
    assert get(auditor, "/api/v1/quality/figures?scope=galaxy&key=1").status_code == 422


def test_indicators_without_their_source_say_so(auditor):
    r = get(auditor, "/api/v1/quality/indicators")
    assert r.status_code == 200
    codes = {i["code"]: i for i in r.json()}
    assert codes["rescue_response_mean"]["data_source"] is True
    assert codes["satisfaction"]["target"] == 90


def test_a_rule_threshold_must_be_a_number(auditor, admin_user):
    client = logged_in(admin_user)
    body = {"code": "x-rule", "name": "x", "indicator": "rework_rate", "threshold": "5%"}
    r = client.post("/api/v1/quality/rules", body, content_type="application/json")
    assert r.status_code == 422 and "threshold" in r.content.decode()
    body["threshold"] = True
    assert (
        client.post("/api/v1/quality/rules", body, content_type="application/json").status_code
        == 422
    )
    body["threshold"] = 150.0
    r = client.post("/api/v1/quality/rules", body, content_type="application/json")
    assert r.status_code == 422 and "between 0 and 100" in r.content.decode()
    body["threshold"] = 4.5
    r = client.post("/api/v1/quality/rules", body, content_type="application/json")
    assert r.status_code == 201, r.content
    rule = AlertRule.objects.get(code="x-rule")
    r = client.patch(
        f"/api/v1/quality/rules/{rule.pk}", {"threshold": "high"}, content_type="application/json"
    )
    assert r.status_code == 422
    assert AlertRule.objects.get(pk=rule.pk).threshold == 4.5


def test_only_quality_roles_change_rules(dispatcher):
    r = logged_in(dispatcher).post(
        "/api/v1/quality/rules",
        {"code": "d-rule", "name": "d", "indicator": "rework_rate", "threshold": 5.0},
        content_type="application/json",
    )
    assert r.status_code == 403
    assert not AlertRule.objects.filter(code="d-rule").exists()
