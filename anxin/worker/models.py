"""Durable work for the background worker."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    """A piece of background work (后台任务): send a message, sweep a clock, render a report.

    Written in the same transaction as the business change that causes it. A worker claims it
    by a conditional update (``WHERE state = old``) and holds it for a lease; a job whose lease
    ran out while ``running`` was abandoned by a killed worker and is claimed again.
    ``failed`` means the last try failed and another is scheduled at ``run_at``; ``dead``
    means it gave up after ``max_attempts`` tries (an administrator may retry it).
    """

    changelog_exempt = True  # high-volume bookkeeping: the job table is its own record

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        DEAD = "dead", _("dead")

    kind = models.CharField(_("kind"), max_length=100)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    dedupe_key = models.CharField(
        _("dedupe key"), max_length=200, unique=True, null=True, blank=True
    )
    run_at = models.DateTimeField(_("run at"), default=timezone.now, db_index=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveIntegerField(_("max attempts"), default=5)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    locked_by = models.CharField(_("locked by"), max_length=100, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        indexes = [models.Index(fields=["state", "run_at"], name="worker_job_claim")]

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk} ({self.state})"


class PeriodicRun(models.Model):
    """When a periodic sweep last ran and is next due, shared by all workers.

    Kept in the database rather than in a worker's memory so that, with several workers, one
    claims each tick (conditional update on ``next_run_at``) and a restart does not reset it.
    """

    changelog_exempt = True

    name = models.CharField(_("name"), max_length=100, unique=True)
    next_run_at = models.DateTimeField(_("next run at"))
    last_started_at = models.DateTimeField(_("last started at"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("last finished at"), null=True, blank=True)
    last_count = models.IntegerField(_("last count"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    locked_by = models.CharField(_("locked by"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("periodic sweep")
        verbose_name_plural = _("periodic sweeps")

    def __str__(self) -> str:
        return self.name
