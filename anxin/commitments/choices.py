"""Choice sets of the commitments app (states are choices, never bare strings)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Priority(models.TextChoices):
    EMERGENCY = "emergency", _("Emergency")
    ROUTINE = "routine", _("Routine")


class Measure(models.TextChoices):
    """How KPIs read a commitment's clocks: each job on time, or the mean over jobs."""

    EACH = "each", _("Each job within the target")
    MEAN = "mean", _("Mean over jobs within the target")


class Stage(models.TextChoices):
    """The points of a clock at which the escalation chain is told."""

    WARNING = "warning", _("Warning")
    BREACH = "breach", _("Breach")
    ESCALATION = "escalation", _("Escalation")


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    STOPPED = "stopped", _("Stopped")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATES = (ClockState.RUNNING, ClockState.PAUSED)


class ClockEventKind(models.TextChoices):
    STARTED = "started", _("Started")
    PAUSED = "paused", _("Paused")
    RESUMED = "resumed", _("Resumed")
    WARNED = "warned", _("Warning sent")
    BREACHED = "breached", _("Breached")
    ESCALATED = "escalated", _("Escalated")
    PROGRESS = "progress", _("Progress update sent")
    STOPPED = "stopped", _("Stopped")
    CANCELLED = "cancelled", _("Cancelled")


# Notification templates seeded by the notifications app.
STAGE_TEMPLATES = {
    Stage.WARNING: "sla.warning",
    Stage.BREACH: "sla.breach",
    Stage.ESCALATION: "sla.escalation",
}
PROGRESS_TEMPLATE = "rescue.progress"
# Used when a stage has no wording of its own: the breach notice says "escalated to you".
FALLBACK_TEMPLATES = {"sla.escalation": "sla.breach"}
