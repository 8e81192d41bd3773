from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeLogEntry(models.Model):
    """One create, update or delete, chained to the previous entry by a SHA-256 hash (SEC-3).

    ``before`` and ``after`` are stored as canonical JSON text (sorted keys) rather than a JSON
    column, because PostgreSQL's jsonb reorders keys and the hash must be recomputable byte for
    byte from what is stored.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("create")
        UPDATE = "update", _("update")
        DELETE = "delete", _("delete")

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True)
    at = models.DateTimeField(_("time"), db_index=True)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_label = models.CharField(_("actor"), max_length=150)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    model = models.CharField(_("model"), max_length=100, db_index=True)
    object_pk = models.CharField(_("object id"), max_length=64, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.TextField(_("before"), blank=True)
    after = models.TextField(_("after"), blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("change log entry")
        verbose_name_plural = _("change log")
        indexes = [models.Index(fields=["model", "object_pk", "seq"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.model}:{self.object_pk}"


class ChainHead(models.Model):
    """The single row that serialises appends and remembers the chain's last link.

    Appending locks this row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE
    transactions serialise writers anyway), so two writers cannot fork the chain. It also lets
    verification notice that the newest entries were deleted.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("change log head")

    def __str__(self) -> str:
        return f"head #{self.last_seq}"


class PersonalDataAccess(models.Model):
    """A logged full view of masked personal data (SEC-2, PIPL): who saw what, when, why."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    model = models.CharField(_("model"), max_length=100)
    object_pk = models.CharField(_("object id"), max_length=64)
    fields = models.CharField(_("fields"), max_length=200)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")

    def __str__(self) -> str:
        return f"{self.user_id} saw {self.model}:{self.object_pk} {self.fields}"
