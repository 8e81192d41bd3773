"""Appointments (预约, WS-1): the advisor's phone booking, the public online booking page, the
appointment page (why this outlet, reassign, the outlet's response, reception) and the
customer's appointment link."""

from __future__ import annotations

import math
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from anxin.accounts.permissions import may_change
from anxin.api.base import Conflict
from anxin.network.models import City, Outlet
from anxin.people.models import Staff

from .. import appointments as booking
from ..choices import AppointmentChannel, AppointmentState
from ..models import Appointment
from .common import add_action_errors, over_limit
from .forms import (
    BookingForm,
    OpenWorkOrderForm,
    PublicBookingForm,
    ReasonForm,
    ReassignForm,
    RespondForm,
)

RESPONDABLE = frozenset({AppointmentState.BOOKED})
REASSIGNABLE = frozenset(
    {AppointmentState.BOOKED, AppointmentState.PROPOSED, AppointmentState.DECLINED}
)
CANCELLABLE = frozenset(
    {
        AppointmentState.BOOKED,
        AppointmentState.CONFIRMED,
        AppointmentState.PROPOSED,
        AppointmentState.DECLINED,
    }
)


def visible(user: Any) -> Any:
    return Appointment.objects.restrict(user, "view").select_related(
        "vehicle", "customer", "outlet", "region"
    )


def nearest_city(lat: float, lon: float) -> City | None:
    """The city whose centre is nearest: the region a public booking belongs to."""
    best, best_d = None, math.inf
    for city in City.objects.only("pk", "lat", "lon", "region_id", "name"):
        d = (city.lat - lat) ** 2 + ((city.lon - lon) * math.cos(math.radians(lat))) ** 2
        if d < best_d:
            best, best_d = city, d
    return best


def candidate_rows(appt: Appointment) -> list[dict[str, Any]]:
    """The ranked outlets of the latest assignment, as the advisor reads them."""
    a = appt.assignment
    rows = []
    for c in (a.candidates if a else []) or []:
        seconds = c.get("travel_seconds")
        rows.append(
            {
                **c,
                "travel_minutes": None if seconds is None else max(1, round(seconds / 60)),
                "chosen": a is not None
                and a.outlet_id is not None
                and c.get("outlet") == a.outlet_id,
            }
        )
    return rows


def appointment_context(
    request: HttpRequest,
    appt: Appointment,
    *,
    bound: dict[str, Any] | None = None,
    conflict: Conflict | None = None,
    denied: str = "",
) -> dict[str, Any]:
    bound = bound or {}
    user = request.user
    outlets = Outlet.objects.restrict(user, "view").filter(active=True).order_by("code")
    technicians = Staff.objects.filter(active=True, region_id=appt.region_id).order_by("name")
    if appt.outlet_id:
        same = technicians.filter(outlet_id=appt.outlet_id)
        technicians = same if same.exists() else technicians
    work_order = getattr(appt, "work_order", None) if hasattr(appt, "work_order") else None
    return {
        "appt": appt,
        "assignment": appt.assignment,
        "assignments": list(appt.assignments.select_related("outlet", "actor").order_by("-at")),
        "candidates": candidate_rows(appt),
        "transitions": appt.transitions.select_related("actor"),
        "may_change": may_change(user, Appointment),
        "can_respond": appt.state in RESPONDABLE,
        "can_reassign": appt.state in REASSIGNABLE,
        "can_cancel": appt.state in CANCELLABLE,
        "can_accept": appt.state == AppointmentState.PROPOSED,
        "can_open": appt.state == AppointmentState.CONFIRMED and work_order is None,
        "can_no_show": appt.state == AppointmentState.CONFIRMED and work_order is None,
        "work_order": work_order,
        "respond_form": bound.get("respond") or RespondForm(),
        "reassign_form": bound.get("reassign") or ReassignForm(outlets=outlets),
        "cancel_form": bound.get("cancel") or ReasonForm(prefix="cancel"),
        "open_form": bound.get("open")
        or OpenWorkOrderForm(
            technicians=technicians,
            initial={"mileage_km": appt.vehicle.mileage_km or None, "complaint": appt.description},
        ),
        "generic_form": bound.get("generic"),
        "conflict": conflict,
        "denied": denied,
        "service_items": "、".join(appt.service_items or []),
        "needs": ", ".join(_need_label(n) for n in appt.needs or []),
    }


