"""Improvement actions (整改, FB-5/FB-6) and their verification at the next callbacks (CB-4)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anxin.accounts.permissions import RestrictedQuerySet
from anxin.accounts.roles import Role

from ..choices import OPEN_ACTION_STATES, ActionState, SourceKind, VerificationAnswer
from .scoping import internal


class ImprovementAction(models.Model):
    """A promise to fix something, with an owner, a due date and a measure of success.

    It comes from a complaint, a low rating, an audit finding, a callback, a mystery check or
    the monthly review of bad reviews (the source is a (kind, id) reference, so the source's
    app need not be known here). It closes only when a later callback confirms it worked;
    otherwise it goes back to its owner with what the customer said.
    """

    number = models.CharField(_("number"), max_length=24, unique=True)
    title = models.CharField(_("problem"), max_length=200)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=ActionState.choices,
        default=ActionState.OPEN,
        db_index=True,
    )
    version = models.PositiveIntegerField(default=1)
    source_kind = models.CharField(_("source"), max_length=16, choices=SourceKind.choices)
    source_id = models.CharField(_("source id"), max_length=40)
    source_label = models.CharField(_("source summary"), max_length=200, blank=True)
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
        verbose_name=_("affected customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="improvement_actions",
    )
    due_date = models.DateField(_("due date"))
    change_plan = models.TextField(_("what will change"))
    success_measure = models.TextField(_("how success is measured"))
    verification_question = models.CharField(
        _("verification question for the callback"), max_length=300, blank=True
    )
    implementation_note = models.TextField(_("what was done"), blank=True)
    implemented_at = models.DateTimeField(_("implemented"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    last_finding = models.TextField(_("latest verification finding"), blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region"

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("improvement action")
        verbose_name_plural = _("improvement actions")
        indexes = [models.Index(fields=["source_kind", "source_id"])]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @staticmethod
    def own_assignments(user: Any) -> Q | None:
        if user.role == Role.SERVICE_ADVISOR:
            return Q(owner=user) | Q(outlet_id=user.outlet_id) if user.outlet_id else Q(owner=user)
        return internal(user)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_ACTION_STATES

    def is_overdue(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.state in (ActionState.OPEN, ActionState.REOPENED) and self.due_date < today

    @property
    def source_ref(self) -> str:
        return f"{self.source_kind}:{self.source_id}"

    @property
    def question(self) -> str:
        return self.verification_question or str(
            _("We changed this after your feedback: %(title)s. Is it better now?")
            % {"title": self.title}
        )


class ImprovementTransition(models.Model):
    """One state change of an improvement action (who, when, why): the action's history."""

    action = models.ForeignKey(
        ImprovementAction, on_delete=models.CASCADE, related_name="transitions"
    )
    from_state = models.CharField(max_length=16, choices=ActionState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=ActionState.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    callback = models.ForeignKey(
        "assurance.Callback", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "action__region"
    own_assignments = staticmethod(internal)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("improvement action transition")
        verbose_name_plural = _("improvement action transitions")

    def __str__(self) -> str:
        return f"{self.action_id}: {self.from_state or '∅'} → {self.to_state}"


class Verification(models.Model):
    """The callback's question about an improvement action, and the customer's answer."""

    callback = models.ForeignKey(
        "assurance.Callback", on_delete=models.CASCADE, related_name="verifications"
    )
    action = models.ForeignKey(
        ImprovementAction, on_delete=models.CASCADE, related_name="verifications"
    )
    question = models.CharField(_("question"), max_length=300)
    answer = models.CharField(
        _("answer"), max_length=16, choices=VerificationAnswer.choices, blank=True
    )
    note = models.TextField(_("what the customer said"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "callback__region"
    own_assignments = staticmethod(internal)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("improvement verification")
        verbose_name_plural = _("improvement verifications")
        constraints = [
            models.UniqueConstraint(fields=["callback", "action"], name="assurance_verify_once")
        ]

    def __str__(self) -> str:
        return f"{self.action_id} @ {self.callback_id}: {self.answer or '?'}"
