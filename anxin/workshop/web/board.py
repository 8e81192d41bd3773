"""The service advisor's board (看板): today's appointments and the open work orders by state."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anxin.core.listing import RestrictedListView
from anxin.network.models import Outlet

from ..choices import (
    APPOINTMENT_OPEN_STATES,
    WORK_ORDER_OPEN_STATES,
    AppointmentState,
    ExpertState,
    WorkOrderState,
)
from ..models import Appointment, ExpertRequest, WarrantyWarning, WorkOrder

BOARD_COLUMNS = [s for s in WorkOrderState if s in WORK_ORDER_OPEN_STATES]


def today_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(days=1)


def board_context(user: Any, now: dt.datetime, outlet: str = "") -> dict[str, Any]:
    start, end = today_bounds(now)
    outlets = Outlet.objects.restrict(user, "view").filter(active=True).order_by("code")
    chosen = outlets.filter(pk=outlet).first() if outlet.isdigit() else None
    appointments = Appointment.objects.restrict(user, "view").select_related(
        "vehicle", "outlet", "work_order"
    )
    # Today's visits, plus every appointment still waiting for the outlet's answer: the
    # 30-minute response clock runs whatever day the visit is for.
    today = appointments.filter(
        Q(slot_start__gte=start, slot_start__lt=end)
        | Q(slot_start__isnull=True, preferred_at__gte=start, preferred_at__lt=end)
        | Q(state__in=[AppointmentState.BOOKED, AppointmentState.PROPOSED])
    ).order_by("slot_start", "preferred_at")
    orders = (
        WorkOrder.objects.restrict(user, "view")
        .filter(state__in=WORK_ORDER_OPEN_STATES)
        .select_related("vehicle", "technician", "outlet")
        .order_by("received_at")
    )
    if chosen is not None:  # a regional manager looks at one outlet of his region
        today, orders = today.filter(outlet=chosen), orders.filter(outlet=chosen)
    by_state: dict[str, list[WorkOrder]] = {s: [] for s in BOARD_COLUMNS}
    for wo in orders[:500]:
        by_state[wo.state].append(wo)
    warnings = (
        WarrantyWarning.objects.restrict(user, "view")
        .filter(acknowledged_at__isnull=True)
        .select_related("vehicle", "outlet")[:20]
    )
    experts_waiting = (
        ExpertRequest.objects.restrict(user, "view").filter(state=ExpertState.OPEN).count()
    )
    return {
        "now": now,
        "outlets": outlets if outlets.count() > 1 else [],
        "outlet": chosen,
        "appointments": list(today[:200]),
        "waiting": [a for a in today if a.state == AppointmentState.BOOKED],
        "columns": [(s, s.label, by_state[s]) for s in BOARD_COLUMNS],
        "open_count": sum(len(v) for v in by_state.values()),
        "warnings": list(warnings),
        "experts_waiting": experts_waiting,
        "overdue": [
            wo
            for wo in orders[:500]
            if wo.promised_at is not None and wo.promised_at < now and wo.state != "ready"
        ],
    }


@login_required
def board(request: HttpRequest) -> HttpResponse:
    ctx = board_context(request.user, timezone.now(), request.GET.get("outlet", ""))
    return render(request, "workshop/board.html", ctx)


@login_required
def board_live(request: HttpRequest) -> HttpResponse:
    """The board's body, refreshed by htmx every 30 s."""
    ctx = board_context(request.user, timezone.now(), request.GET.get("outlet", ""))
    return render(request, "workshop/_board.html", ctx)


class AppointmentList(RestrictedListView):
    model = Appointment
    title = _("Appointments")
    template_name = "workshop/appointment_list.html"
    search_fields = ("number", "vehicle__plate", "vehicle__vin", "contact_phone")

    def decorate(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        state = self.request.GET.get("state", "")
        if state == "open":
            qs = qs.filter(state__in=APPOINTMENT_OPEN_STATES)
        elif state:
            qs = qs.filter(state=state)
        return qs.select_related("vehicle", "outlet")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["states"] = AppointmentState.choices
        ctx["state"] = self.request.GET.get("state", "")
        return ctx


class WorkOrderList(RestrictedListView):
    model = WorkOrder
    title = _("Work orders")
    template_name = "workshop/work_order_list.html"
    search_fields = ("number", "vehicle__plate", "vehicle__vin", "verification_code")

    def decorate(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        state = self.request.GET.get("state", "")
        if state == "open":
            qs = qs.filter(state__in=WORK_ORDER_OPEN_STATES)
        elif state:
            qs = qs.filter(state=state)
        return qs.select_related("vehicle", "outlet", "technician")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["states"] = WorkOrderState.choices
        ctx["state"] = self.request.GET.get("state", "")
        return ctx
