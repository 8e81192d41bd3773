"""The dispatch rules, one by one: each hard rule passes what it should and stops what it must."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anxin.dispatching import (
    RULES,
    CrewMember,
    Point,
    RescueRequest,
    UnitSnapshot,
)
from anxin.dispatching.rules import (
    HARD_RULE_NAMES,
    RuleContext,
    capability_match,
    context_at,
    daily_check_passed,
    first_failure,
    hv_certified_crew,
    on_shift,
    pair_cost,
    status_dispatchable,
)
from anxin.dispatching.travel import SHANGHAI

NOW = dt.datetime(2026, 11, 23, 10, 30, tzinfo=SHANGHAI)
CTX = RuleContext(NOW)
HANGZHOU = Point(30.2741, 120.1551)


def request(**kw: object) -> RescueRequest:
    defaults: dict[str, object] = {"id": "r1", "point": HANGZHOU, "fault": "flat_tyre"}
    return RescueRequest(**{**defaults, **kw})  # type: ignore[arg-type]


def unit(**kw: object) -> UnitSnapshot:
    defaults: dict[str, object] = {"id": "u1", "point": HANGZHOU, "kind": "tow_truck"}
    return UnitSnapshot(**{**defaults, **kw})  # type: ignore[arg-type]


def hv_tech(expires: dt.date) -> CrewMember:
    return CrewMember("tech", {"ev_hv": expires})


def test_every_hard_rule_and_soft_rule_is_in_the_table_with_its_kind():
    kinds = {rule.name: rule.kind for rule in RULES}
    assert kinds == {
        "status_dispatchable": "hard",
        "daily_check_passed": "hard",
        "on_shift": "hard",
        "capability_match": "hard",
        "hv_certified_crew": "hard",
        "eta": "soft",
        "workload_balance": "soft",
        "priority_weight": "soft",
    }
    assert HARD_RULE_NAMES[:3] == ("status_dispatchable", "daily_check_passed", "on_shift")


class TestCapabilityMatch:
    def test_a_flatbed_request_refuses_a_tow_truck_and_takes_a_flatbed(self):
        r = request(needs={"flatbed"})
        refused = capability_match(r, unit(kind="tow_truck"), CTX)
        assert not refused.ok and refused.reason.code == "capability.flatbed_needed"
        assert capability_match(r, unit(kind="flatbed"), CTX).ok

    def test_towing_is_done_by_tow_trucks_and_flatbeds_not_service_vans(self):
        r = request(needs={"towing"})
        assert capability_match(r, unit(kind="tow_truck"), CTX).ok
        assert capability_match(r, unit(kind="flatbed"), CTX).ok
        van = capability_match(r, unit(kind="service_van"), CTX)
        assert not van.ok and van.reason.code == "capability.towing_needed"

    @pytest.mark.parametrize("powertrain", ["bev", "hev"])
    def test_an_ev_or_hybrid_to_be_towed_goes_on_a_flatbed(self, powertrain):
        r = request(needs={"towing"}, powertrain=powertrain)
        refused = capability_match(r, unit(kind="tow_truck"), CTX)
        assert not refused.ok and refused.reason.code == "capability.ev_flatbed"
        assert capability_match(r, unit(kind="flatbed"), CTX).ok

    def test_an_ev_repaired_on_the_spot_needs_no_flatbed(self):
        r = request(powertrain="bev", fault="flat_tyre")
        assert capability_match(r, unit(kind="service_van"), CTX).ok

    def test_other_needs_must_be_listed_equipment(self):
        r = request(needs={"battery_boost"})
        refused = capability_match(r, unit(kind="service_van"), CTX)
        assert not refused.ok and refused.reason.params["missing"] == "battery_boost"
        equipped = unit(kind="service_van", capabilities={"battery_boost"})
        assert capability_match(r, equipped, CTX).ok


class TestHvCertifiedCrew:
    def test_an_hv_fault_needs_a_crew_member_certified_today(self):
        r = request(fault="hv_battery")
        certified = unit(crew=(CrewMember("driver"), hv_tech(dt.date(2027, 1, 1))))
        assert hv_certified_crew(r, certified, CTX).ok
        uncertified = unit(crew=(CrewMember("driver"),))
        refused = hv_certified_crew(r, uncertified, CTX)
        assert not refused.ok and refused.reason.code == "hv.no_certified_crew"

    def test_a_certificate_that_expired_yesterday_does_not_count(self):
        r = request(fault="hv_isolation")
        expired = unit(crew=(hv_tech(NOW.date() - dt.timedelta(days=1)),))
        assert not hv_certified_crew(r, expired, CTX).ok
        last_day = unit(crew=(hv_tech(NOW.date()),))
        assert hv_certified_crew(r, last_day, CTX).ok

    def test_the_dispatch_day_is_the_local_day(self):
        # 23:30 in Shanghai is still 15:30 UTC on the same day; 00:30 local is the next day.
        r = request(needs={"hv_certified"})
        crew = unit(crew=(hv_tech(dt.date(2026, 11, 23)),))
        late = RuleContext(dt.datetime(2026, 11, 23, 23, 30, tzinfo=SHANGHAI))
        after_midnight = RuleContext(dt.datetime(2026, 11, 23, 16, 30, tzinfo=dt.UTC))
        assert hv_certified_crew(r, crew, late).ok
        assert not hv_certified_crew(r, crew, after_midnight).ok

    def test_a_non_hv_fault_needs_no_certificate(self):
        assert hv_certified_crew(request(fault="flat_tyre"), unit(crew=()), CTX).ok


class TestDailyCheckPassed:
    def test_only_a_passed_check_makes_the_unit_dispatchable(self):
        r = request()
        assert daily_check_passed(r, unit(daily_check="passed"), CTX).ok
        failed = daily_check_passed(r, unit(daily_check="failed"), CTX)
        missing = daily_check_passed(r, unit(daily_check="missing"), CTX)
        assert (failed.ok, failed.reason.code) == (False, "check.failed")
        assert (missing.ok, missing.reason.code) == (False, "check.missing")


class TestOnShift:
    def test_a_day_shift_covers_its_hours_only(self):
        day = unit(shift_start=dt.time(8), shift_end=dt.time(20))
        assert on_shift(request(), day, CTX).ok
        evening = RuleContext(dt.datetime(2026, 11, 23, 20, 0, tzinfo=SHANGHAI))
        refused = on_shift(request(), day, evening)
        assert not refused.ok and refused.reason.params == {
            "at": "20:00",
            "start": "08:00",
            "end": "20:00",
        }

    def test_a_night_shift_crosses_midnight(self):
        night = unit(shift_start=dt.time(20), shift_end=dt.time(8))
        for hour, expected in [(22, True), (2, True), (7, True), (8, False), (12, False)]:
            ctx = RuleContext(dt.datetime(2026, 11, 23, hour, 0, tzinfo=SHANGHAI))
            assert on_shift(request(), night, ctx).ok is expected, hour

    def test_no_shift_or_equal_times_mean_round_the_clock(self):
        assert on_shift(request(), unit(), CTX).ok
        same = unit(shift_start=dt.time(6), shift_end=dt.time(6))
        assert on_shift(request(), same, CTX).ok

    def test_a_busy_unit_is_judged_when_it_would_set_off(self):
        # Finishing its job at 20:10 after a shift that ends at 20:00: it cannot take more.
        evening = RuleContext(dt.datetime(2026, 11, 23, 19, 30, tzinfo=SHANGHAI))
        busy = unit(
            status="busy",
            busy_until=dt.datetime(2026, 11, 23, 20, 10, tzinfo=SHANGHAI),
            shift_start=dt.time(8),
            shift_end=dt.time(20),
        )
        assert not on_shift(request(), busy, evening).ok


class TestStatusDispatchable:
    def test_an_available_unit_is_dispatchable(self):
        assert status_dispatchable(request(), unit(status="available"), CTX).ok

    @pytest.mark.parametrize("status", ["busy", "returning"])
    def test_a_busy_unit_with_a_known_finish_may_be_chained(self, status):
        chained = unit(status=status, busy_until=NOW + dt.timedelta(minutes=10))
        result = status_dispatchable(request(), chained, CTX)
        assert result.ok and result.reason.code == "status.chained"
        unknown = status_dispatchable(request(), unit(status=status), CTX)
        assert not unknown.ok and unknown.reason.code == "status.busy_unknown_end"

    @pytest.mark.parametrize("status", ["assigned", "off_duty", "maintenance"])
    def test_assigned_off_duty_and_maintenance_units_are_not(self, status):
        result = status_dispatchable(request(), unit(status=status), CTX)
        assert not result.ok and result.reason.params == {"status": status}


def test_first_failure_names_the_first_rule_broken_in_table_order():
    broken = unit(status="maintenance", daily_check="failed", kind="service_van")
    name, result = first_failure(request(needs={"towing"}), broken, CTX) or ("", None)
    assert name == "status_dispatchable" and result is not None and not result.ok
    assert first_failure(request(), unit(), CTX) is None


def test_the_soft_cost_is_eta_then_a_little_workload_times_the_priority_weight():
    idle, tired = unit(jobs_today=0), unit(jobs_today=5)
    assert pair_cost(request(), idle, 600) < pair_cost(request(), tired, 600)
    # Workload only breaks near ties: five jobs weigh less than two minutes of driving.
    assert pair_cost(request(), tired, 600) < pair_cost(request(), idle, 720)
    assert pair_cost(request(priority=2), idle, 600) == 3 * pair_cost(request(), idle, 600)


def test_reasons_read_in_english_and_chinese():
    result = capability_match(request(needs={"flatbed"}), unit(kind="tow_truck"), CTX)
    assert result.reason.text("en") == "The request needs a flatbed; this unit is a tow truck."
    assert result.reason.text("zh-Hans") == "该请求需要平板车，此车为拖车。"


def test_snapshots_refuse_naive_times_and_unknown_values():
    with pytest.raises(ValueError):
        unit(busy_until=dt.datetime(2026, 11, 23, 10, 0))  # noqa: DTZ001 (the point of the test)
    with pytest.raises(ValueError):
        unit(kind="helicopter")
    with pytest.raises(ValueError):
        Point(91.0, 120.0)
    with pytest.raises(ValueError):
        RuleContext(dt.datetime(2026, 11, 23, 10, 0))  # noqa: DTZ001


_ZONES = [SHANGHAI, zoneinfo.ZoneInfo("Europe/Berlin"), zoneinfo.ZoneInfo("America/New_York")]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            # Around the clock changes of 2026 in Berlin and New York, and plain days.
            st.floats(1_774_000_000.0, 1_800_000_000.0, allow_nan=False),
            st.integers(0, len(_ZONES) - 1),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_a_context_from_epoch_seconds_is_the_context_of_that_moment(moments):
    """context_at keeps the last local day it worked out: every answer, asked in any order,
    in any zone, is the one RuleContext gives for the same moment."""
    for epoch, zone in moments:
        tz = _ZONES[zone]
        for t in (epoch, epoch + 1.0, epoch - 86_400.0):
            got = context_at(t, tz)
            expected = RuleContext(dt.datetime.fromtimestamp(t, dt.UTC), tz)
            assert (got.now, got.tz, got.today) == (expected.now, expected.tz, expected.today)


def test_a_context_refuses_a_naive_moment():
    with pytest.raises(ValueError, match="aware"):
        context_at(dt.datetime(2026, 12, 1, 9, 0))  # noqa: DTZ001 -- naive on purpose
    aware = dt.datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
    assert context_at(aware).today == dt.date(2026, 12, 1)
