"""The monthly quality report (月度报告, KPI-4): its data, the spreadsheet and the PDF.

:func:`monthly_data` gathers the month's sections once — indicators against target and last
month, the regions, high-frequency problem areas with the statistics that make them stand
out, alerts and their outcomes, review tasks, complaints by class, improvement actions,
rewards and penalties — and both renderers lay out the same sections: one sheet per section
in the spreadsheet (identifiers written as text, so Excel cannot turn them into numbers),
headed tables and charts in the PDF.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from . import rollup, scopes
from .catalog import INDICATORS, MEASURES, SCOPE_LABELS
from .facts import source_available
from .models import Alert, MonthlyReport, ReviewTask, ScoreEntry

SUMMARY = [c for c in INDICATORS]
REGION_CODES = [
    "rescue_response_mean", "rescue_within_15", "rescue_arrival_on_time", "equipment_readiness",
    "certification_coverage", "coverage_24h", "satisfaction", "rework_rate",
    "repair_within_standard", "complaint_solution",
]  # fmt: skip
# Problem measures for the hot-spot analysis: (measure, what counts as a problem, label).
PROBLEMS = [
    ("rework", "num", "返修 rework"),
    ("rescue_response", "miss", "救援超15分钟 rescue over 15 min"),
    ("rescue_arrival_commit", "miss", "紧急救援超承诺时限 emergency arrival late"),
    ("satisfaction", "miss", "不满意评价 dissatisfied rating"),
    ("repair_standard", "miss", "维修超标准工时 repair over standard"),
    ("complaint_solution", "miss", "投诉超时解决 complaint solved late"),
    ("parts_on_time", "miss", "配件延迟到货 parts late"),
    ("unit_check", "miss", "日检未通过 daily check failed"),
]
HOTSPOT_SCOPES = ("region", "city", "outlet", "unit", "model", "fault")
MIN_HOTSPOT_N = 10
HOTSPOT_Z = 2.0


@dataclass
class Section:
    key: str
    title: str
    header: list[str]
    rows: list[list[Any]]
    text_columns: tuple[int, ...] = ()  # identifiers: kept as text in the spreadsheet
    note: str = ""


@dataclass
class Report:
    month: str
    start: dt.date
    end: dt.date
    sections: list[Section] = field(default_factory=list)
    daily: list[tuple[dt.date, float | None, int]] = field(default_factory=list)
    summary_values: list[tuple[str, float | None, float | None]] = field(default_factory=list)


def _num(value: float | None, digits: int = 1) -> Any:
    return None if value is None else round(value, digits)


def _summary(month: str, start: dt.date, end: dt.date) -> tuple[Section, list[Any]]:
    pstart, pend = scopes.month_bounds(scopes.previous_month(month), today=end)
    now = rollup.figures(SUMMARY, "network", "", start, end)
    before = rollup.figures(SUMMARY, "network", "", pstart, pend)
    rows, values = [], []
    for code in SUMMARY:
        f, b = now[code], before[code]
        ind = f.indicator
        change = None if f.value is None or b.value is None else f.value - b.value
        rows.append([
            code, ind.name_zh, str(ind.name_en), ind.unit, _num(f.value, 2), f.n,
            ind.target, {True: "达标", False: "未达标", None: "—"}[f.meets],
            _num(b.value, 2), _num(change, 2), f.note or "",
        ])  # fmt: skip
        values.append((ind.name_zh, f.value, ind.target))
    return (
        Section(
            "indicators",
            "本月指标 Indicators",
            [
                "指标代码 code",
                "指标",
                "Indicator",
                "单位 unit",
                "本月 value",
                "样本 n",
                "目标 target",
                "是否达标 met",
                "上月 last month",
                "变化 change",
                "说明 note",
            ],
            rows,
            text_columns=(0,),
        ),  # fmt: skip
        values,
    )


def _regions(start: dt.date, end: dt.date) -> Section:
    from anxin.network.models import Region

    rows = []
    for region in Region.objects.order_by("code"):
        figs = rollup.figures(REGION_CODES, "region", str(region.pk), start, end)
        rows.append([region.code, region.name] + [_num(figs[c].value, 2) for c in REGION_CODES])
    return Section(
        "regions", "分区域 Regions",
        ["区域代码 code", "区域 region"] + [INDICATORS[c].name_zh for c in REGION_CODES],
        rows, text_columns=(0,),
    )  # fmt: skip


def _labels(scope: str, keys: list[str]) -> dict[str, str]:
    model = scopes.scope_model(scope)
    if model is None:
        return {k: k for k in keys}
    ids = [int(k) for k in keys if k.isdigit()]
    return {str(pk): str(obj) for pk, obj in ((o.pk, o) for o in model.objects.filter(pk__in=ids))}


def hotspots(start: dt.date, end: dt.date) -> Section:
    """Members whose problem rate stands out from the network's: a one-sided z-test of the
    member's rate against the network rate for its sample size (the funnel plot's reading),
    listed with the share of all problems they hold."""
    rows = []
    for measure, kind, label in PROBLEMS:
        m = MEASURES[measure]
        if not source_available(m.source):
            continue
        net = rollup.aggregate(measure, "network", "", start, end)
        if net.n == 0:
            continue
        bad_total = net.num if kind == "num" else net.n - net.num
        p0 = bad_total / net.n
        if p0 <= 0 or p0 >= 1:
            continue
        for scope in HOTSPOT_SCOPES:
            if scope not in m.scopes:
                continue
            sums = rollup.aggregate_many([measure], scope, None, start, end)
            found = []
            for (_m, key), agg in sums.items():
                if agg.n < MIN_HOTSPOT_N:
                    continue
                bad = agg.num if kind == "num" else agg.n - agg.num
                rate = bad / agg.n
                z = (rate - p0) / math.sqrt(p0 * (1 - p0) / agg.n)
                if z >= HOTSPOT_Z:
                    p_value = 0.5 * math.erfc(z / math.sqrt(2))
                    found.append((z, key, agg.n, bad, rate, p_value))
            found.sort(reverse=True)
            names = _labels(scope, [f[1] for f in found[:10]])
            for z, key, n, bad, rate, p_value in found[:10]:
                rows.append([
                    label, str(SCOPE_LABELS[scope]), key, names.get(key, key), n, bad,
                    round(100 * rate, 2), round(100 * p0, 2), round(z, 2), f"{p_value:.2g}",
                    round(100 * bad / bad_total, 1) if bad_total else None,
                ])  # fmt: skip
    return Section(
        "hotspots", "高频问题区域 High-frequency problem areas",
        ["问题 problem", "维度 scope", "编号 id", "名称 name", "样本 n", "问题数 problems",
         "问题率% rate", "全网率% network", "z", "p (单侧 one-sided)", "占全部问题% share"],
        rows, text_columns=(2,),
        note=f"只列出样本≥{MIN_HOTSPOT_N}且 z≥{HOTSPOT_Z} 的对象；z=(率−全网率)/√(全网率(1−全网率)/n)。",
    )  # fmt: skip


def _alerts(start: dt.date, end: dt.date) -> Section:
    tz = timezone.get_default_timezone()
    lo = dt.datetime.combine(start, dt.time(), tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz)
    rows = []
    for a in Alert.objects.filter(fired_at__gte=lo, fired_at__lt=hi).select_related("rule"):
        task = getattr(a, "task", None)
        rows.append([
            str(a.pk), a.rule.name, a.label, _num(a.value, 2), _num(a.limit, 2), a.n,
            timezone.localtime(a.fired_at).strftime("%Y-%m-%d %H:%M"),
            task.number if task else "", task.get_state_display() if task else "",
            task.get_outcome_display() if task and task.outcome else "",
            task.improvement_ref if task else "",
        ])  # fmt: skip
    return Section(
        "alerts", "预警及处理结果 Alerts and outcomes",
        ["预警编号 id", "规则 rule", "对象 where", "值 value", "控制限 limit", "样本 n",
         "触发时间 fired", "任务 task", "状态 state", "结论 outcome", "整改 improvement"],
        rows, text_columns=(0, 7),
    )  # fmt: skip


def _tasks(start: dt.date, end: dt.date) -> Section:
    tz = timezone.get_default_timezone()
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz)
    lo = dt.datetime.combine(start, dt.time(), tz)
    rows = []
    for t in (
        ReviewTask.objects.filter(opened_at__lt=hi)
        .exclude(closed_at__lt=lo)
        .select_related("owner")
    ):
        overdue = t.due_at is not None and (t.closed_at or hi) > t.due_at
        rows.append([
            t.number, t.get_kind_display(), t.title, str(t.owner or t.get_owner_role_display()),
            timezone.localtime(t.opened_at).strftime("%Y-%m-%d"),
            timezone.localtime(t.due_at).strftime("%Y-%m-%d") if t.due_at else "",
            t.get_state_display(), "是" if overdue else "否", t.get_outcome_display() if t.outcome else "",
        ])  # fmt: skip
    return Section(
        "tasks", "复核与调查任务 Review tasks",
        ["编号 number", "类型 kind", "标题 title", "负责人 owner", "开启 opened", "期限 due",
         "状态 state", "超期 overdue", "结论 outcome"],
        rows, text_columns=(0,),
    )  # fmt: skip


def _scores(start: dt.date) -> Section:
    rows = [
        [
            e.scope,
            e.key,
            e.label,
            e.get_kind_display(),
            e.points,
            float(e.amount),
            e.indicator,
            e.reason,
        ]
        for e in ScoreEntry.objects.filter(month=start)
    ]
    return Section(
        "scores", "考核奖惩 Rewards and penalties",
        ["维度 scope", "编号 id", "名称 name", "类型 kind", "分数 points", "金额 amount (CNY)",
         "指标 indicator", "原因 reason"],
        rows, text_columns=(1,),
    )  # fmt: skip


# Sections contributed by the other feature apps' data (complaints by class, improvement
# actions), registered by :mod:`anxin.quality.sources` when their models exist.
EXTRA_SECTIONS: list[Callable[[dt.date, dt.date], Section]] = []
MISSING_SECTIONS: dict[str, str] = {
    "complaints": "投诉分类 Complaints by class",
    "improvements": "整改措施 Improvement actions",
}


def monthly_data(month: str, *, today: dt.date | None = None) -> Report:
    start, end = scopes.month_bounds(month, today=today)
    report = Report(month, start, end)
    summary, values = _summary(month, start, end)
    report.summary_values = values
    report.sections = [summary, _regions(start, end), hotspots(start, end)]
    extra_keys = set()
    for build in EXTRA_SECTIONS:
        section = build(start, end)
        extra_keys.add(section.key)
        report.sections.append(section)
    for key, title in MISSING_SECTIONS.items():
        if key not in extra_keys:
            report.sections.append(
                Section(key, title, ["说明 note"], [["尚无数据来源 no data source yet"]])
            )
    report.sections += [_alerts(start, end), _tasks(start, end), _scores(start)]
    daily = rollup.aggregate_many(["rescue_response"], "network", [""], start, end, by_day=True)
    ind = INDICATORS["rescue_response_mean"]
    day = start
    while day <= end:
        agg = daily.get(("rescue_response", "", day), rollup.Agg())
        report.daily.append((day, rollup.value_of(ind, agg)[0], agg.n))
        day += dt.timedelta(days=1)
    report.sections.append(
        Section(
            "daily",
            "每日救援响应 Daily rescue response",
            ["日期 day", "平均响应(分钟) mean (min)", "到达数 arrived"],
            [[d.isoformat(), _num(v, 2), n] for d, v, n in report.daily],
            text_columns=(0,),
        )  # fmt: skip
    )
    return report


# --- spreadsheet ----------------------------------------------------------------------------
def to_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for section in report.sections:
        ws = wb.create_sheet(section.key[:31])
        ws.append([section.title])
        ws["A1"].font = Font(bold=True, size=13)
        if section.note:
            ws.append([section.note])
        ws.append(section.header)
        header_row = ws.max_row
        for cell in ws[header_row]:
            cell.font = Font(bold=True)
        for row in section.rows:
            values = []
            for i, v in enumerate(row):
                if i in section.text_columns and v is not None:
                    v = str(v)
                elif isinstance(v, str) and v[:1] in ("=", "+", "-", "@"):
                    v = "'" + v  # never a formula
                values.append(v)
            ws.append(values)
            for i in section.text_columns:
                ws.cell(row=ws.max_row, column=i + 1).number_format = "@"
        for i, _h in enumerate(section.header):
            ws.column_dimensions[ws.cell(row=header_row, column=i + 1).column_letter].width = 18
        if section.key == "daily" and section.rows:
            chart = LineChart()
            chart.title = "每日平均救援响应（分钟）"
            data = Reference(ws, min_col=2, min_row=header_row, max_row=ws.max_row)
            chart.add_data(data, titles_from_data=True)
            chart.set_categories(
                Reference(ws, min_col=1, min_row=header_row + 1, max_row=ws.max_row)
            )
            ws.add_chart(chart, "E3")
        if section.key == "regions" and section.rows:
            chart = BarChart()
            chart.title = "各区域平均响应（分钟）"
            chart.add_data(
                Reference(ws, min_col=3, min_row=header_row, max_row=ws.max_row),
                titles_from_data=True,
            )
            chart.set_categories(
                Reference(ws, min_col=2, min_row=header_row + 1, max_row=ws.max_row)
            )
            ws.add_chart(chart, f"B{ws.max_row + 3}")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- PDF ------------------------------------------------------------------------------------
def _chart_png(daily: list[tuple[dt.date, float | None, int]], target: float) -> bytes:
    """A small line chart of the daily mean response against its target, drawn with Pillow
    (the PDF embeds it as an image; labels are digits only)."""
    from PIL import Image, ImageDraw

    w, h, pad = 1000, 360, 50
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    values = [v for _d, v, _n in daily if v is not None]
    top = max(values + [target]) * 1.2 if values else target * 1.5

    def y(v: float) -> float:
        return h - pad - (h - 2 * pad) * v / top

    def x(i: int) -> float:
        return pad + (w - 2 * pad) * i / max(1, len(daily) - 1)

    d.line([(pad, h - pad), (w - pad, h - pad)], fill="#495057", width=2)
    d.line([(pad, pad), (pad, h - pad)], fill="#495057", width=2)
    d.line([(pad, y(target)), (w - pad, y(target))], fill="#c92a2a", width=2)
    d.text((w - pad - 60, y(target) - 14), f"{target:g} min", fill="#c92a2a")
    pts = [(x(i), y(v)) for i, (_d, v, _n) in enumerate(daily) if v is not None]
    if len(pts) > 1:
        d.line(pts, fill="#1971c2", width=3)
    for px, py in pts:
        d.ellipse([px - 4, py - 4, px + 4, py + 4], fill="#1971c2")
    for i, (day, _v, _n) in enumerate(daily):
        if day.day in (1, 10, 20) or i == len(daily) - 1:
            d.text((x(i) - 8, h - pad + 8), f"{day.day}", fill="#495057")
    for frac in (0.25, 0.5, 0.75, 1.0):
        d.text((8, y(top * frac) - 6), f"{top * frac:.0f}", fill="#495057")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def to_pdf(report: Report) -> bytes:
    from anxin.core import pdf

    blocks: list[Any] = [
        pdf.Title(f"安心 服务质量月度报告 {report.month}"),
        pdf.Subtitle(f"统计期间 {report.start:%Y-%m-%d} 至 {report.end:%Y-%m-%d}（北京时间）"),
        pdf.Image(
            _chart_png(report.daily, 15.0), caption="每日平均救援响应时长（分钟），红线为15分钟目标"
        ),
    ]
    for section in report.sections:
        blocks.append(pdf.Heading(section.title))
        if section.note:
            blocks.append(pdf.Paragraph(section.note, small=True, muted=True))
        header, rows = section.header, section.rows
        if section.key == "indicators":
            header = ["指标", "本月", "目标", "达标", "上月", "样本", "说明"]
            rows = [[r[1], r[4], r[6], r[7], r[8], r[5], r[10]] for r in rows]
        if section.key == "daily":
            continue
        if not rows:
            blocks.append(pdf.Paragraph("本月无记录。", small=True, muted=True))
            continue
        blocks.append(
            pdf.Table(
                [str(h).split(" ")[0] for h in header],
                [["—" if v is None else str(v) for v in r] for r in rows],
            )
        )
    return pdf.render(
        blocks, title=f"服务质量月度报告 {report.month}", footer="安心 Anxin · 质量监控"
    )


def store_report(month: str) -> MonthlyReport:
    """Generate both formats and keep them for download (the worker calls this)."""
    report = monthly_data(month)
    first = report.start
    row, _created = MonthlyReport.objects.get_or_create(
        month=first, defaults={"generated_at": timezone.now()}
    )
    row.xlsx.save(f"quality-{month}.xlsx", ContentFile(to_xlsx(report)), save=False)
    try:
        row.pdf.save(f"quality-{month}.pdf", ContentFile(to_pdf(report)), save=False)
    except Exception:  # the font may be missing on a bare install: keep the spreadsheet
        import logging

        logging.getLogger(__name__).exception("monthly report PDF for %s failed", month)
    row.generated_at = timezone.now()
    row.save()
    return row
