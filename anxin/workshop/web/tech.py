"""The technician's phone view (技师手机端): my jobs, then one job with its next step, the
operations to start and finish, the parts to trace, the current check with photos, the HV
check and a request for a remote expert. All writes post to the work order's endpoints
(``writes.act``) with ``view=tech``, so the phone and the desk share one code path."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from ..choices import WORK_ORDER_OPEN_STATES, WorkOrderState
from ..models import WorkOrder
from ..transitions import NEXT_STEP, TRANSITIONS
from .workorders import STAGE_OF_STATE, page_context, visible

S = WorkOrderState
# The states a technician works in; the desk handles the quote and the handover.
WORKSHOP_STATES = (S.RECEPTION, S.DIAGNOSIS, S.APPROVED, S.IN_WORK, S.QUALITY_CHECK)


def my_jobs(user: Any) -> tuple[list[WorkOrder], list[WorkOrder]]:
    """(assigned to me, unassigned at my outlet) among the open work orders I may see."""
    qs = (
        visible(user)
        .filter(state__in=WORK_ORDER_OPEN_STATES)
        .order_by("promised_at", "received_at")
    )
    mine = qs.filter(Q(technician__user=user) | Q(labour_lines__technician__user=user)).distinct()
    outlet_id = getattr(user, "outlet_id", None)
    free = (
        qs.filter(technician__isnull=True, outlet_id=outlet_id, state__in=WORKSHOP_STATES)
        if outlet_id
        else qs.none()
    )
    return list(mine[:50]), list(free[:30])


@login_required
def tech_home(request: HttpRequest) -> HttpResponse:
    mine, free = my_jobs(request.user)
    return render(request, "workshop/tech.html", {"mine": mine, "free": free})


@login_required
def tech_job(request: HttpRequest, pk: int) -> HttpResponse:
    wo = get_object_or_404(visible(request.user), pk=pk)
    return render(request, "workshop/tech_job.html", tech_context(request, wo))


def tech_context(request: HttpRequest, wo: WorkOrder, **kwargs: Any) -> dict[str, Any]:
    ctx = page_context(request, wo, **kwargs)
    ctx["tech_view"] = True  # every form posts back to this phone page
    step = NEXT_STEP.get(wo.state)
    ctx["next_step"] = next(
        (b for b in ctx["buttons"] if step and b["t"].name == step and not b["own_form"]), None
    )
    ctx["current_stage"] = STAGE_OF_STATE.get(wo.state)
    ctx["step_transition"] = TRANSITIONS.get(step) if step else None
    return ctx
