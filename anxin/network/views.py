"""Master-data pages. Every list goes through the one permission filter (RestrictedListView)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from anxin.accounts.permissions import restrict
from anxin.core.listing import RestrictedListView
from anxin.core.masking import mask_name
from anxin.customers.models import Customer, Vehicle
from anxin.people.models import Staff

from .models import Outlet, RescueBase, RescueUnit


def _yes(value: bool) -> str:
    return "✓" if value else ""


class OutletList(RestrictedListView):
    model = Outlet
    with_map = True
    export_kind = "outlets"
    search_fields = ("name", "code", "address")
    columns = [
        (_("outlet code"), "code"),
        (_("name"), "name"),
        (_("city"), "city.name"),
        (
            _("opening hours"),
            lambda o: _("24 hours") if o.open_24h else f"{o.opens_at:%H:%M}-{o.closes_at:%H:%M}",
        ),
        (_("EV high-voltage repair"), lambda o: _yes(o.ev_high_voltage)),
        (_("800V diagnostics"), lambda o: _yes(o.diag_800v)),
        (_("body shop"), lambda o: _yes(o.body_shop)),
        (_("daily capacity (vehicles)"), "daily_capacity"),
    ]

    def decorate(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("city")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["map_points_url"] = reverse("network:outlet_points")
        return ctx


class BaseList(RestrictedListView):
    model = RescueBase
    with_map = True
    search_fields = ("name", "code")
    columns = [
        (_("base code"), "code"),
        (_("name"), "name"),
        (_("city"), "city.name"),
        (_("area type"), "area_type"),
        (_("24-hour rescue"), lambda b: _yes(b.open_24h)),
    ]

    def decorate(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("city")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["map_points_url"] = reverse("network:base_points")
        return ctx


class UnitList(RestrictedListView):
    model = RescueUnit
    with_map = True
    export_kind = "units"
    search_fields = ("code", "plate")
    columns = [
        (_("unit code"), "code"),
        (_("plate"), "plate"),
        (_("kind"), "kind"),
        (_("home base"), "base.name"),
        (_("status"), "status"),
        (_("last seen"), "last_seen_at"),
    ]

    def decorate(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("base")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["map_points_url"] = reverse("network:unit_points")
        return ctx


class StaffList(RestrictedListView):
    model = Staff
    export_kind = "staff"
    search_fields = ("employee_no", "name")
    columns = [
        (_("employee number"), "employee_no"),
        (_("name"), lambda s: mask_name(s.name)),
        (_("role"), "role"),
        (_("region"), "region.name"),
        (_("outlet or base"), lambda s: s.outlet or s.base or ""),
        (
            _("certifications"),
            lambda s: ", ".join(c.get_skill_display() for c in s.certifications.all()),
        ),
    ]

    def decorate(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("region", "outlet", "base").prefetch_related("certifications")


class CustomerList(RestrictedListView):
    model = Customer
    search_fields = ("phone",)
    columns = [
        (_("customer"), "masked_name"),
        (_("phone"), "masked_phone"),
        (_("customer tier"), "tier"),
        (_("region"), "region.name"),
        (_("city"), "city.name"),
    ]

    def decorate(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("region", "city")


class VehicleList(RestrictedListView):
    model = Vehicle
    export_kind = "vehicles"
    search_fields = ("vin", "plate", "model")
    columns = [
        (_("VIN"), "vin"),
        (_("plate"), "plate"),
        (_("brand"), "brand"),
        (_("model"), "model"),
        (_("powertrain"), "powertrain"),
        (_("owner"), lambda v: v.owner.masked_name if v.owner else ""),
    ]

    def decorate(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("owner")


def _points(
    request: HttpRequest, qs: QuerySet[Any], lat: str, lon: str, label: Any, color: Any = None
) -> JsonResponse:
    points = [
        {
            "id": o.pk,
            "lat": getattr(o, lat),
            "lon": getattr(o, lon),
            "label": label(o),
            "color": color(o) if color else None,
        }
        for o in restrict(qs, request.user, "view")
        if getattr(o, lat) is not None
    ]
    return JsonResponse({"points": points})


@login_required
def outlet_points(request: HttpRequest) -> JsonResponse:
    return _points(
        request,
        Outlet.objects.filter(active=True),
        "lat",
        "lon",
        lambda o: o.name,
        lambda o: "#0b6e4f" if o.ev_high_voltage else "#1f5fa8",
    )


@login_required
def base_points(request: HttpRequest) -> JsonResponse:
    return _points(
        request, RescueBase.objects.all(), "lat", "lon", lambda b: b.name, lambda b: "#b54708"
    )


@login_required
def unit_points(request: HttpRequest) -> JsonResponse:
    colours = {"available": "#0b6e4f", "busy": "#b42318", "assigned": "#b54708"}
    return _points(
        request,
        RescueUnit.objects.filter(active=True),
        "last_lat",
        "last_lon",
        lambda u: f"{u.code} {u.get_status_display()}",
        lambda u: colours.get(u.status, "#5b6b7c"),
    )
