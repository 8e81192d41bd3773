"""Remote expert support (WS-9) and the 三包 warnings (warranty law) of a vehicle."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anxin.accounts.permissions import RestrictedQuerySet
from anxin.accounts.roles import Role

from ..choices import ExpertState, VehicleSystem, WarningKind


class ExpertRequest(models.Model):
    """A technician's question to a remote expert; first response target 5 minutes (clock)."""

    work_order = models.ForeignKey(
        "workshop.WorkOrder",
        verbose_name=_("work order"),
        on_delete=models.CASCADE,
        related_name="expert_requests",
    )
    region = models.ForeignKey(
        "network.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=ExpertState.choices,
        default=ExpertState.OPEN,
        db_index=True,
    )
    version = models.PositiveIntegerField(default=1)
    question = models.TextField(_("question"))
    fault_codes = models.JSONField(_("fault codes (DTC)"), default=list, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), db_index=True)
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("expert"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region"

    class Meta:
        ordering = ["requested_at"]
        verbose_name = _("expert request")
        verbose_name_plural = _("expert requests")

    def __str__(self) -> str:
        return f"{self.work_order} / {self.pk}"

    @staticmethod
    def own_assignments(user: Any) -> Q | None:
        if user.role in (Role.SERVICE_ADVISOR, Role.TECHNICIAN) and user.outlet_id:
            return Q(work_order__outlet_id=user.outlet_id)
        return None

    @property
    def first_response_seconds(self) -> float | None:
        if self.first_response_at is None:
            return None
        return (self.first_response_at - self.requested_at).total_seconds()


class ExpertMessage(models.Model):
    """One message in the request's conversation (the question is the first)."""

    request = models.ForeignKey(ExpertRequest, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(max_length=150, blank=True)
    from_expert = models.BooleanField(default=False)
    body = models.TextField(_("message"))
    at = models.DateTimeField(_("at"))

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "request__region"

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("expert message")
        verbose_name_plural = _("expert messages")

    def __str__(self) -> str:
        return f"{self.request_id}: {self.body[:30]}"


class ExpertPhoto(models.Model):
    request = models.ForeignKey(ExpertRequest, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to="workshop/expert/%Y/%m/")
    uploaded_at = models.DateTimeField(_("uploaded at"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "request__region"

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("expert request photo")
        verbose_name_plural = _("expert request photos")

    def __str__(self) -> str:
        return f"{self.request_id} photo {self.pk}"


class WarrantyWarning(models.Model):
    """A vehicle under warranty approaching a 三包 legal line, raised once per kind and system.

    Told to the outlet and the region's managers when raised; the unique constraint makes the
    "once" hold even when two work orders of the vehicle close at the same moment.
    """

    vehicle = models.ForeignKey(
        "customers.Vehicle",
        verbose_name=_("vehicle"),
        on_delete=models.CASCADE,
        related_name="warranty_warnings",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=WarningKind.choices)
    system = models.CharField(
        _("vehicle system"), max_length=24, choices=VehicleSystem.choices, blank=True
    )
    value = models.PositiveIntegerField(_("reached"))
    threshold = models.PositiveIntegerField(_("warning line"))
    legal_line = models.PositiveIntegerField(_("legal line"))
    work_order = models.ForeignKey(
        "workshop.WorkOrder",
        verbose_name=_("work order"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="warranty_warnings",
    )
    outlet = models.ForeignKey(
        "network.Outlet", verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        "network.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(_("raised at"))
    work_order_ids = models.JSONField(_("work orders counted"), default=list, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region"

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("三包 warning")
        verbose_name_plural = _("三包 warnings")
        constraints = [
            models.UniqueConstraint(
                fields=["vehicle", "kind", "system"], name="one_warranty_warning_per_line"
            )
        ]

    def __str__(self) -> str:
        return f"{self.vehicle_id} {self.kind} {self.system} {self.value}/{self.legal_line}"
