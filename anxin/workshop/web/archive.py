"""The vehicle's technical archive (车辆技术档案, NET-4): every work order, rescue, inspection,
part and fault on one timeline, with the 三包 standing of the vehicle."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from anxin.customers.models import Vehicle

from .. import archive, warranty
from ..choices import VehicleSystem
from ..models import WarrantyWarning

KIND_LABELS = {
    "work_order": _("Work order"),
    "rescue": _("Rescue"),
    "inspection": _("Three checks"),
    "hv_check": _("HV check"),
    "part": _("Part fitted"),
    "fault": _("Fault"),
    "expert": _("Expert request"),
    "warning": _("三包 warning"),
}


def url_of(entry: archive.Entry) -> str:
    if not entry.url_name:
        return ""
    try:
        return reverse(entry.url_name, args=entry.url_args)
    except NoReverseMatch:
        return ""


@login_required
def vehicle_archive(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = get_object_or_404(
        Vehicle.objects.restrict(request.user, "view").select_related("owner"), pk=pk
    )
    entries = archive.vehicle_timeline(vehicle, request.user)
    kinds = [(k, KIND_LABELS.get(k, k)) for k in sorted({e.kind for e in entries})]
    kind = request.GET.get("kind", "")
    if kind:
        entries = [e for e in entries if e.kind == kind]
    status = warranty.status(vehicle)
    return render(
        request,
        "workshop/archive.html",
        {
            "vehicle": vehicle,
            "entries": [
                {"e": e, "url": url_of(e), "kind_label": KIND_LABELS.get(e.kind, e.kind)}
                for e in entries
            ],
            "kinds": kinds,
            "kind": kind,
            "warranty": status,
            "repairs_by_system": [
                (VehicleSystem(code).label if code in VehicleSystem.values else code, count)
                for code, count in sorted(status.repairs_by_system.items())
            ],
            "warnings": WarrantyWarning.objects.restrict(request.user, "view").filter(
                vehicle=vehicle
            ),
        },
    )
