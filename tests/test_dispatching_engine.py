"""Proposals for one request, and the spatial index behind them."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anxin.dispatching import (
    CrewMember,
    FleetIndex,
    HaversineModel,
    Point,
    Rejections,
    RescueRequest,
    UnitSnapshot,
    propose,
)
from anxin.dispatching.rules import HARD_RULE_NAMES
from anxin.dispatching.travel import SHANGHAI, great_circle_m

NOW = dt.datetime(2026, 11, 23, 10, 30, tzinfo=SHANGHAI)
CENTRE = Point(30.2741, 120.1551)
MODEL = HaversineModel()


def km_from_centre(x_km: float, y_km: float) -> Point:
    lat = CENTRE.lat + y_km / 111.195
    return Point(lat, CENTRE.lon + x_km / (111.195 * math.cos(math.radians(CENTRE.lat))))


def unit(uid: object, x_km: float, y_km: float = 0.0, **kw: object) -> UnitSnapshot:
    fields: dict[str, object] = {"kind": "tow_truck", **kw}
    return UnitSnapshot(id=uid, point=km_from_centre(x_km, y_km), **fields)  # type: ignore[arg-type]


def breakdown(**kw: object) -> RescueRequest:
    fields: dict[str, object] = {"id": "call-1", "point": CENTRE, "fault": "no_start", **kw}
    return RescueRequest(**fields)  # type: ignore[arg-type]


class TestPropose:
    def test_units_are_ranked_by_eta_with_reasons_and_the_rules_they_passed(self):
        fleet = [unit("far", 9), unit("near", 2), unit("middle", 5)]
        result = propose(breakdown(), fleet, now=NOW, travel=MODEL, limit=3)
        assert [p.unit_id for p in result.proposals] == ["near", "middle", "far"]
        best = result.proposals[0]
        assert best.rank == 1 and best.passed_rules == HARD_RULE_NAMES
        assert best.eta_at == NOW + dt.timedelta(seconds=best.eta_seconds)
        assert [r.code for r in best.reasons] == ["eta.idle", "rank.best", "workload.jobs_today"]
        assert result.proposals[1].reasons[1].code == "rank.behind"

    def test_a_unit_about_to_finish_nearby_beats_an_idle_unit_far_away(self):
        finishing = unit(
            "finishing",
            20,
            status="busy",
            busy_until=NOW + dt.timedelta(minutes=4),
            busy_point=km_from_centre(1, 0),
        )
        fleet = [unit("idle-far", 15), finishing]
        result = propose(breakdown(), fleet, now=NOW, travel=MODEL)
        assert [p.unit_id for p in result.proposals] == ["finishing", "idle-far"]
        chained = result.proposals[0]
        assert chained.eta_seconds > 4 * 60
        assert chained.reasons[0].code == "eta.chained"
        assert chained.reasons[0].params["finish"] == "10:34"

    def test_eta_not_straight_line_decides(self):
        # Same distance, but one unit is still busy for 20 minutes.
        fleet = [
            unit("busy", 0, 3, status="busy", busy_until=NOW + dt.timedelta(minutes=20)),
            unit("idle", 0, -4),
        ]
        result = propose(breakdown(), fleet, now=NOW, travel=MODEL)
        assert result.proposals[0].unit_id == "idle"

    def test_workload_breaks_a_tie_between_equally_close_units(self):
        fleet = [unit("tired", 3, jobs_today=6), unit("fresh", -3, jobs_today=0)]
        result = propose(breakdown(), fleet, now=NOW, travel=MODEL)
        assert [p.unit_id for p in result.proposals] == ["fresh", "tired"]

    def test_units_failing_a_hard_rule_are_rejected_with_the_rule_and_reason(self):
        fleet = [
            unit("van", 1, kind="service_van"),
            unit("unchecked", 2, daily_check="missing"),
            unit("ok", 8),
        ]
        result = propose(breakdown(needs={"towing"}), fleet, now=NOW, travel=MODEL)
        assert [p.unit_id for p in result.proposals] == ["ok"]
        assert {(r.unit_id, r.rule) for r in result.rejections} == {
            ("van", "capability_match"),
            ("unchecked", "daily_check_passed"),
        }
        assert [r.reason.code for r in result.rejections if r.unit_id == "van"] == [
            "capability.towing_needed"
        ]

    def test_an_hv_fault_gets_only_crews_with_a_valid_certificate(self):
        certified = (CrewMember("li", {"ev_hv": dt.date(2027, 6, 30)}),)
        expired = (CrewMember("wang", {"ev_hv": dt.date(2026, 11, 1)}),)
        fleet = [unit("expired", 1, crew=expired), unit("certified", 6, crew=certified)]
        result = propose(breakdown(fault="hv_battery"), fleet, now=NOW, travel=MODEL)
        assert [p.unit_id for p in result.proposals] == ["certified"]
        assert result.rejections[0].rule == "hv_certified_crew"

    def test_the_search_widens_until_enough_units_pass_the_rules(self):
        # The 200 nearest all failed their check; the only good ones are farther out.
        broken = [unit(f"b{i}", 1 + i * 0.01, daily_check="failed") for i in range(200)]
        good = [unit("g1", 30), unit("g2", 31)]
        result = propose(breakdown(), broken + good, now=NOW, travel=MODEL, limit=2)
        assert [p.unit_id for p in result.proposals] == ["g1", "g2"]
        assert len(result.rejections) == 200

    def test_rejections_are_built_when_first_read(self):
        broken = [unit(f"b{i}", 1 + i * 0.01, daily_check="failed") for i in range(40)]
        result = propose(breakdown(), [*broken, unit("g", 30)], now=NOW, travel=MODEL)
        rejections = result.rejections
        assert isinstance(rejections, Rejections) and rejections._items is None
        assert len(rejections) == 40 and rejections._items is None  # counted, not built
        listed = list(rejections)
        assert [r.unit_id for r in listed] == [f"b{i}" for i in range(40)]
        assert {r.rule for r in listed} == {"daily_check_passed"}
        assert (
            rejections == listed and rejections[3] == listed[3] and rejections[-2:] == listed[-2:]
        )
        assert listed[0].reason.text("zh-Hans") and rejections != listed[1:]

    def test_excluded_units_are_skipped_not_rejected(self):
        fleet = [unit("promised", 1), unit("other", 4)]
        result = propose(breakdown(), fleet, now=NOW, travel=MODEL, exclude={"promised"})
        assert [p.unit_id for p in result.proposals] == ["other"]
        assert result.rejections == []

    def test_no_feasible_unit_gives_no_proposal_and_no_error(self):
        result = propose(breakdown(), [unit("x", 1, status="off_duty")], now=NOW, travel=MODEL)
        assert result.proposals == [] and result.rejections[0].rule == "status_dispatchable"
        assert propose(breakdown(), [], now=NOW, travel=MODEL).proposals == []

    def test_now_may_be_epoch_seconds_but_never_naive(self):
        fleet = [unit("a", 2)]
        by_epoch = propose(breakdown(), fleet, now=NOW.timestamp(), travel=MODEL)
        by_datetime = propose(breakdown(), fleet, now=NOW, travel=MODEL)
        assert by_epoch.proposals[0].eta_seconds == by_datetime.proposals[0].eta_seconds
        with pytest.raises(ValueError):
            propose(breakdown(), fleet, now=dt.datetime(2026, 11, 23, 10, 30), travel=MODEL)  # noqa: DTZ001

    def test_reasons_render_in_both_languages(self):
        result = propose(breakdown(), [unit("a", 2)], now=NOW, travel=MODEL)
        eta = result.proposals[0].reasons[0]
        assert "min" in eta.text("en") and "分钟" in eta.text("zh-Hans")


coords = st.tuples(st.floats(-150, 150), st.floats(-150, 150))


class TestFleetIndex:
    @settings(max_examples=40, deadline=None)
    @given(st.lists(coords, min_size=1, max_size=60), coords, st.integers(1, 10))
    def test_nearest_matches_brute_force(self, positions, query, k):
        fleet = [unit(i, x, y) for i, (x, y) in enumerate(positions)]
        index = FleetIndex(fleet)
        q = km_from_centre(*query)
        found = index.nearest(q, k)
        lat = np.array([u.point.lat for u in fleet])
        lon = np.array([u.point.lon for u in fleet])
        brute = np.sort(
            great_circle_m(lat, lon, np.full_like(lat, q.lat), np.full_like(lon, q.lon))
        )
        assert [d for _, d in found] == pytest.approx(list(brute[: min(k, len(fleet))]), abs=0.01)

    @settings(max_examples=40, deadline=None)
    @given(st.lists(coords, min_size=1, max_size=60), coords, st.floats(0, 200))
    def test_within_returns_exactly_the_units_inside_the_radius(self, positions, query, radius_km):
        fleet = [unit(i, x, y) for i, (x, y) in enumerate(positions)]
        q = km_from_centre(*query)
        found = {i for i, _ in FleetIndex(fleet).within(q, radius_km * 1000)}
        for i, u in enumerate(fleet):
            d = float(
                great_circle_m(
                    np.array(u.point.lat), np.array(u.point.lon), np.array(q.lat), np.array(q.lon)
                )
            )
            if abs(d - radius_km * 1000) > 0.01:  # away from the edge, where rounding decides
                assert (i in found) == (d <= radius_km * 1000)

    def test_a_busy_unit_is_indexed_where_its_current_job_ends(self):
        busy = unit("b", 50, status="busy", busy_until=NOW, busy_point=km_from_centre(1, 0))
        [(i, distance)] = FleetIndex([busy]).nearest(CENTRE, 1)
        assert i == 0 and distance == pytest.approx(1000, rel=1e-3)
