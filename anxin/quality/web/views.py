"""Quality pages: the dashboard (network and region), drill-down, scorecards, tasks, reports.

Figures on these pages come from :func:`anxin.quality.rollup.figures` (the rollup cells), never
from scanning jobs; the records behind a figure are listed through their own model's
permission filter.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.accounts.permissions import may_change, restrict
from anxin.api.base import Conflict
from anxin.network.models import City, Outlet, Region, RescueUnit
from anxin.people.models import Staff
from anxin.rescue.choices import OPEN_STATES
from anxin.rescue.models import RescueJob

from .. import actions, drill, rollup, scopes
from ..catalog import DASHBOARD, INDICATORS, MEASURES, SCOPE_LABELS
from ..facts import source_available
from ..models import Alert, AlertRule, MonthlyReport, Outcome, ReviewTask, ScoreEntry, TaskState


def _params(request: HttpRequest) -> tuple[str, str, str]:
    scope = request.GET.get("scope") or ""
    key = request.GET.get("key", "")
    if not scope:
        scope, key = scopes.default_scope(request.user)
    scopes.check_scope(request.user, scope, key)
    month = request.GET.get("month") or scopes.this_month()
    scopes.month_bounds(month)
    return scope, key, month


def _bad_request(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    text = (
        "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        if hasattr(exc, "error_dict")
        else " ".join(exc.messages)
    )
    return render(request, "quality/error.html", {"message": text}, status=400)


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}" + (" %" if unit == "%" else "")


def tiles(scope: str, key: str, month: str) -> list[dict[str, Any]]:
    start, end = scopes.month_bounds(month)
    history = scopes.months_back(month, 6)
    current = rollup.figures(DASHBOARD, scope, key, start, end)
    trend: dict[str, list[float | None]] = {c: [] for c in DASHBOARD}
    for m in history:
        s, e = scopes.month_bounds(m)
        figs = current if m == month else rollup.figures(DASHBOARD, scope, key, s, e)
        for c in DASHBOARD:
            v = figs[c].value
            trend[c].append(None if v is None else round(v, 2))
    out = []
    for code in DASHBOARD:
        f = current[code]
        ind = f.indicator
        out.append(
            {
                "code": code,
                "name": ind.name,
                "value": _fmt(f.value, ind.unit) + ("+" if f.lower_bound else ""),
                "unit": "" if ind.unit == "%" else _("min"),
                "raw": f.value,
                "n": f.n,
                "target": "—" if ind.target is None else _fmt(ind.target, ind.unit),
                "direction": "≤" if ind.direction == "down" else "≥",
                "meets": f.meets,
                "note": _(f.note) if f.note else "",
                "trend": trend[code],
                "months": history,
                "drill": ind.measure is not None and not f.note,
                "formula": str(ind.formula),
            }
        )
    return out


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    try:
        scope, key, month = _params(request)
    except ValidationError as exc:
        return _bad_request(request, exc)
    regions = restrict(Region.objects.all(), request.user)
    tasks = restrict(ReviewTask.objects.filter(state=TaskState.OPEN), request.user)
    alerts = restrict(Alert.objects.select_related("rule"), request.user)
    if scope == "region":
        tasks = tasks.filter(region_id=key)
        alerts = alerts.filter(region_id=key)
    charts = [
        {"indicator": "rework_rate", "scope": "outlet"},
        {"indicator": "satisfaction", "scope": "outlet"},
        {"indicator": "rescue_within_15", "scope": "unit"},
    ]
    for chart in charts:
        ind = INDICATORS[chart["indicator"]]
        chart["name"] = ind.name
        chart["available"] = source_available(MEASURES[ind.measure or ""].source)
        chart["scope_label"] = SCOPE_LABELS[chart["scope"]]
    ctx = {
        "scope": scope,
        "key": key,
        "month": month,
        "scope_label": scopes.label_of(scope, key),
        "tiles": tiles(scope, key, month),
        "regions": regions,
        "tasks": tasks.select_related("owner")[:20],
        "alerts": alerts[:20],
        "charts": charts,
        "is_network": scope == "network",
    }
    return render(request, "quality/dashboard.html", ctx)


def _jobs_in_scope(request: HttpRequest, scope: str, key: str) -> Any:
    jobs = restrict(RescueJob.objects.all(), request.user)
    if scope == "region":
        jobs = jobs.filter(region_id=key)
    elif scope == "city":
        jobs = jobs.filter(city_id=key)
    elif scope == "unit":
        jobs = jobs.filter(unit_id=key)
    return jobs


@login_required
def live(request: HttpRequest) -> HttpResponse:
    """DSP-4 live: today's response figures and the jobs waiting now (polled every 30 s)."""
    try:
        scope, key, _month = _params(request)
    except ValidationError as exc:
        return _bad_request(request, exc)
    today = timezone.localdate()
    figs = rollup.figures(
        ["rescue_response_mean", "rescue_response_p90", "rescue_within_15"],
        scope,
        key,
        today,
        today,
    )
    waiting = (
        _jobs_in_scope(request, scope, key)
        .filter(state__in=OPEN_STATES)
        .exclude(state__in=["arrived", "working", "towing"])
    )
    oldest = waiting.order_by("created_at").values_list("created_at", flat=True).first()
    ctx = {
        "mean": _fmt(figs["rescue_response_mean"].value, "min"),
        "p90": _fmt(figs["rescue_response_p90"].value, "min"),
        "within": _fmt(figs["rescue_within_15"].value, "%"),
        "n": figs["rescue_response_mean"].n,
        "meets": figs["rescue_response_mean"].meets,
        "waiting": waiting.count(),
        "oldest_minutes": int((timezone.now() - oldest).total_seconds() // 60) if oldest else None,
        "scope": scope,
        "key": key,
        "today": today,
        "updated": timezone.localtime(),
    }
    return render(request, "quality/_live.html", ctx)


def _colour(meets: bool | None, value: float | None) -> str:
    if value is None:
        return "#adb5bd"
    return "#2b8a3e" if meets else "#c92a2a" if meets is False else "#1971c2"


@login_required
def map_points(request: HttpRequest) -> JsonResponse:
    """Cities coloured by mean response time, outlets by rework rate (or satisfaction)."""
    try:
        scope, key, month = _params(request)
    except ValidationError as exc:
        return JsonResponse({"detail": exc.messages}, status=400)
    start, end = scopes.month_bounds(month)
    cities = restrict(City.objects.all(), request.user)
    outlets = restrict(Outlet.objects.filter(active=True), request.user)
    if scope == "region":
        cities, outlets = cities.filter(region_id=key), outlets.filter(region_id=key)
    elif scope == "city":
        cities, outlets = cities.filter(pk=key), outlets.filter(city_id=key)
    city_sums = rollup.aggregate_many(
        ["rescue_response"], "city", [str(c.pk) for c in cities], start, end
    )
    response = INDICATORS["rescue_response_mean"]
    points = []
    for c in cities:
        agg = city_sums.get(("rescue_response", str(c.pk)), rollup.Agg())
        value, _b = rollup.value_of(response, agg)
        points.append(
            {
                "lat": c.lat,
                "lon": c.lon,
                "radius": 12,
                "color": _colour(response.meets(value), value),
                "label": f"{c.name} · {response.name} {_fmt(value, 'min')} {_('min')} (n={agg.n})",
                "url": f"?scope=city&key={c.pk}&month={month}",
                "kind": "city",
            }
        )
    outlet_ind = INDICATORS["rework_rate"]
    outlet_measure = MEASURES["rework"]
    sums = {}
    if source_available(outlet_measure.source):
        sums = rollup.aggregate_many(["rework"], "outlet", [str(o.pk) for o in outlets], start, end)
    for o in outlets:
        agg = sums.get(("rework", str(o.pk)), rollup.Agg())
        value, _b = rollup.value_of(outlet_ind, agg)
        shown = _fmt(value, "%") if sums else _("no data source yet")
        points.append(
            {
                "lat": o.lat,
                "lon": o.lon,
                "radius": 6,
                "color": _colour(outlet_ind.meets(value), value),
                "label": f"{o.name} · {outlet_ind.name} {shown}",
                "url": f"?scope=outlet&key={o.pk}&month={month}",
                "kind": "outlet",
            }
        )
    return JsonResponse({"points": points})


@login_required
def control_chart(request: HttpRequest) -> JsonResponse:
    """A funnel plot: each member's rate against its sample size, with the network centre
    line and 2σ/3σ control limits (p-chart limits for variable sample sizes)."""
    import math

    try:
        scope_, key_, month = _params(request)
    except ValidationError as exc:
        return JsonResponse({"detail": exc.messages}, status=400)
    code = request.GET.get("indicator", "")
    member_scope = request.GET.get("members", "outlet")
    ind = INDICATORS.get(code)
    if ind is None or ind.measure is None:
        return JsonResponse({"detail": f"unknown indicator {code!r}"}, status=400)
    measure = MEASURES[ind.measure]
    if not source_available(measure.source):
        return JsonResponse({"available": False, "points": []})
    if member_scope not in measure.scopes or member_scope not in ("outlet", "unit", "city"):
        return JsonResponse({"detail": "members must be outlets, units or cities"}, status=400)
    start, end = scopes.month_bounds(month)
    model = scopes.scope_model(member_scope)
    members = restrict(model.objects.all(), request.user)
    if scope_ == "region":
        members = members.filter(
            **({"base__region_id": key_} if member_scope == "unit" else {"region_id": key_})
        )
    names = {str(m.pk): str(m) for m in members}
    sums = rollup.aggregate_many([measure.code], member_scope, list(names), start, end)
    total_n = sum(a.n for a in sums.values())
    total_num = sum(a.num for a in sums.values())
    p = total_num / total_n if total_n else 0
    pts = []
    for (_m, k), agg in sorted(sums.items()):
        if agg.n:
            pts.append({"name": names.get(k, k), "n": agg.n, "rate": round(100 * agg.num / agg.n, 2),
                        "url": f"?scope={member_scope}&key={k}&month={month}"})  # fmt: skip
    max_n = max([pt["n"] for pt in pts], default=1)
    limits = []
    for n in sorted({1, 2, 3, 5, 8, 12, 20, 30, 50, 80, 120, 200, 300, 500, 800, max_n}):
        if n > max_n:
            continue
        se = math.sqrt(p * (1 - p) / n)
        limits.append(
            {
                "n": n,
                "lo3": max(0, 100 * (p - 3 * se)),
                "hi3": min(100, 100 * (p + 3 * se)),
                "lo2": max(0, 100 * (p - 2 * se)),
                "hi2": min(100, 100 * (p + 2 * se)),
            }  # fmt: skip
        )
    return JsonResponse(
        {
            "available": True,
            "centre": round(100 * p, 2),
            "points": pts,
            "limits": limits,
            "name": ind.name,
            "target": ind.target,
        }  # fmt: skip
    )


@login_required
def drill_down(request: HttpRequest, indicator: str) -> HttpResponse:
    if indicator not in INDICATORS:
        raise Http404
    try:
        scope, key, month = _params(request)
    except ValidationError as exc:
        return _bad_request(request, exc)
    start, end = scopes.month_bounds(month)
    failing = request.GET.get("failing") == "1"
    rows, total = drill.records(request.user, indicator, scope, key, start, end, failing=failing)
    ind = INDICATORS[indicator]
    fig = rollup.figure(indicator, scope, key, start, end)
    uncertified = []
    if indicator == "certification_coverage":
        from ..snapshots import uncertified as gaps

        uncertified = restrict(Staff.objects.filter(pk__in=gaps(scope, key, end)), request.user)
    return render(
        request,
        "quality/drill.html",
        {
            "ind": ind,
            "figure": fig,
            "value": _fmt(fig.value, ind.unit),
            "rows": rows,
            "total": total,
            "scope": scope,
            "key": key,
            "month": month,
            "failing": failing,
            "scope_label": scopes.label_of(scope, key),
            "uncertified": uncertified,
        },
    )


# --- scorecards (KPI-5) ---------------------------------------------------------------------
SCORE_INDICATORS = {
    "outlet": ["repair_within_standard", "rework_rate", "satisfaction", "appointment_response_30",
               "complaint_first_response", "callback_coverage"],
    "unit": ["rescue_response_mean", "rescue_within_15", "rescue_arrival_on_time",
             "equipment_readiness", "certification_coverage", "satisfaction"],
    "staff": ["rescue_response_mean", "rescue_within_15", "certification_coverage",
              "repair_within_standard", "rework_rate", "satisfaction"],
}  # fmt: skip


def _members(request: HttpRequest, scope: str) -> Any:
    model = scopes.scope_model(scope)
    rows = restrict(model.objects.all(), request.user)
    if scope == "staff":
        rows = rows.filter(active=True, role__in=["technician", "service_advisor"])
    return rows


@login_required
def scorecards(request: HttpRequest) -> HttpResponse:
    scope = request.GET.get("scope", "unit")
    if scope not in SCORE_INDICATORS:
        raise Http404
    month = request.GET.get("month") or scopes.this_month()
    try:
        start, end = scopes.month_bounds(month)
    except ValidationError as exc:
        return _bad_request(request, exc)
    codes = SCORE_INDICATORS[scope]
    rows = []
    for member in _members(request, scope)[:300]:
        figs = rollup.figures(codes, scope, str(member.pk), start, end)
        rows.append(
            {
                "member": member,
                "cells": [
                    (_fmt(figs[c].value, figs[c].indicator.unit), figs[c].meets, figs[c].n)
                    for c in codes
                ],
            }
        )
    return render(
        request,
        "quality/scorecards.html",
        {
            "scope": scope,
            "month": month,
            "headers": [INDICATORS[c].name for c in codes],
            "rows": rows,
            "scopes": [(s, SCOPE_LABELS[s]) for s in SCORE_INDICATORS],
        },
    )


@login_required
def scorecard(request: HttpRequest, scope: str, key: str) -> HttpResponse:
    if scope not in SCORE_INDICATORS:
        raise Http404
    member = scopes.check_scope(request.user, scope, key)
    month = request.GET.get("month") or scopes.this_month()
    if request.method == "POST":
        try:
            start, _end = scopes.month_bounds(request.POST.get("month", month))
            actions.record_score(
                request.user,
                scope=scope,
                key=key,
                month=start,
                kind=request.POST.get("kind", ""),
                points=int(request.POST.get("points") or 0),
                amount=request.POST.get("amount") or 0,
                indicator=request.POST.get("indicator", ""),
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, _("Recorded."))
            return redirect(request.get_full_path())
        except (ValidationError, ValueError) as exc:
            messages.error(request, "; ".join(getattr(exc, "messages", [str(exc)])))
    codes = SCORE_INDICATORS[scope]
    history = []
    for m in reversed(scopes.months_back(month, 12)):
        s, e = scopes.month_bounds(m)
        figs = rollup.figures(codes, scope, key, s, e)
        history.append(
            (m, [(_fmt(figs[c].value, figs[c].indicator.unit), figs[c].meets) for c in codes])
        )
    entries = restrict(ScoreEntry.objects.filter(scope=scope, key=key), request.user)
    return render(
        request,
        "quality/scorecard.html",
        {
            "scope": scope,
            "key": key,
            "member": member,
            "month": month,
            "headers": [INDICATORS[c].name for c in codes],
            "codes": codes,
            "history": history,
            "entries": entries,
            "can_record": may_change(request.user, ScoreEntry),
            "indicators": [(c, INDICATORS[c].name) for c in codes],
        },
    )


# --- review tasks ---------------------------------------------------------------------------
@login_required
def tasks(request: HttpRequest) -> HttpResponse:
    rows = restrict(ReviewTask.objects.select_related("owner", "alert__rule"), request.user)
    state = request.GET.get("state", "open")
    if state in TaskState.values:
        rows = rows.filter(state=state)
    return render(
        request,
        "quality/tasks.html",
        {
            "tasks": rows[:200],
            "state": state,
            "rules": restrict(AlertRule.objects.all(), request.user),
        },
    )


@login_required
def task(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_object_or_404(
        restrict(ReviewTask.objects.select_related("alert__rule", "owner"), request.user), pk=pk
    )
    if request.method == "POST":
        try:
            actions.close_task(
                obj,
                actor=request.user,
                outcome=request.POST.get("outcome", ""),
                findings=request.POST.get("findings", ""),
                improvement_ref=request.POST.get("improvement_ref", ""),
                expected_version=int(request.POST.get("version") or obj.version),
            )
            messages.success(request, _("Task closed."))
            return redirect("quality:task", pk=pk)
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        except (PermissionDenied, Conflict) as exc:
            messages.error(request, str(exc))
    from anxin.commitments.api import clocks_for

    return render(
        request,
        "quality/task.html",
        {
            "task": obj,
            "outcomes": Outcome.choices,
            "clocks": clocks_for("quality_review", obj.pk),
            "can_close": obj.state == TaskState.OPEN
            and restrict(ReviewTask.objects.filter(pk=pk), request.user, "change").exists(),
        },
    )


# --- monthly reports ------------------------------------------------------------------------
@login_required
def reports(request: HttpRequest) -> HttpResponse:
    if not scopes.sees_network(request.user):
        raise PermissionDenied
    if request.method == "POST":
        from anxin.worker.api import enqueue

        month = request.POST.get("month", "")
        try:
            scopes.month_bounds(month)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("quality:reports")
        enqueue("quality.monthly_report", {"month": month})
        messages.success(request, _("The report is being prepared; reload in a minute."))
        return redirect("quality:reports")
    return render(
        request,
        "quality/reports.html",
        {
            "reports": MonthlyReport.objects.all()[:36],
            "last_month": scopes.previous_month(scopes.this_month()),
        },
    )


@login_required
def report_file(request: HttpRequest, month: str, fmt: str) -> FileResponse:
    if not scopes.sees_network(request.user) or fmt not in ("xlsx", "pdf"):
        raise Http404
    report = get_object_or_404(MonthlyReport, month=dt.date.fromisoformat(f"{month}-01"))
    field = getattr(report, fmt)
    if not field:
        raise Http404
    return FileResponse(
        field.open("rb"), as_attachment=True, filename=f"anxin-quality-{month}.{fmt}"
    )


def regions_of(request: HttpRequest) -> Any:
    return restrict(Region.objects.all(), request.user)


def units_of(request: HttpRequest) -> Any:
    return restrict(RescueUnit.objects.all(), request.user)