def _need_label(value: str) -> str:
    from ..choices import Capability

    try:
        return str(Capability(value).label)
    except ValueError:
        return value


@login_required
def appointment_page(request: HttpRequest, pk: int) -> HttpResponse:
    appt = get_object_or_404(visible(request.user), pk=pk)
    return render(request, "workshop/appointment.html", appointment_context(request, appt))


@require_POST
@login_required
def appointment_act(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    """One write on the appointment page; the appointments module does the checking."""
    appt = get_object_or_404(visible(request.user), pk=pk)
    user = request.user
    outlets = Outlet.objects.restrict(user, "view").filter(active=True)
    key, form = _form_for(request, appt, what, outlets)
    try:
        with transaction.atomic():
            if form.is_valid():
                try:
                    result = _write(appt, what, form, user)
                except ValidationError as err:
                    add_action_errors(form, err)
                    transaction.set_rollback(True)
                else:
                    if what == "open":
                        return redirect("workshop:work_order", pk=result.pk)
                    return redirect("workshop:appointment", pk=appt.pk)
    except PermissionDenied as err:
        appt.refresh_from_db()
        ctx = appointment_context(request, appt, denied=str(err) or _("You may not do this."))
        return render(request, "workshop/appointment.html", ctx, status=403)
    except Conflict as err:
        appt.refresh_from_db()
        ctx = appointment_context(request, appt, conflict=err)
        return render(request, "workshop/appointment.html", ctx, status=409)
    appt.refresh_from_db()
    ctx = appointment_context(request, appt, bound={key: form})
    return render(request, "workshop/appointment.html", ctx, status=422)


def _form_for(request: HttpRequest, appt: Appointment, what: str, outlets: Any) -> tuple[str, Any]:
    if what == "respond":
        return "respond", RespondForm(request.POST)
    if what == "reassign":
        return "reassign", ReassignForm(request.POST, outlets=outlets)
    if what == "cancel":
        return "cancel", ReasonForm(request.POST, prefix="cancel")
    if what == "open":
        technicians = Staff.objects.filter(active=True, region_id=appt.region_id)
        return "open", OpenWorkOrderForm(request.POST, technicians=technicians)
    if what in ("accept", "no_show"):
        from django import forms

        return "generic", forms.Form(request.POST)
    raise Http404


def _write(appt: Appointment, what: str, form: Any, user: Any) -> Any:
    data = form.cleaned_data
    if what == "respond":
        return booking.respond(
            appt,
            actor=user,
            kind=data["kind"],
            note=data["note"],
            proposed_at=data["proposed_at"],
        )
    if what == "reassign":
        return booking.reassign(appt, actor=user, reason=data["reason"], outlet=data["outlet"])
    if what == "cancel":
        return booking.cancel_appointment(appt, actor=user, reason=data["reason"])
    if what == "accept":
        return booking.accept_proposal(appt, actor=user)
    if what == "no_show":
        return booking.mark_no_show(appt, actor=user)
    if what == "open":
        fields = {k: v for k, v in data.items() if v not in (None, "")}
        return booking.open_work_order(appt, actor=user, **fields)
    raise Http404


# --- booking -----------------------------------------------------------------------------
def _book(form: BookingForm, *, actor: Any, channel: str, region: Any) -> Appointment | None:
    """Customer and vehicle, then the appointment, in one transaction: all or nothing."""
    try:
        with transaction.atomic():
            customer, vehicle = booking.resolve_customer_vehicle(
                **form.vehicle_fields(), region=region
            )
            return booking.book_appointment(
                actor=actor,
                vehicle=vehicle,
                customer=customer,
                channel=channel,
                **form.booking_fields(),
            )
    except ValidationError as err:
        add_action_errors(form, err)
        return None


@login_required
def book(request: HttpRequest) -> HttpResponse:
    """The advisor's phone booking form (电话预约)."""
    user = request.user
    if not may_change(user, Appointment):
        raise PermissionDenied(_("your role may not book appointments"))
    cities = City.objects.restrict(user, "view").order_by("code")
    form = BookingForm(request.POST or None, cities=cities)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            city = form.cleaned_data.get("city") or nearest_city(
                form.cleaned_data["lat"], form.cleaned_data["lon"]
            )
            region = city.region if city else user.region
            try:
                appt = _book(form, actor=user, channel=AppointmentChannel.PHONE, region=region)
            except PermissionDenied as err:
                form.add_error(None, str(err))
                appt = None
            if appt is not None:
                return redirect("workshop:appointment", pk=appt.pk)
        status = 422
    return render(request, "workshop/book.html", {"form": form}, status=status)


@csrf_protect
@never_cache
def public_book(request: HttpRequest) -> HttpResponse:
    """The public, mobile-friendly online booking page (在线预约): no login, rate-limited."""
    form = PublicBookingForm(request.POST or None, cities=City.objects.order_by("code"))
    status = 200
    if request.method == "POST":
        if over_limit(request, "book"):
            form.is_valid()
            form.add_error(
                None, _("Too many bookings from this network. Please call the service hotline.")
            )
            return render(request, "workshop/public_book.html", {"form": form}, status=429)
        if form.is_valid():
            city = form.cleaned_data.get("city") or nearest_city(
                form.cleaned_data["lat"], form.cleaned_data["lon"]
            )
            if city is None:
                form.add_error(None, _("We do not serve this area yet."))
            else:
                appt = _book(form, actor=None, channel=AppointmentChannel.WEB, region=city.region)
                if appt is not None:
                    return redirect("workshop:appointment_public", token=appt.token)
        status = 422
    return render(request, "workshop/public_book.html", {"form": form}, status=status)


def by_token(token: str) -> Appointment:
    if not token or len(token) > 64:
        raise Http404
    return get_object_or_404(Appointment.objects.select_related("outlet", "vehicle"), token=token)


@csrf_protect
@never_cache
def appointment_public(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's appointment link: status, outlet, time; accept a proposed slot or cancel."""
    appt = by_token(token)
    error = ""
    status = 200
    if request.method == "POST":
        what = request.POST.get("what", "")
        if over_limit(request, "appointment-link", limit=20):
            error, status = _("Too many requests. Please call the outlet."), 429
        else:
            try:
                with transaction.atomic():
                    if what == "accept" and appt.state == AppointmentState.PROPOSED:
                        booking.accept_proposal(appt, actor=None, public=True)
                    elif what == "cancel" and appt.state in CANCELLABLE:
                        reason = (request.POST.get("reason") or "").strip() or _(
                            "cancelled by the customer"
                        )
                        booking.cancel_appointment(
                            appt, actor=None, reason=reason[:500], public=True
                        )
                    else:
                        raise ValidationError(_("This is no longer possible."))
            except (ValidationError, Conflict, PermissionDenied) as err:
                messages = getattr(err, "messages", None) or [str(err)]
                error, status = " ".join(str(m) for m in messages), 409
            else:
                return redirect("workshop:appointment_public", token=token)
        appt.refresh_from_db()
    return render(
        request,
        "workshop/appointment_public.html",
        {
            "appt": appt,
            "token": token,
            "error": error,
            "can_accept": appt.state == AppointmentState.PROPOSED,
            "can_cancel": appt.state in CANCELLABLE,
        },
        status=status,
    )
