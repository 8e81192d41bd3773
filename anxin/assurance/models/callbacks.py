"""Callbacks (回访): the manager's monthly sample (CB-1) and the post-repair call (WS-8)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from anxin.accounts.permissions import RestrictedQuerySet
from anxin.accounts.roles import Role
from anxin.core.masking import mask_name, mask_phone

from ..choices import (
    OPEN_CALLBACK_STATES,
    AttemptOutcome,
    CallbackPurpose,
    CallbackState,
    JobKind,
)
from .scoping import internal


class ScriptQuestion(models.Model):
    """One question of the callback script (回访话术), kept as data the quality team edits.

    ``answer`` says how it is answered (yes/no or a 1–5 score or free text); questions about
    improvement actions are not here: they are added per callback as :class:`Verification`.
    """

    class Answer(models.TextChoices):
        YES_NO = "yes_no", _("Yes / no")
        SCORE = "score", _("Score 1–5")
        TEXT = "text", _("Free text")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    text_zh = models.CharField(_("question (Chinese)"), max_length=300)
    text_en = models.CharField(_("question (English)"), max_length=300)
    answer = models.CharField(_("answered as"), max_length=8, choices=Answer.choices)
    purposes = models.JSONField(
        _("used for"), default=list, help_text=_("manager, post_repair, or both")
    )
    job_kinds = models.JSONField(_("job kinds"), default=list, blank=True)
    required = models.BooleanField(_("required when reached"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("callback script question")
        verbose_name_plural = _("callback script questions")

    def __str__(self) -> str:
        return self.code

    @property
    def text(self) -> str:
        return self.text_zh if (get_language() or "").startswith("zh") else self.text_en


class Callback(models.Model):
    """A call to a served customer: was the service good, is anything still wrong?

    One model for both kinds: the regional manager's sampled call (经理联系制度) and the
    outlet's call within one week of delivery (维修后回访). Fields are plain (reached,
    satisfied, completed_at, due_at, region, outlet) because KPIs read them directly.
    """

    purpose = models.CharField(_("kind"), max_length=16, choices=CallbackPurpose.choices)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=CallbackState.choices,
        default=CallbackState.OPEN,
        db_index=True,
    )
    version = models.PositiveIntegerField(default=1)
    draw = models.ForeignKey(
        "assurance.Draw",
        verbose_name=_("random draw"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="callbacks",
    )
    job_kind = models.CharField(_("job kind"), max_length=16, choices=JobKind.choices)
    job_id = models.PositiveBigIntegerField(_("job id"))
    job_number = models.CharField(_("job number"), max_length=40, blank=True)
    served_at = models.DateTimeField(_("served at"), null=True, blank=True)
    region = models.ForeignKey(
        "network.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    outlet = models.ForeignKey(
        "network.Outlet",
        verbose_name=_("outlet"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    base = models.ForeignKey(
        "network.RescueBase",
        verbose_name=_("rescue base"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contact_name = models.CharField(_("contact"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assignee_role = models.CharField(
        _("assigned to role"), max_length=32, choices=Role.choices, blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    due_at = models.DateTimeField(_("due"), db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reached = models.BooleanField(_("reached"), null=True, blank=True)
    satisfied = models.BooleanField(_("satisfied"), null=True, blank=True)
    issues = models.TextField(_("issues raised"), blank=True)
    issue_tags = models.JSONField(_("issue categories"), default=list, blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region"

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "job_kind", "job_id"], name="assurance_callback_once"
            )
        ]
        indexes = [models.Index(fields=["region", "state", "due_at"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.job_number or self.job_id}"

    @staticmethod
    def own_assignments(user: Any) -> Q | None:
        # An outlet's advisor calls back the outlet's own customers only.
        if user.role == Role.SERVICE_ADVISOR and user.outlet_id:
            return Q(outlet_id=user.outlet_id)
        return internal(user)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_CALLBACK_STATES

    def is_overdue(self, now: Any = None) -> bool:
        return self.is_open and self.due_at < (now or timezone.now())

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.contact_phone)

    @property
    def masked_name(self) -> str:
        return mask_name(self.contact_name)

    @property
    def job_url(self) -> str | None:
        from django.urls import NoReverseMatch, reverse

        name = "rescue:job" if self.job_kind == JobKind.RESCUE else "workshop:workorder"
        try:
            return reverse(name, args=[self.job_id])
        except NoReverseMatch:
            return None


class CallbackAttempt(models.Model):
    """One try at reaching the customer: the record behind "not reached after N attempts"."""

    callback = models.ForeignKey(Callback, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(_("at"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=AttemptOutcome.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "callback__region"
    own_assignments = staticmethod(internal)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")

    def __str__(self) -> str:
        return f"{self.callback_id} {self.outcome}"
