"""调度台, the dispatch console: live map, request queue, proposals, first review, dispatch."""

from __future__ import annotations

import importlib
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anxin.api.base import Conflict
from anxin.network.choices import UnitStatus
from anxin.network.models import RescueUnit

from .. import actions
from ..choices import OPEN_STATES, JobState, Priority
from ..models import RescueJob
from ..transitions import missing_details
from .common import add_action_errors, map_point, minutes, need_labels, now, waited
from .forms import DispatchForm, ReasonForm

UNIT_COLOURS = {
    UnitStatus.AVAILABLE: "#0b6e4f",
    UnitStatus.ASSIGNED: "#b54708",
    UnitStatus.BUSY: "#b42318",
    UnitStatus.RETURNING: "#1f5fa8",
}


def queue_groups() -> list[tuple[str, str, tuple[str, ...]]]:
    return [
        ("review", _("Awaiting first review"), (JobState.CREATED, JobState.RETURNED)),
        ("dispatch", _("Awaiting dispatch"), (JobState.CHECKED,)),
        (
            "running",
            _("Under way"),
            (
                JobState.DISPATCHED,
                JobState.ACCEPTED,
                JobState.EN_ROUTE,
                JobState.ARRIVED,
                JobState.WORKING,
                JobState.TOWING,
            ),
        ),
    ]


def open_jobs(user: Any) -> Any:
    return (
        RescueJob.objects.restrict(user, "view")
        .filter(state__in=OPEN_STATES)
        .select_related("unit", "city")
    )


def build_queue(user: Any) -> list[dict[str, Any]]:
    at = now()
    jobs = list(open_jobs(user))
    groups = []
    for key, label, states in queue_groups():
        rows = [j for j in jobs if j.state in states]
        # Emergencies first, then the longest wait.
        rows.sort(key=lambda j: (j.priority != Priority.EMERGENCY, j.created_at))
        groups.append(
            {
                "key": key,
                "label": label,
                "jobs": [{"job": j, "waited": minutes(waited(j, at))} for j in rows],
            }
        )
    return groups


@login_required
def console(request: HttpRequest) -> HttpResponse:
    ctx: dict[str, Any] = {"groups": build_queue(request.user)}
    selected = request.GET.get("job")
    if selected and selected.isdigit():
        job = get_object_or_404(RescueJob.objects.restrict(request.user, "view"), pk=int(selected))
        ctx.update(panel_context(request, job))
    return render(request, "rescue/console.html", ctx)


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    selected = request.GET.get("job", "")
    return render(
        request,
        "rescue/_queue.html",
        {
            "groups": build_queue(request.user),
            "selected": int(selected) if selected.isdigit() else None,
        },
    )


@login_required
def live(request: HttpRequest) -> JsonResponse:
    """Markers of the console map: the user's units by status and the open requests."""
    units = []
    for u in RescueUnit.objects.restrict(request.user, "view").filter(
        active=True, last_lat__isnull=False
    ):
        point = map_point(
            u.last_lat,
            u.last_lon,
            id=f"u{u.pk}",
            kind="unit",
            label=f"{u.code} {u.plate} · {u.get_status_display()}",
            status=u.status,
            color=UNIT_COLOURS.get(u.status, "#5b6b7c"),
            seen=u.last_seen_at.isoformat() if u.last_seen_at else None,
        )
        units.append(point)
    jobs = []
    for j in open_jobs(request.user):
        jobs.append(
            map_point(
                j.lat,
                j.lon,
                id=f"j{j.pk}",
                kind="job",
                label=f"{j.number} {j.get_fault_display()} · {j.get_state_display()}",
                state=j.state,
                color="#b42318",
                emergency=j.priority == Priority.EMERGENCY,
                url=f"{reverse('rescue:console')}?job={j.pk}",
            )
        )
    return JsonResponse({"units": units, "jobs": jobs})


def load_proposals(job: RescueJob, user: Any) -> Any:
    """The lead's proposal engine, looked up at call time so tests and deployments can swap it."""
    try:
        module = importlib.import_module("anxin.rescue.proposals")
    except ModuleNotFoundError:
        return None
    return module.proposals_for(job, user, now())


