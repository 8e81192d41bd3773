"""Travel time: the default model's shape, and the OSRM adapter against a local fake server."""

from __future__ import annotations

import datetime as dt

import pytest

from anxin.dispatching import HaversineModel, OsrmTableProvider, Point
from anxin.dispatching.travel import SHANGHAI, great_circle_m
from tests.fakes.osrm import FakeOsrm, fake_duration

HANGZHOU = Point(30.2741, 120.1551)
TEN_KM_NORTH = Point(30.2741 + 10 / 111.195, 120.1551)
AT_3AM = dt.datetime(2026, 11, 23, 3, 0, tzinfo=SHANGHAI)
AT_8AM = dt.datetime(2026, 11, 23, 8, 0, tzinfo=SHANGHAI)


def test_great_circle_distance_of_a_known_pair():
    # Hangzhou to Shanghai People's Square is about 164 km in a straight line.
    import numpy as np

    d = great_circle_m(np.array(30.2741), np.array(120.1551), np.array(31.2304), np.array(121.4737))
    assert 160_000 < float(d) < 168_000


class TestHaversineModel:
    def test_road_distance_is_the_straight_line_times_the_road_factor(self):
        model = HaversineModel(urban_speed_kmh=[36.0] * 24)
        [[seconds]] = model.durations([HANGZHOU], [TEN_KM_NORTH], AT_3AM)
        assert seconds == pytest.approx(13_000 / 10.0, rel=1e-3)  # 13 km at 10 m/s

    def test_the_morning_peak_is_slower_than_the_night(self):
        model = HaversineModel()
        [[night]] = model.durations([HANGZHOU], [TEN_KM_NORTH], AT_3AM)
        [[peak]] = model.durations([HANGZHOU], [TEN_KM_NORTH], AT_8AM)
        assert peak > 1.5 * night

    def test_the_hour_is_the_local_hour_even_for_a_utc_clock(self):
        model = HaversineModel()
        same_instant = AT_8AM.astimezone(dt.UTC)
        assert model.durations([HANGZHOU], [TEN_KM_NORTH], same_instant) == model.durations(
            [HANGZHOU], [TEN_KM_NORTH], AT_8AM
        )

    def test_remote_destinations_use_the_remote_speed(self):
        model = HaversineModel(remote_speed_kmh=60.0)
        [[remote]] = model.durations([HANGZHOU], [TEN_KM_NORTH], AT_8AM, areas=["remote"])
        assert remote == pytest.approx(13_000 / (60 / 3.6), rel=1e-3)

    def test_an_area_classifier_is_used_when_no_areas_are_given(self):
        model = HaversineModel(area_of=lambda p: "remote" if p.lat > 30.3 else "urban")
        [[to_remote]] = model.durations([HANGZHOU], [TEN_KM_NORTH], AT_8AM)
        [[explicit]] = model.durations([HANGZHOU], [TEN_KM_NORTH], AT_8AM, areas=["remote"])
        assert to_remote == explicit

    def test_it_refuses_a_speed_table_without_24_hours(self):
        with pytest.raises(ValueError):
            HaversineModel(urban_speed_kmh=[30.0] * 23)


def expected(origins: list[Point], destinations: list[Point]) -> list[float]:
    """The fake's durations, row by row, flattened (``pytest.approx`` wants a flat list)."""
    return [fake_duration((o.lon, o.lat), (d.lon, d.lat)) for o in origins for d in destinations]


def flat(table: list[list[float]]) -> list[float]:
    return [cell for row in table for cell in row]


class TestOsrmTableProvider:
    origins = [Point(30.20, 120.10), Point(30.25, 120.20)]
    destinations = [Point(30.30, 120.15)]

    def test_it_asks_the_table_service_with_lon_lat_pairs_and_reads_durations(self):
        with FakeOsrm() as fake:
            provider = OsrmTableProvider(fake.url, fallback=HaversineModel())
            table = provider.durations(self.origins, self.destinations, AT_8AM)
        assert fake.errors == []
        assert fake.requests == [
            "/table/v1/driving/120.100000,30.200000;120.200000,30.250000;120.150000,30.300000"
            "?sources=0;1&destinations=2&annotations=duration"
        ]
        assert flat(table) == pytest.approx(expected(self.origins, self.destinations))
        assert provider.fallback_calls == 0

    def test_a_null_cell_is_filled_from_the_fallback_model(self):
        model = HaversineModel()
        with FakeOsrm() as fake:
            fake.null_cells = {(1, 0)}
            table = OsrmTableProvider(fake.url, fallback=model).durations(
                self.origins, self.destinations, AT_8AM
            )
        modelled = model.durations(self.origins, self.destinations, AT_8AM)
        assert table[0][0] == pytest.approx(expected(self.origins, self.destinations)[0])
        assert table[1][0] == pytest.approx(modelled[1][0])

    @pytest.mark.parametrize("status, code", [(500, "Error"), (200, "NoTable")])
    def test_an_error_answer_falls_back_to_the_model(self, status, code):
        model = HaversineModel()
        with FakeOsrm() as fake:
            fake.status, fake.code = status, code
            provider = OsrmTableProvider(fake.url, fallback=model)
            table = provider.durations(self.origins, self.destinations, AT_8AM)
        assert table == model.durations(self.origins, self.destinations, AT_8AM)
        assert provider.fallback_calls == 1

    def test_a_timeout_falls_back_to_the_model(self):
        model = HaversineModel()
        with FakeOsrm() as fake:
            fake.delay = 0.5
            provider = OsrmTableProvider(fake.url, timeout=0.1, fallback=model)
            table = provider.durations(self.origins, self.destinations, AT_8AM)
        assert table == model.durations(self.origins, self.destinations, AT_8AM)
        assert provider.fallback_calls == 1

    def test_an_unreachable_server_falls_back_to_the_model(self):
        with FakeOsrm() as fake:
            url = fake.url
        model = HaversineModel()
        table = OsrmTableProvider(url, timeout=0.5, fallback=model).durations(
            self.origins, self.destinations, AT_8AM
        )
        assert table == model.durations(self.origins, self.destinations, AT_8AM)

    def test_a_large_table_is_asked_in_blocks_within_the_server_limit(self):
        origins = [Point(30.0 + i / 100, 120.0) for i in range(7)]
        destinations = [Point(30.5, 120.0 + j / 100) for j in range(5)]
        with FakeOsrm() as fake:
            table = OsrmTableProvider(fake.url, max_locations=4).durations(
                origins, destinations, AT_8AM
            )
        assert fake.errors == []
        assert len(fake.requests) > 1
        for path in fake.requests:
            assert len(path.split("/")[4].split("?")[0].split(";")) <= 4
        assert flat(table) == pytest.approx(expected(origins, destinations))
