"""The rescue job (救援任务) and its stored transitions (RSC-1)."""

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

from ..choices import Channel, FaultType, JobState, Priority


def new_tracking_token() -> str:
    return secrets.token_urlsafe(24)


class RescueJob(models.Model):
    """A request for road rescue, from the call to the final review.

    ``state`` changes only through the action functions in :mod:`anxin.rescue.actions`, each a
    conditional update on the old state and ``version``; every change is a
    :class:`JobTransition` row, from which response times are derived.
    """

    number = models.CharField(_("job number"), max_length=32, unique=True)
    state = models.CharField(
        _("state"), max_length=16, choices=JobState.choices, default=JobState.CREATED, db_index=True
    )
    version = models.PositiveIntegerField(default=1)
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.PHONE
    )
    priority = models.CharField(
        _("priority"), max_length=16, choices=Priority.choices, default=Priority.ROUTINE
    )
    area = models.CharField(_("area type"), max_length=8, default="urban")
    fault = models.CharField(_("fault type"), max_length=16, choices=FaultType.choices)
    needs = models.JSONField(_("needs"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)
    lat = models.FloatField(_("latitude (WGS-84)"), validators=[validate_latitude])
    lon = models.FloatField(_("longitude (WGS-84)"), validators=[validate_longitude])
    address = models.CharField(_("location"), max_length=300, blank=True)
    highway = models.BooleanField(_("on a highway"), default=False)
    region = models.ForeignKey(
        "network.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="rescue_jobs",
    )
    city = models.ForeignKey(
        "network.City",
        verbose_name=_("city"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rescue_jobs",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rescue_jobs",
    )
    vehicle = models.ForeignKey(
        "customers.Vehicle",
        verbose_name=_("vehicle"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rescue_jobs",
    )
    caller_name = models.CharField(_("caller"), max_length=100, blank=True)
    caller_phone = models.CharField(_("caller phone"), max_length=20, validators=[validate_phone])
    unit = models.ForeignKey(
        "network.RescueUnit",
        verbose_name=_("rescue unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="jobs",
    )
    destination_outlet = models.ForeignKey(
        "network.Outlet",
        verbose_name=_("tow destination"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="towed_jobs",
    )
    eta_at = models.DateTimeField(_("estimated arrival"), null=True, blank=True)
    # Peak mode (DSP-5): the unit the latest joint plan gives this waiting job. Advisory state,
    # rewritten every few seconds by the worker, so it is not part of the change log.
    peak_unit = models.ForeignKey(
        "network.RescueUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    peak_eta_seconds = models.FloatField(null=True, blank=True)
    peak_planned_at = models.DateTimeField(null=True, blank=True)
    missing_info = models.TextField(_("missing details"), blank=True)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)
    override_reason = models.TextField(_("dispatch override reason"), blank=True)
    created_at = models.DateTimeField(_("call time"), db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tracking_token = models.CharField(
        max_length=64, unique=True, default=new_tracking_token, editable=False
    )

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region"

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("rescue job")
        verbose_name_plural = _("rescue jobs")
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return self.number

    @staticmethod
    def own_assignments(user: Any) -> Q | None:
        if user.role == Role.TECHNICIAN:
            crew_units = Q(unit__crew__user=user)
            return (
                crew_units if user.base_id is None else crew_units | Q(unit__base_id=user.base_id)
            )
        return None

    @property
    def masked_caller_phone(self) -> str:
        return mask_phone(self.caller_phone)

    @property
    def masked_caller_name(self) -> str:
        return mask_name(self.caller_name)

    @property
    def is_open(self) -> bool:
        from ..choices import OPEN_STATES

        return self.state in OPEN_STATES

    def transition_at(self, state: str) -> Any:
        row = self.transitions.filter(to_state=state).order_by("at").first()
        return row.at if row else None

    @property
    def response_seconds(self) -> float | None:
        """Call to arrival, from the stored transitions (DSP-4)."""
        arrived = self.transition_at(JobState.ARRIVED)
        return (arrived - self.created_at).total_seconds() if arrived else None


class JobTransition(models.Model):
    """One state change of a rescue job: the product's memory for timers, KPIs and reviews."""

    job = models.ForeignKey(RescueJob, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=16, choices=JobState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=JobState.choices)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "job__region"

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("job transition")
        verbose_name_plural = _("job transitions")

    def __str__(self) -> str:
        return f"{self.job_id}: {self.from_state or '∅'} → {self.to_state}"
