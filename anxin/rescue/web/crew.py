"""The crew's phone pages: my current job, the next-step button, the daily check, GPS."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anxin.accounts.permissions import may_change
from anxin.api.base import Conflict
from anxin.network.models import RescueUnit, UnitDailyCheck

from .. import actions
from ..models import RescueJob
from ..transitions import NEXT_FOR_CREW, TRANSITIONS
from .common import expected_arrival, map_point, need_labels, now
from .forms import DailyCheckForm

CREW_STATES = (*NEXT_FOR_CREW.keys(),)


def my_unit(user: Any) -> tuple[Any, RescueUnit | None]:
    """The staff record of the signed-in technician and the unit they crew, if visible."""
    staff = getattr(user, "staff", None)
    if staff is None or staff.unit_id is None:
        return staff, None
    unit = RescueUnit.objects.restrict(user, "view").filter(pk=staff.unit_id).first()
    return staff, unit


def current_job(user: Any, unit: RescueUnit | None) -> RescueJob | None:
    if unit is None:
        return None
    return (
        RescueJob.objects.restrict(user, "view")
        .filter(unit=unit, state__in=CREW_STATES)
        .select_related("vehicle")
        .order_by("created_at")
        .first()
    )


def evidence_link(job: RescueJob) -> str | None:
    for name in ("rescue:evidence", "rescue:evidence_job", "rescue:crew_evidence"):
        try:
            return reverse(name, args=[job.pk])
        except NoReverseMatch:
            continue
    return None


def crew_context(
    request: HttpRequest,
    *,
    error: str = "",
    conflict: Conflict | None = None,
    check_form: DailyCheckForm | None = None,
) -> dict[str, Any]:
    staff, unit = my_unit(request.user)
    job = current_job(request.user, unit)
    today = timezone.localdate()
    check = (
        UnitDailyCheck.objects.restrict(request.user, "view").filter(unit=unit, day=today).first()
        if unit
        else None
    )
    step = None
    if job is not None and actions.is_crew(request.user, job):
        step = TRANSITIONS[NEXT_FOR_CREW[job.state]]
    points = []
    if job is not None:
        points.append(
            map_point(job.lat, job.lon, id="job", kind="job", label=job.number, color="#b42318")
        )
    if unit is not None:
        points.append(
            map_point(unit.last_lat, unit.last_lon, id="unit", kind="unit", label=unit.code)
        )
    initial = {k: ("ok" if v else "fault") for k, v in (check.items if check else {}).items()}
    if check:
        initial["remarks"] = check.remarks
    return {
        "staff": staff,
        "unit": unit,
        "job": job,
        "step": step,
        "error": error,
        "conflict": conflict,
        "check": check,
        "check_form": check_form or DailyCheckForm(initial=initial),
        "eta": expected_arrival(job, now()) if job else None,
        "needs": need_labels(job) if job else "",
        "points": [p for p in points if p],
        "evidence_url": evidence_link(job) if job else None,
    }


@login_required
def crew(request: HttpRequest) -> HttpResponse:
    return render(request, "rescue/crew.html", crew_context(request))


@require_POST
@login_required
def crew_next(request: HttpRequest, pk: int) -> HttpResponse:
    """The one big button: the crew's next forward transition for the job's state."""
    job = get_object_or_404(RescueJob.objects.restrict(request.user, "view"), pk=pk)
    expected = request.POST.get("state", "")
    if expected != job.state:
        err = Conflict(
            _("the job changed meanwhile; here is where it stands now"), actions.fresh_state(job)
        )
        return render(request, "rescue/crew.html", crew_context(request, conflict=err), status=409)
    name = NEXT_FOR_CREW.get(job.state)
    if name is None or not actions.is_crew(request.user, job):
        raise PermissionDenied(_("only the crew of the assigned unit may do this"))
    try:
        actions.perform(job, name, actor=request.user)
    except ValidationError as err:
        return render(
            request,
            "rescue/crew.html",
            crew_context(request, error=" ".join(err.messages)),
            status=422,
        )
    except Conflict as err:
        return render(request, "rescue/crew.html", crew_context(request, conflict=err), status=409)
    return redirect("rescue:crew")


@require_POST
@login_required
def daily_check(request: HttpRequest) -> HttpResponse:
    """设备状态表 for today: one row per unit and day, updated if filled in again."""
    staff, unit = my_unit(request.user)
    if unit is None:
        raise PermissionDenied(_("you do not crew a rescue unit"))
    if not may_change(request.user, UnitDailyCheck):
        raise PermissionDenied(_("your role may not record the daily check"))
    form = DailyCheckForm(request.POST)
    if not form.is_valid():
        return render(
            request, "rescue/crew.html", crew_context(request, check_form=form), status=422
        )
    items = form.items
    at = timezone.now()
    with transaction.atomic():
        check = (
            UnitDailyCheck.objects.select_for_update()
            .filter(unit=unit, day=timezone.localdate(at))
            .first()
        )
        if check is None:
            check = UnitDailyCheck(unit=unit, day=timezone.localdate(at))
        check.items, check.passed = items, all(items.values())
        check.remarks, check.checked_by, check.checked_at = form.cleaned_data["remarks"], staff, at
        check.save()
    return redirect("rescue:crew")