def panel_context(
    request: HttpRequest,
    job: RescueJob,
    *,
    dispatch_form: DispatchForm | None = None,
    review_form: ReasonForm | None = None,
    conflict: Conflict | None = None,
) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "job": job,
        "conflict": conflict,
        "waited": minutes(waited(job, now())),
        "needs": need_labels(job),
    }
    if job.state in (JobState.CREATED, JobState.RETURNED):
        missing = [str(m) for m in missing_details(job)]
        ctx["missing"] = missing
        ctx["review_form"] = review_form or ReasonForm(
            user=request.user, initial={"name": "send_back", "reason": "；".join(missing)}
        )
    if job.state == JobState.CHECKED:
        result = load_proposals(job, request.user)
        proposals = list(getattr(result, "proposals", []) or [])
        top = proposals[0] if proposals else None
        ctx.update(
            proposals=proposals,
            rejections=list(getattr(result, "rejections", []) or []),
            top=top,
            engine_missing=result is None,
        )
        ctx["dispatch_form"] = dispatch_form or DispatchForm(
            user=request.user, initial={"recommended": top.unit.pk if top else None}
        )
    return ctx


def render_panel(
    request: HttpRequest, job: RescueJob, status: int = 200, **kw: Any
) -> HttpResponse:
    job.refresh_from_db()
    ctx = panel_context(request, job, **kw)
    if request.headers.get("HX-Request"):
        response = render(request, "rescue/_panel.html", ctx, status=status)
        response["HX-Trigger"] = "queue-changed"  # the queue shows the new state at once
        return response
    ctx["groups"] = build_queue(request.user)
    return render(request, "rescue/console.html", ctx, status=status)


@login_required
def panel(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(RescueJob.objects.restrict(request.user, "view"), pk=pk)
    return render_panel(request, job)


def back_to(job: RescueJob, request: HttpRequest) -> HttpResponse:
    url = f"{reverse('rescue:console')}?job={job.pk}"
    if request.headers.get("HX-Request"):
        return render_panel(request, job)
    return redirect(url)


@require_POST
@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """一级审核: confirm the request, or send it back with what is missing."""
    job = get_object_or_404(RescueJob.objects.restrict(request.user, "view"), pk=pk)
    form = ReasonForm(request.POST, user=request.user)
    if not form.is_valid() or form.cleaned_data["name"] not in ("check", "send_back"):
        form.add_error(None, _("choose confirm or send back"))
        return render_panel(request, job, status=422, review_form=form)
    name, reason = form.cleaned_data["name"], form.cleaned_data["reason"]
    fields = {"missing_info": reason} if name == "send_back" else {}
    try:
        actions.perform(job, name, actor=request.user, reason=reason, fields=fields)
    except ValidationError as err:
        add_action_errors(form, err)
        return render_panel(request, job, status=422, review_form=form)
    except Conflict as err:
        return render_panel(request, job, status=409, conflict=err)
    return back_to(job, request)


@require_POST
@login_required
def dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    """One click on the top proposal, or another unit with the reason for overriding it."""
    job = get_object_or_404(RescueJob.objects.restrict(request.user, "view"), pk=pk)
    form = DispatchForm(request.POST, user=request.user)
    if not form.is_valid():
        return render_panel(request, job, status=422, dispatch_form=form)
    unit = form.cleaned_data["unit"]
    result = load_proposals(job, request.user)
    eta = next(
        (p.eta_seconds for p in getattr(result, "proposals", []) or [] if p.unit.pk == unit.pk),
        None,
    )
    try:
        actions.dispatch(
            job,
            unit,
            actor=request.user,
            eta_seconds=eta,
            recommended_unit_id=form.cleaned_data["recommended"],
            override_reason=form.cleaned_data["override_reason"],
        )
    except ValidationError as err:
        add_action_errors(form, err)
        return render_panel(request, job, status=422, dispatch_form=form)
    except Conflict as err:
        return render_panel(request, job, status=409, conflict=err)
    return back_to(job, request)
