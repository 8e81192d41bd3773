"""The customer's full phone number for the desk (SEC-2): masked everywhere, shown on request
to roles that call customers back, and every full view logged (``core.masking.reveal``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache

from anxin.core.masking import reveal

from ..models import Appointment, WorkOrder


def _fragment(request: HttpRequest, name: str, phone: str, denied: bool = False) -> HttpResponse:
    return render(
        request,
        "workshop/_contact.html",
        {"name": name, "phone": phone, "denied": denied},
        status=403 if denied else 200,
    )


@never_cache
@login_required
def appointment_contact(request: HttpRequest, pk: int) -> HttpResponse:
    appt = get_object_or_404(Appointment.objects.restrict(request.user, "view"), pk=pk)
    try:
        data = reveal(
            request.user,
            appt,
            ("contact_name", "contact_phone"),
            purpose=f"workshop appointment {appt.number}",
        )
    except PermissionDenied:
        return _fragment(request, "", "", denied=True)
    return _fragment(request, data["contact_name"], data["contact_phone"])


@never_cache
@login_required
def work_order_contact(request: HttpRequest, pk: int) -> HttpResponse:
    wo = get_object_or_404(
        WorkOrder.objects.restrict(request.user, "view").select_related("customer"), pk=pk
    )
    try:
        data = reveal(
            request.user, wo.customer, ("name", "phone"), purpose=f"workshop work order {wo.number}"
        )
    except PermissionDenied:
        return _fragment(request, "", "", denied=True)
    return _fragment(request, data["name"], data["phone"])
