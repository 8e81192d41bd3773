"""The rescue job page (救援任务): timeline, map, clocks, the transitions the user may make."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from anxin.accounts.roles import Role
from anxin.api.base import Conflict
from anxin.core.listing import RestrictedListView
from anxin.network.models import Outlet

from .. import actions
from ..models import RescueJob
from ..transitions import TRANSITIONS, Transition, available
from .common import add_action_errors, expected_arrival, map_point, need_labels, needs_fallback, now
from .forms import ReasonForm

# Transitions with their own screens: dispatch on the console, the final review (which also
# stores the FinalReview row) on its form.
OWN_SCREENS = frozenset({"dispatch", "review"})
EVIDENCE_INCLUDES = ("rescue/_evidence.html", "rescue/_confirmation.html", "rescue/_reviews.html")


class JobList(RestrictedListView):
    model = RescueJob
    title = _("Rescue jobs")
    template_name = "rescue/job_list.html"
    search_fields = ("number", "address", "caller_phone")

    def decorate(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        state = self.request.GET.get("state", "")
        if state:
            qs = qs.filter(state=state)
        return qs.select_related("unit", "city")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        from ..choices import JobState

        ctx["states"] = JobState.choices
        ctx["state"] = self.request.GET.get("state", "")
        return ctx


def allowed_for(user: Any, job: RescueJob) -> list[Transition]:
    """The transitions of ``available(job)`` this user's role may make on this job."""
    out = []
    for t in available(job):
        if t.name in OWN_SCREENS:
            continue
        if not (user.is_superuser or user.role in t.roles):
            continue
        if t.crew_only and user.role == Role.TECHNICIAN and not actions.is_crew(user, job):
            continue
        out.append(t)
    return out


def existing_includes() -> list[str]:
    found = []
    for name in EVIDENCE_INCLUDES:
        try:
            select_template([name])
        except TemplateDoesNotExist:
            continue
        found.append(name)
    return found


def url_or_none(name: str, pk: int) -> str | None:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None


def job_context(
    request: HttpRequest,
    job: RescueJob,
    *,
    form: ReasonForm | None = None,
    failed: str = "",
    conflict: Conflict | None = None,
) -> dict[str, Any]:
    at = now()
    points = [map_point(job.lat, job.lon, id="job", kind="job", label=job.number, color="#b42318")]
    if job.unit is not None:
        points.append(
            map_point(
                job.unit.last_lat,
                job.unit.last_lon,
                id="unit",
                kind="unit",
                label=f"{job.unit.code} {job.unit.plate}",
                color="#0b6e4f",
            )
        )
    return {
        "job": job,
        "needs": need_labels(job),
        "transitions": job.transitions.select_related("actor"),
        "buttons": allowed_for(request.user, job),
        "form": form,
        "failed": failed,
        "conflict": conflict,
        "points": [p for p in points if p],
        "eta": expected_arrival(job, at),
        "fallback": needs_fallback(job, at),
        "includes": existing_includes(),
        "evidence_url": url_or_none("rescue:evidence", job.pk),
        "final_review_url": url_or_none("rescue:final_review", job.pk),
        "outlets": Outlet.objects.restrict(request.user, "view").filter(
            active=True, tow_reception=True
        )
        if any(t.name == "tow" for t in available(job))
        else [],
    }


@login_required
def job_page(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(
        RescueJob.objects.restrict(request.user, "view").select_related(
            "unit", "city", "region", "vehicle", "customer", "destination_outlet"
        ),
        pk=pk,
    )
    return render(request, "rescue/job.html", job_context(request, job))


@require_POST
@login_required
def transition(request: HttpRequest, pk: int) -> HttpResponse:
    """One button of the job page: the action function does the checking and the writing."""
    job = get_object_or_404(RescueJob.objects.restrict(request.user, "view"), pk=pk)
    form = ReasonForm(request.POST, user=request.user)
    name = request.POST.get("name", "")
    status = 422
    if form.is_valid() and name in TRANSITIONS:
        reason = form.cleaned_data["reason"]
        fields: dict[str, Any] = {}
        if name == "tow":
            job.destination_outlet = form.cleaned_data["destination_outlet"]
            fields["destination_outlet"] = job.destination_outlet
        elif name == "send_back":
            fields["missing_info"] = reason
        elif name == "cancel":
            fields["cancel_reason"] = reason
        try:
            actions.perform(job, name, actor=request.user, reason=reason, fields=fields)
        except ValidationError as err:
            add_action_errors(form, err)
        except Conflict as err:
            job.refresh_from_db()
            return render(
                request, "rescue/job.html", job_context(request, job, conflict=err), status=409
            )
        else:
            return redirect("rescue:job", pk=job.pk)
    elif name not in TRANSITIONS:
        form.add_error(None, _("unknown transition"))
    job.refresh_from_db()
    return render(
        request, "rescue/job.html", job_context(request, job, form=form, failed=name), status=status
    )
