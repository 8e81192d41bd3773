"""The ``--out`` report: one self-contained HTML file with charts, and a CSV of every request.

The HTML inlines ECharts (the same build the web app serves, from ``node_modules``) so the file
opens offline, mailed or archived; the CSV follows the house spreadsheet rules (UTF-8 with BOM,
formula-looking cells escaped).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .engine import SHANGHAI, RunResult
from .metrics import TARGET_S
from .scenario import KNOWN_NEEDS, Scenario

ECHARTS = (
    Path(__file__).resolve().parents[2] / "node_modules" / "echarts" / "dist" / "echarts.min.js"
)


class ReportError(RuntimeError):
    """The report cannot be written (ECharts missing, directory not writable)."""


def write_report(
    out: Path, scenario: Scenario, results: Sequence[RunResult], summary: dict[str, Any]
) -> list[Path]:
    """Write ``report.html`` and ``requests.csv`` into ``out``; the paths written."""
    if not ECHARTS.is_file():
        raise ReportError(
            f"ECharts not found at {ECHARTS}: run `npm ci` in the repository root "
            "(the report inlines it to open offline)"
        )
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / "requests.csv"
    write_csv(csv_path, scenario, results)
    html_path = out / "report.html"
    html_path.write_text(_html(scenario, results, summary), encoding="utf-8")
    return [html_path, csv_path]


def _cell(value: object) -> object:
    # Spreadsheets run cells starting with = + - @ as formulas; names come from user files.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def write_csv(path: Path, scenario: Scenario, results: Sequence[RunResult]) -> None:
    """Every simulated request of every replication, one row each."""
    start = dt.datetime.combine(scenario.start_date, dt.time(0), SHANGHAI)
    zone_ids = [z.id for z in scenario.zones]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["replication", "request", "called_at", "zone", "lat", "lon", "remote", "needs",
             "unit", "wait_min", "travel_min", "response_min", "service_min", "served"]
        )  # fmt: skip
        for r in results:
            d = r.demand
            for i in range(len(d)):
                served = bool(np.isfinite(r.on_scene_s[i]))
                needs = "+".join(name for name in KNOWN_NEEDS if d.needs[name][i])
                writer.writerow(
                    [
                        r.replication, i,
                        (start + dt.timedelta(seconds=float(d.t[i]))).isoformat(timespec="seconds"),
                        _cell(zone_ids[int(d.zone[i])]),
                        f"{d.lat[i]:.5f}", f"{d.lon[i]:.5f}", int(d.remote[i]), needs,
                        _cell(r.unit_ids[int(r.unit[i])]) if r.unit[i] >= 0 else "",
                        _minutes(r.dispatched_s[i] - d.t[i]),
                        _minutes(r.on_scene_s[i] - r.dispatched_s[i]),
                        _minutes(r.on_scene_s[i] - d.t[i]),
                        _minutes(d.service_s[i]), int(served),
                    ]
                )  # fmt: skip


def _minutes(seconds: float) -> str:
    return f"{seconds / 60.0:.2f}" if np.isfinite(seconds) else ""


def chart_data(scenario: Scenario, results: Sequence[RunResult]) -> dict[str, Any]:
    """The series the report's charts draw, from all replications pooled."""
    response = np.concatenate([r.response_s for r in results]) / 60.0
    t = np.concatenate([r.demand.t for r in results])
    zone = np.concatenate([r.demand.zone for r in results])
    lat = np.concatenate([r.demand.lat for r in results])
    lon = np.concatenate([r.demand.lon for r in results])
    served = np.isfinite(response)
    top = max(60.0, float(np.ceil(np.nanpercentile(response, 99) / 5) * 5)) if served.any() else 60
    bins = np.arange(0.0, top + 5.0, 5.0)
    counts, _ = np.histogram(np.clip(response[served], 0, top), bins=bins)
    hour = (t // 3600).astype(int) % 24
    by_hour = [_mean(response[(hour == h) & served]) for h in range(24)]
    by_zone = [
        {
            "zone": z.id,
            "mean": _mean(response[(zone == k) & served]),
            "over15": _share(response[(zone == k) & served] > TARGET_S / 60.0),
            "requests": int(np.sum(zone == k)),
        }
        for k, z in enumerate(scenario.zones)
    ]
    busy = np.sum([r.unit_busy_s for r in results], axis=0)
    shift = np.sum([r.unit_shift_s for r in results], axis=0)
    utilisation = np.divide(busy, shift, out=np.zeros_like(busy), where=shift > 0)
    hourly_busy = np.sum([r.hourly_busy_s for r in results], axis=0)
    hourly_shift = np.sum([r.hourly_shift_s for r in results], axis=0)
    util_hour = np.divide(hourly_busy, hourly_shift, out=np.zeros(24), where=hourly_shift > 0)
    late = served & (response > TARGET_S / 60.0)
    # A map needs tiles online; the late arrivals are drawn on lon/lat axes with the bases.
    order = np.flatnonzero(late)[:5000]
    return {
        "histogram": {"bins": [f"{b:g}-{b + 5:g}" for b in bins[:-1]], "counts": counts.tolist()},
        "by_hour": {"mean": by_hour, "utilisation": [round(float(v), 4) for v in util_hour]},
        "by_zone": by_zone,
        "units": {"ids": list(results[0].unit_ids), "utilisation": utilisation.round(4).tolist()},
        "late": [
            [round(float(lon[i]), 5), round(float(lat[i]), 5), round(float(response[i]), 1)]
            for i in order
        ],  # fmt: skip
        "bases": [[u.base.lon, u.base.lat, u.id] for u in scenario.units],
    }


def _mean(x: np.ndarray[Any, Any]) -> float | None:
    return round(float(x.mean()), 2) if x.size else None


def _share(x: np.ndarray[Any, Any]) -> float | None:
    return round(float(x.mean()), 4) if x.size else None


_SCRIPT = """
const D = JSON.parse(document.getElementById('data').textContent);
function chart(id, option) { echarts.init(document.getElementById(id)).setOption(option); }
chart('hist', {tooltip: {}, xAxis: {type: 'category', data: D.histogram.bins, name: 'min'},
  yAxis: {type: 'value', name: '请求 requests'},
  series: [{type: 'bar', data: D.histogram.counts}]});
chart('hour', {tooltip: {trigger: 'axis'}, legend: {},
  xAxis: {type: 'category', data: [...Array(24).keys()].map(h => h + ':00')},
  yAxis: [{type: 'value', name: 'min'}, {type: 'value', name: '利用率', max: 1}],
  series: [{name: '平均响应 mean response (min)', type: 'bar', data: D.by_hour.mean},
           {name: '车辆利用率 utilisation', type: 'line', yAxisIndex: 1,
            data: D.by_hour.utilisation}]});
chart('zone', {tooltip: {trigger: 'axis'}, legend: {},
  xAxis: {type: 'category', data: D.by_zone.map(z => z.zone)},
  yAxis: [{type: 'value', name: 'min'}, {type: 'value', name: '>15 min', max: 1}],
  series: [{name: '平均响应 mean (min)', type: 'bar', data: D.by_zone.map(z => z.mean)},
           {name: '超15分钟占比 share over 15 min', type: 'line', yAxisIndex: 1,
            data: D.by_zone.map(z => z.over15)}]});
chart('units', {tooltip: {}, grid: {bottom: 90},
  xAxis: {type: 'category', data: D.units.ids, axisLabel: {rotate: 60}},
  yAxis: {type: 'value', max: 1, name: '利用率 utilisation'},
  series: [{type: 'bar', data: D.units.utilisation}]});
chart('late', {tooltip: {formatter: p => p.seriesName + ': ' + p.value.join(', ')}, legend: {},
  xAxis: {type: 'value', scale: true, name: 'lon'}, yAxis: {type: 'value', scale: true, name: 'lat'},
  visualMap: {min: 15, max: 60, dimension: 2, seriesIndex: 0, inRange: {color: ['#f6c85f', '#c0392b']}},
  series: [{name: '迟到 late (>15 min)', type: 'scatter', symbolSize: 4, data: D.late},
           {name: '基地 bases', type: 'scatter', symbol: 'triangle', symbolSize: 10,
            itemStyle: {color: '#2c3e50'}, data: D.bases}]});
"""


def _html(scenario: Scenario, results: Sequence[RunResult], summary: dict[str, Any]) -> str:
    data = json.dumps(chart_data(scenario, results), ensure_ascii=False).replace("</", "<\\/")
    rows = "".join(
        f"<tr><th>{html.escape(key)}</th><td>{html.escape(json.dumps(value))}</td></tr>"
        for key, value in summary.items()
        if key != "utilisation_by_hour"
    )
    title = html.escape(f"{scenario.name} · {summary['policy']}")
    charts = "".join(
        f'<h2>{html.escape(label)}</h2><div id="{cid}" class="chart"></div>'
        for cid, label in (
            ("hist", "响应时间分布 Response-time distribution"),
            ("hour", "按小时 By hour of day"),
            ("zone", "按区域 By zone"),
            ("units", "车辆利用率 Unit utilisation"),
            ("late", "迟到地点 Where late arrivals happen (>15 min)"),
        )
    )
    echarts = ECHARTS.read_text(encoding="utf-8").replace("</script", "<\\/script")
    return (
        '<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8">'
        f"<title>数字孪生仿真 Simulation: {title}</title>"
        "<style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
        ".chart{height:360px}table{border-collapse:collapse}"
        "th,td{border:1px solid #ccc;padding:2px 8px;text-align:left}</style>"
        f"<script>{echarts}</script></head><body>"
        f"<h1>救援网络仿真 Rescue network simulation: {title}</h1>"
        f"<table>{rows}</table>{charts}"
        f'<script type="application/json" id="data">{data}</script>'
        f"<script>{_SCRIPT}</script></body></html>"
    )
