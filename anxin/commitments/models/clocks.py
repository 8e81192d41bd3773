"""Clocks (one running commitment on one job) and the breaches they record (SLA-3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import OPEN_STATES, ClockEventKind, ClockState
from .commitments import Commitment


class Clock(models.Model):
    """A commitment running on one job: its due, warning and escalation times, swept by the worker.

    The job is referenced by ``job_kind`` code and ``job_id`` text rather than a foreign key:
    jobs live in apps built later (rescue jobs, work orders, complaints) and in the simulator,
    with integer or UUID keys, and a clock must not tie the commitments app to any of them.
    ``terms`` is the commitment's snapshot at start, so editing the commitment never moves a
    running clock. The sweep claims each transition with ``UPDATE ... WHERE <old value>``.
    """

    job_kind = models.CharField(_("job kind"), max_length=32)
    job_id = models.CharField(_("job"), max_length=64)
    commitment = models.ForeignKey(
        Commitment, verbose_name=_("commitment"), on_delete=models.PROTECT, related_name="clocks"
    )
    commitment_version = models.PositiveIntegerField(_("commitment version"))
    terms = models.JSONField(_("terms"), default=dict)
    attrs = models.JSONField(_("job attributes"), default=dict, blank=True)
    region = models.ForeignKey(
        "network.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(
        _("state"), max_length=16, choices=ClockState.choices, default=ClockState.RUNNING
    )
    started_at = models.DateTimeField(_("started at"))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True, db_index=True)
    warn_at = models.DateTimeField(_("warning at"), null=True, blank=True, db_index=True)
    escalate_at = models.DateTimeField(_("escalation at"), null=True, blank=True, db_index=True)
    next_fire_at = models.DateTimeField(_("next update at"), null=True, blank=True, db_index=True)
    sequence = models.PositiveIntegerField(_("updates sent"), default=0)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("seconds paused"), default=0)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    stop_event = models.CharField(_("stopped by"), max_length=32, blank=True)
    met = models.BooleanField(_("met"), null=True, blank=True)

    # Swept and rewritten by the worker: the clock and its events are their own record.
    changelog_exempt = True
    region_lookup = "region"

    class Meta:
        ordering = ["started_at", "pk"]
        verbose_name = _("clock")
        verbose_name_plural = _("clocks")
        indexes = [models.Index(fields=["job_kind", "job_id"], name="commitments_clock_job")]
        constraints = [
            # The same start event delivered twice must not start a second clock.
            models.UniqueConstraint(
                fields=["job_kind", "job_id", "commitment"],
                condition=Q(state__in=OPEN_STATES),
                name="commitments_one_open_clock",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.terms.get('code', self.commitment_id)} @ {self.job_ref}"

    @property
    def job_ref(self) -> str:
        return f"{self.job_kind}:{self.job_id}"

    @property
    def target(self) -> dt.timedelta | None:
        seconds = self.terms.get("target_seconds")
        return None if seconds is None else dt.timedelta(seconds=seconds)

    @property
    def every(self) -> dt.timedelta | None:
        seconds = self.terms.get("every_seconds")
        return None if seconds is None else dt.timedelta(seconds=seconds)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class ClockEvent(models.Model):
    """A stored state change of a clock (started, paused, warned, breached, ...)."""

    clock = models.ForeignKey(
        Clock, verbose_name=_("clock"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("at"))
    kind = models.CharField(_("kind"), max_length=16, choices=ClockEventKind.choices)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    changelog_exempt = True

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("clock event")
        verbose_name_plural = _("clock events")

    def __str__(self) -> str:
        return f"{self.clock_id} {self.kind} {self.at.isoformat()}"


class Breach(models.Model):
    """A missed deadline, for KPIs: which job, which commitment, due when, late by how much.

    ``overdue_seconds`` is measured in the commitment's calendar time: at first up to when
    the breach was noticed, then, once the clock stops, up to the stop.
    """

    clock = models.OneToOneField(
        Clock, verbose_name=_("clock"), on_delete=models.PROTECT, related_name="breach"
    )
    job_kind = models.CharField(_("job kind"), max_length=32)
    job_id = models.CharField(_("job"), max_length=64)
    commitment = models.ForeignKey(
        Commitment, verbose_name=_("commitment"), on_delete=models.PROTECT, related_name="breaches"
    )
    commitment_version = models.PositiveIntegerField(_("commitment version"))
    region = models.ForeignKey(
        "network.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_at = models.DateTimeField(_("due at"))
    breached_at = models.DateTimeField(_("breached at"), db_index=True)
    overdue_seconds = models.PositiveIntegerField(_("overdue by (seconds)"), default=0)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    changelog_exempt = True
    region_lookup = "region"

    class Meta:
        ordering = ["-breached_at"]
        verbose_name = _("breach")
        verbose_name_plural = _("breaches")
        indexes = [models.Index(fields=["job_kind", "job_id"], name="commitments_breach_job")]

    def __str__(self) -> str:
        return f"{self.commitment_id} @ {self.job_kind}:{self.job_id}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "job": f"{self.job_kind}:{self.job_id}",
            "due_at": self.due_at.isoformat(),
            "breached_at": self.breached_at.isoformat(),
            "overdue_seconds": self.overdue_seconds,
        }
