"""Appointments (预约, WS-1): booked online or by phone, assigned to an outlet automatically."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anxin.accounts.permissions import RestrictedQuerySet
from anxin.accounts.roles import Role
from anxin.core.masking import mask_name, mask_phone
from anxin.core.validators import validate_latitude, validate_longitude, validate_phone

from ..choices import AppointmentChannel, AppointmentState, JobType, ResponseKind


def new_token() -> str:
    return secrets.token_urlsafe(24)


def outlet_scope(user: Any, path: str) -> Q | None:
    """An advisor or technician tied to an outlet works on that outlet's rows only."""
    if user.role in (Role.SERVICE_ADVISOR, Role.TECHNICIAN) and getattr(user, "outlet_id", None):
        return Q(**{path: user.outlet_id})
    return None


class Appointment(models.Model):
    """A customer's request for a workshop visit; the outlet must answer within 30 minutes.

    ``state`` changes only through :mod:`anxin.workshop.actions`; the outlet chosen and why is
    kept in :class:`OutletAssignment` rows (the latest one is ``outlet``).
    """

    number = models.CharField(_("appointment number"), max_length=32, unique=True)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=AppointmentState.choices,
        default=AppointmentState.BOOKED,
        db_index=True,
    )
    version = models.PositiveIntegerField(default=1)
    channel = models.CharField(
        _("channel"), max_length=16, choices=AppointmentChannel.choices, default="phone"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appointments",
    )
    vehicle = models.ForeignKey(
        "customers.Vehicle",
        verbose_name=_("vehicle"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    contact_name = models.CharField(_("contact"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, validators=[validate_phone])
    job_type = models.CharField(_("job type"), max_length=24, choices=JobType.choices)
    service_items = models.JSONField(_("service items"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)
    needs = models.JSONField(
        _("capabilities needed"),
        default=list,
        blank=True,
        help_text=_("Derived from the vehicle and job type: EV high-voltage, 800V, body shop."),
    )
    preferred_at = models.DateTimeField(_("preferred time"), db_index=True)
    slot_start = models.DateTimeField(_("booked slot"), null=True, blank=True, db_index=True)
    proposed_at = models.DateTimeField(_("proposed slot"), null=True, blank=True)
    lat = models.FloatField(_("latitude (WGS-84)"), validators=[validate_latitude])
    lon = models.FloatField(_("longitude (WGS-84)"), validators=[validate_longitude])
    address = models.CharField(_("preferred place"), max_length=300, blank=True)
    outlet = models.ForeignKey(
        "network.Outlet",
        verbose_name=_("outlet"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    region = models.ForeignKey(
        "network.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    response = models.CharField(
        _("outlet response"), max_length=16, choices=ResponseKind.choices, blank=True
    )
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    response_note = models.TextField(_("response note / reason"), blank=True)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)
    created_at = models.DateTimeField(_("booked at"), db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region"

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        indexes = [models.Index(fields=["outlet", "slot_start"])]

    def __str__(self) -> str:
        return self.number

    @staticmethod
    def own_assignments(user: Any) -> Q | None:
        return outlet_scope(user, "outlet")

    @property
    def masked_contact_phone(self) -> str:
        return mask_phone(self.contact_phone)

    @property
    def masked_contact_name(self) -> str:
        return mask_name(self.contact_name)

    @property
    def assignment(self) -> OutletAssignment | None:
        """The latest assignment: which outlet and why."""
        return self.assignments.order_by("-at", "-pk").first()


class OutletAssignment(models.Model):
    """One choice of outlet for an appointment, automatic or by hand, with its reasons.

    ``candidates`` is the ranked list the choice was made from: for each outlet its travel
    time, capacity left in the slot and whether (and why) it was excluded.
    """

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="assignments"
    )
    outlet = models.ForeignKey(
        "network.Outlet",
        verbose_name=_("outlet"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    automatic = models.BooleanField(_("automatic"), default=True)
    reason = models.TextField(_("reason"), blank=True)
    travel_seconds = models.FloatField(_("travel time (s)"), null=True, blank=True)
    candidates = models.JSONField(_("candidates"), default=list, blank=True)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "appointment__region"

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("outlet assignment")
        verbose_name_plural = _("outlet assignments")

    def __str__(self) -> str:
        return f"{self.appointment_id} → {self.outlet_id}"


class AppointmentTransition(models.Model):
    """One state change of an appointment."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="transitions"
    )
    from_state = models.CharField(max_length=16, choices=AppointmentState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=AppointmentState.choices)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "appointment__region"

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("appointment transition")
        verbose_name_plural = _("appointment transitions")

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.from_state or '∅'} → {self.to_state}"
