"""Intake (DSP-1): the dispatcher's form, the customer/vehicle lookup and the public web form."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect

from anxin.accounts.permissions import may_change
from anxin.core.validators import normalise_phone, normalise_vin
from anxin.customers.models import Customer, Vehicle

from .. import actions
from ..choices import Channel, Priority
from ..models import RescueJob
from .common import URBAN_RADIUS_KM, add_action_errors
from .forms import IntakeForm, PublicRequestForm, vehicle_label

PUBLIC_LIMIT = 5  # requests per address and window
PUBLIC_WINDOW = 3600  # seconds


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    if not may_change(request.user, RescueJob):
        raise PermissionDenied(_("your role may not open rescue jobs"))
    form = IntakeForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            fields = form.job_fields()
            if fields["region"] is None:
                form.add_error(None, _("Choose a point in a region you serve."))
            else:
                try:
                    job = actions.create_job(actor=request.user, channel=Channel.PHONE, **fields)
                except ValidationError as err:
                    add_action_errors(form, err)
                else:
                    return redirect(f"{reverse('rescue:console')}?job={job.pk}")
        status = 422
    return render(
        request,
        "rescue/intake.html",
        {"form": form, "selected_vehicle": selected_vehicle(form)},
        status=status,
    )


def selected_vehicle(form: IntakeForm) -> Vehicle | None:
    value = form.data.get("vehicle") if form.is_bound else None
    if not value or not str(value).isdigit():
        return None
    return form.fields["vehicle"].queryset.filter(pk=int(value)).first()


@login_required
def lookup(request: HttpRequest) -> HttpResponse:
    """Vehicles and customers matching a plate, phone or VIN, in the user's region, masked."""
    term = (request.GET.get("q") or "").strip()
    vehicles: list[Vehicle] = []
    customers: list[Customer] = []
    if len(term) >= 3:
        vin, phone = normalise_vin(term), normalise_phone(term)
        match = Q(plate__iexact=term.upper()) | Q(vin=vin) | Q(owner__phone=phone)
        if 6 <= len(vin) <= 8:  # the last digits of a VIN, as read off the windscreen
            match |= Q(vin__endswith=vin)
        vehicles = list(
            Vehicle.objects.restrict(request.user, "view")
            .select_related("owner")
            .filter(match)[:10]
        )
        customers = list(Customer.objects.restrict(request.user, "view").filter(phone=phone)[:10])
    rows = [{"pk": v.pk, "label": vehicle_label(v), "owner": v.owner_id} for v in vehicles]
    return render(
        request, "rescue/_lookup.html", {"term": term, "vehicles": rows, "customers": customers}
    )


def client_address(request: HttpRequest) -> str:
    # Behind the project's reverse proxy the first forwarded address is the client's.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR", "") or "unknown"


def over_limit(request: HttpRequest) -> bool:
    key = f"rescue:public:{client_address(request)}"
    cache.add(key, 0, PUBLIC_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, PUBLIC_WINDOW)
        count = 1
    return count > PUBLIC_LIMIT


@csrf_protect
def public_request(request: HttpRequest) -> HttpResponse:
    """The public web form (no login): the job goes to the region of the nearest city."""
    form = PublicRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if over_limit(request):
            form.add_error(
                None,
                _(
                    "Too many requests from this network. Please call the rescue "
                    "hotline, or 12122 on a highway and 122 on other roads."
                ),
            )
            return render(request, "rescue/public_request.html", {"form": form}, status=429)
        if form.is_valid():
            data = form.cleaned_data
            city = form.city
            description = data["description"]
            if data["plate"]:
                description = f"{_('plate')}: {data['plate'].upper()}\n{description}".strip()
            try:
                job = actions.create_job(
                    actor=None,
                    channel=Channel.WEB,
                    priority=Priority.ROUTINE,
                    fault=data["fault"],
                    lat=data["lat"],
                    lon=data["lon"],
                    address=data["address"],
                    highway=data["highway"],
                    caller_name=data["caller_name"],
                    caller_phone=data["caller_phone"],
                    description=description,
                    region=city.region,
                    city=city,
                    area="urban" if form.city_km <= URBAN_RADIUS_KM else "remote",
                )
            except ValidationError as err:
                add_action_errors(form, err)
            else:
                return redirect("rescue:track", token=job.tracking_token)
        status = 422
    return render(request, "rescue/public_request.html", {"form": form}, status=status)
