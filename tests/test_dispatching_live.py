"""The column fleet (:class:`~anxin.dispatching.LiveFleet`) against the rule functions and the
plain nearest-idle algorithm, on random fleets changed unit by unit."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anxin.dispatching import (
    HaversineModel,
    LiveFleet,
    NearestIdle,
    Point,
    RescueRequest,
    UnitSnapshot,
    UnitStatus,
)
from anxin.dispatching.index import to_xyz
from anxin.dispatching.rules import RuleContext, first_failure

from .test_dispatching_prefilter import at, scenes

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
STATUSES = list(UnitStatus)


@st.composite
def changes(draw: st.DrawFn, n: int, now: dt.datetime):
    """A few unit changes as a LiveFleet caller makes them (status, position, finish)."""
    result = []
    for _ in range(draw(st.integers(0, 12))):
        status = draw(st.sampled_from(STATUSES))
        until = draw(st.one_of(st.none(), st.integers(-90, 600)))
        result.append(
            (
                draw(st.integers(0, n - 1)),
                status,
                at(draw(st.floats(-15, 15)), draw(st.floats(-15, 15))),
                None if until is None else now.timestamp() + 60.0 * until + 7.0,
                at(draw(st.floats(-15, 15)), 0.0) if until is not None else None,
                draw(st.integers(0, 5)),
            )
        )
    return result


def apply(fleet: LiveFleet, snapshots: list[UnitSnapshot], change) -> None:
    """The change on the LiveFleet, and the same change as a plain snapshot (validated)."""
    i, status, point, until, busy_point, jobs = change
    fleet.update(
        i, status=status, point=point, busy_until=until, busy_point=busy_point, jobs_today=jobs
    )
    old = snapshots[i]
    snapshots[i] = UnitSnapshot(
        id=old.id,
        point=point,
        kind=old.kind,
        capabilities=old.capabilities,
        status=status,
        crew=old.crew,
        daily_check=old.daily_check,
        shift_start=old.shift_start,
        shift_end=old.shift_end,
        busy_until=None if until is None else dt.datetime.fromtimestamp(until, dt.UTC),
        busy_point=busy_point,
        jobs_today=jobs,
    )


@SETTINGS
@given(st.data())
def test_the_columns_judge_every_hard_rule_as_the_functions_do(data):
    ctx, units, [request] = data.draw(scenes())
    fleet = LiveFleet(units)
    snapshots = list(units)
    assert fleet.exact  # every hard rule of the table is judged by class or by its twin
    for change in [None, *data.draw(changes(len(units), ctx.now))]:
        if change is not None:
            apply(fleet, snapshots, change)
        expected = [first_failure(request, unit, ctx) is not None for unit in snapshots]
        assert fleet.fails(request, ctx).tolist() == expected
        idle = [unit.status is UnitStatus.AVAILABLE for unit in snapshots]
        assert fleet.fails(request, ctx, idle_only=True).tolist() == [
            f or not i for f, i in zip(expected, idle, strict=True)
        ]
        # The rows a nearest-idle choice reads (the idle units') are where they stand.
        rows = [k for k, i in enumerate(idle) if i]
        if rows:
            origins = np.array([[snapshots[k].origin.lat, snapshots[k].origin.lon] for k in rows])
            assert np.allclose(
                fleet.xyz_idle[rows], to_xyz(origins[:, 0], origins[:, 1]), rtol=0, atol=1e-6
            )
        # The snapshot it builds is the unit as a validated snapshot would be.
        for i, unit in enumerate(snapshots):
            assert fleet.snapshot(i) == unit
        origins = np.array([[u.origin.lat, u.origin.lon] for u in snapshots])
        assert np.allclose(fleet.xyz, to_xyz(origins[:, 0], origins[:, 1]), rtol=0, atol=1e-6)


def reference_nearest_idle(requests, units, order, ctx, travel):
    """Nearest idle unit passing the rules, first come first served; equally near units in
    ``order`` (longest idle first); each timed by the model leaving now."""
    taken: set[int] = set()
    pairs = []
    for request in requests:
        best = None
        for i in order:
            unit = units[i]
            if i in taken or unit.status is not UnitStatus.AVAILABLE:
                continue
            if first_failure(request, unit, ctx) is not None:
                continue
            d = _chord2(unit.point, request.point)
            if best is None or d < best[0]:
                best = (d, i)
        if best is None:
            continue
        taken.add(best[1])
        unit = units[best[1]]
        [[eta]] = travel.durations([unit.point], [request.point], ctx.now, areas=[request.area])
        pairs.append((request.id, unit.id, eta))
    return pairs


def _chord2(a: Point, b: Point) -> float:
    """The squared chord between two points on the sphere."""
    from anxin.dispatching.live import xyz_of

    (x1, y1, z1), (x2, y2, z2) = xyz_of(a), xyz_of(b)
    return (x1 - x2) * (x1 - x2) + (y1 - y2) * (y1 - y2) + (z1 - z2) * (z1 - z2)


@SETTINGS
@given(st.data())
def test_nearest_idle_on_columns_is_the_plain_algorithm(data):
    ctx, units, batch = data.draw(scenes(n_requests=3))
    # Some units share a spot: equally near, the one idle longest goes.
    units = [
        u if k % 3 else UnitSnapshot(**{**_fields(u), "point": at(2.0, 2.0)})
        for k, u in enumerate(units)
    ]
    fleet = LiveFleet(units)
    snapshots = list(units)
    idle_since = {i: 0 for i, u in enumerate(units) if u.status is UnitStatus.AVAILABLE}
    clock = 0
    for change in data.draw(changes(len(units), ctx.now)):
        was_idle = snapshots[change[0]].status is UnitStatus.AVAILABLE
        apply(fleet, snapshots, change)
        if change[1] is UnitStatus.AVAILABLE and not was_idle:
            clock += 1
            idle_since[change[0]] = clock
    order = sorted(range(len(units)), key=lambda i: (idle_since.get(i, 0), i))
    requests = [
        RescueRequest(**{**_fields(r), "created_at": ctx.now - dt.timedelta(minutes=k)})
        for k, r in enumerate(batch)
    ]
    travel = HaversineModel(tz=ctx.tz)
    got = NearestIdle(tz=ctx.tz).assign(requests, fleet, now=ctx.now, travel=travel)
    first_come = sorted(requests, key=lambda r: r.created_at)
    expected = reference_nearest_idle(first_come, snapshots, order, ctx, travel)
    assert [(p.request_id, p.unit_id) for p in got.pairs] == [(r, u) for r, u, _ in expected]
    for pair, (_, _, eta) in zip(got.pairs, expected, strict=True):
        assert math.isclose(pair.eta_seconds, eta, rel_tol=1e-9, abs_tol=1e-6)


def _fields(obj):
    return {name: getattr(obj, name) for name in obj.__dataclass_fields__ if name != "today"}


def test_a_rule_the_columns_cannot_judge_is_confirmed_unit_by_unit(monkeypatch):
    """A hard rule with no unit key and no vectorised twin: the fleet says it is not exact,
    and nearest-idle asks the rule functions about each unit before it takes it."""
    from anxin.dispatching import rules
    from anxin.dispatching.explain import Reason

    def not_u0(request, unit, ctx):
        return rules.RuleResult(unit.id != "u0", Reason("status.ok"))

    extra = rules.RuleSpec("not_u0", "hard", "test", not_u0, "unit")
    monkeypatch.setattr(rules, "HARD_RULES", (*rules.HARD_RULES, extra))
    import anxin.dispatching.live as live
    import anxin.dispatching.policies as policies

    monkeypatch.setattr(live, "HARD_RULES", rules.HARD_RULES)
    monkeypatch.setattr(policies, "first_failure", _with_rules(rules.HARD_RULES))
    monkeypatch.setattr(live, "first_failure", _with_rules(rules.HARD_RULES))
    now = dt.datetime(2026, 11, 23, 10, 30, tzinfo=dt.UTC)
    units = [
        UnitSnapshot(id="u0", point=at(0.5, 0.0), kind="tow_truck"),  # type: ignore[arg-type]
        UnitSnapshot(id="u1", point=at(3.0, 0.0), kind="tow_truck"),  # type: ignore[arg-type]
    ]
    fleet = LiveFleet(units)
    assert not fleet.exact
    request = RescueRequest(id="r", point=at(0.0, 0.0), fault="no_start")
    result = NearestIdle().assign([request], fleet, now=now, travel=HaversineModel())
    assert [p.unit_id for p in result.pairs] == ["u1"]


def test_an_idle_unit_still_carrying_a_finish_is_judged_in_that_state(monkeypatch):
    """The verdicts on idle units are kept per need class for the usual idle state (no
    expected finish); a unit idle yet carrying one is judged as it is, by its own class."""
    from anxin.dispatching import rules
    from anxin.dispatching.explain import Reason

    def not_half_done(request, unit, ctx):
        odd = unit.status is UnitStatus.AVAILABLE and unit.busy_until is not None
        return rules.RuleResult(not odd, Reason("status.ok"))

    extra = rules.RuleSpec(
        "not_half_done",
        "hard",
        "test",
        not_half_done,
        "unit",
        unit_key=lambda unit: (unit.status, unit.busy_until is None),
    )
    monkeypatch.setattr(rules, "HARD_RULES", (*rules.HARD_RULES, extra))
    import anxin.dispatching.live as live

    monkeypatch.setattr(live, "HARD_RULES", rules.HARD_RULES)
    now = dt.datetime(2026, 11, 23, 10, 30, tzinfo=dt.UTC)
    units = [
        UnitSnapshot(id="u0", point=at(0.5, 0.0), kind="tow_truck"),  # type: ignore[arg-type]
        UnitSnapshot(id="u1", point=at(3.0, 0.0), kind="tow_truck"),  # type: ignore[arg-type]
    ]
    fleet = LiveFleet(units)
    assert fleet.exact
    request = RescueRequest(id="r", point=at(0.0, 0.0), fault="no_start")
    ctx = RuleContext(now)
    assert fleet.nearest_idle(request, ctx) == 0
    fleet.update(
        0, status=UnitStatus.AVAILABLE, point=at(0.5, 0.0), busy_until=now.timestamp() + 600
    )
    assert fleet.fails(request, ctx, idle_only=True).tolist() == [True, False]
    assert fleet.nearest_idle(request, ctx) == 1
    fleet.update(0, status=UnitStatus.AVAILABLE, point=at(0.5, 0.0))
    assert fleet.nearest_idle(request, ctx) == 0


def _with_rules(hard_rules):
    def first_failure(request, unit, ctx):
        for rule in hard_rules:
            result = rule.check(request, unit, ctx)
            if not result.ok:
                return rule.name, result
        return None

    return first_failure


def test_equal_positions_go_to_the_unit_idle_longest():
    now = dt.datetime(2026, 11, 23, 10, 30, tzinfo=dt.UTC)
    base = at(1.0, 1.0)
    units = [
        UnitSnapshot(id=f"u{i}", point=base, kind="tow_truck", status="busy")  # type: ignore[arg-type]
        for i in range(3)
    ]
    fleet = LiveFleet(units)
    for i in (2, 0, 1):  # u2 back first, then u0, then u1
        fleet.update(i, status=UnitStatus.AVAILABLE, point=base)
    request = RescueRequest(id="r", point=at(0.0, 0.0), fault="no_start")
    pairs = NearestIdle().assign([request], fleet, now=now, travel=HaversineModel()).pairs
    assert [p.unit_id for p in pairs] == ["u2"]
    ctx = RuleContext(now)
    assert fleet.fails(request, ctx).tolist() == [False, False, False]
