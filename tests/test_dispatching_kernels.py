"""The compiled kernels against what they stand for: datetime's rounding, the shift rule,
the numpy travel model and the plain nearest-by-chord choice."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from anxin.dispatching import HaversineModel
from anxin.dispatching.kernels import (
    epoch_microseconds,
    local_time_of_day_us,
    nearest_row,
    on_shift_one,
    sphere_xyz,
)
from anxin.dispatching.prefilter import epoch_us, local_time_us, time_of_day_us

SHANGHAI = ZoneInfo("Asia/Shanghai")
epochs = st.floats(1.0e9, 2.2e9, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(epochs)
@example(1_796_000_000.0000005)  # exactly half a microsecond: to even
@example(1_796_000_000.0000015)
@example(1_796_054_399.9999996)  # rounds up into the next second (and local day)
def test_epoch_microseconds_round_as_datetime_does(epoch):
    assert epoch_microseconds(epoch) == epoch_us(dt.datetime.fromtimestamp(epoch, dt.UTC))
    moment = dt.datetime.fromtimestamp(epoch, dt.UTC)
    assert epoch_microseconds(epoch) / 1e6 == moment.timestamp()


@settings(max_examples=300, deadline=None)
@given(epochs)
@example(1_796_054_399.9999996)
def test_local_time_of_day_is_the_wall_clock_of_the_zone(epoch):
    moment = dt.datetime.fromtimestamp(epoch, dt.UTC)
    assert local_time_of_day_us(epoch, 8 * 3600) == local_time_us(moment, SHANGHAI)


@settings(max_examples=300, deadline=None)
@given(st.times(), st.times(), st.times())
def test_a_shift_holds_from_its_start_to_before_its_end_across_midnight(start, end, at):
    expected = start <= at < end if start < end else at >= start or at < end
    got = on_shift_one(time_of_day_us(start), time_of_day_us(end), time_of_day_us(at))
    assert got == expected


@settings(max_examples=200, deadline=None)
@given(
    st.floats(29.5, 31.0), st.floats(119.5, 121.0), st.floats(29.5, 31.0),
    st.floats(119.5, 121.0), st.floats(1.7e9, 1.9e9), st.booleans(),
)  # fmt: skip
def test_one_trip_is_timed_as_the_vectorised_model_times_it(lat1, lon1, lat2, lon2, at, remote):
    model = HaversineModel()
    one = model.seconds_between(lat1, lon1, lat2, lon2, at, remote=remote)
    many = model.pairwise_seconds(
        np.array([lat1]), np.array([lon1]), np.array([lat2]), np.array([lon2]),
        np.array([at]), np.array([remote]),
    )  # fmt: skip
    assert math.isclose(one, float(many[0]), rel_tol=1e-12, abs_tol=1e-9)


spots = st.tuples(st.floats(30.0, 30.5), st.floats(120.0, 120.5))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.booleans(), st.integers(0, 9)), min_size=1,
             max_size=30),
    st.lists(spots, min_size=6, max_size=6),
    spots,
)  # fmt: skip
def test_the_nearest_row_is_the_least_chord_then_the_longest_idle(rows, places, here):
    # Units stand at six places only, so many are equally near: the order of idling decides.
    xyz = np.array([sphere_xyz(*places[p]) for p, _, _ in rows], dtype=np.float64)
    blocked = np.array([b for _, b, _ in rows], dtype=np.bool_)
    since = np.array([s for _, _, s in rows], dtype=np.int64)
    hx, hy, hz = sphere_xyz(*here)
    got = nearest_row(xyz, blocked, hx, hy, hz, since, 1.0)
    open_rows = [i for i in range(len(rows)) if not blocked[i]]
    if not open_rows:
        assert got == -1
        return

    def key(i):
        dx, dy, dz = xyz[i, 0] - hx, xyz[i, 1] - hy, xyz[i, 2] - hz
        return (dx * dx + dy * dy + dz * dz, since[i])

    best = min(key(i) for i in open_rows)
    assert not blocked[got]
    assert key(got) == best
