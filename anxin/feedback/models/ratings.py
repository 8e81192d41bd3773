"""Rating invitations, ratings (FB-1) and the follow-ups low ratings open."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from anxin.accounts.permissions import RestrictedQuerySet

from ..choices import FollowUpState, InviteChannel
from .common import JobLinked

# Lookup codes avoid characters customers confuse on a phone screen (0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
SCORE = [MinValueValidator(1), MaxValueValidator(5)]


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def new_token() -> str:
    return secrets.token_urlsafe(18)


class RatingInvitation(JobLinked):
    """The customer's one chance to rate one served job: works once, then expires.

    The SMS carries only a neutral service-completion notice with the fixed link and ``code``;
    WeChat and the app carry the personal signed link built from ``token``.
    """

    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    code = models.CharField(_("lookup code"), max_length=12, unique=True, default=new_code)
    channel = models.CharField(
        _("channel"), max_length=8, choices=InviteChannel.choices, default=InviteChannel.SMS
    )
    service_label = models.CharField(_("service"), max_length=60, blank=True)
    served_at = models.DateTimeField(_("served at"))
    created_at = models.DateTimeField(_("invited at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    message_id = models.PositiveIntegerField(_("outbox message"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("rating invitation")
        verbose_name_plural = _("rating invitations")
        constraints = [
            # One invitation per served job: a repeated event must not invite twice.
            models.UniqueConstraint(
                fields=["job_kind", "job_id"], name="feedback_one_invitation_per_job"
            )
        ]

    def __str__(self) -> str:
        return f"{self.job_number or self.job_ref} · {self.code}"


class Rating(JobLinked):
    """The customer's rating of one job: overall score, four sub-scores, reasons, comment."""

    invitation = models.OneToOneField(
        RatingInvitation, on_delete=models.PROTECT, related_name="rating"
    )
    overall = models.PositiveSmallIntegerField(_("overall"), validators=SCORE)
    timeliness = models.PositiveSmallIntegerField(_("timeliness"), validators=SCORE)
    attitude = models.PositiveSmallIntegerField(_("attitude"), validators=SCORE)
    professionalism = models.PositiveSmallIntegerField(_("professionalism"), validators=SCORE)
    result = models.PositiveSmallIntegerField(_("result"), validators=SCORE)
    reasons = models.JSONField(_("reasons for a low score"), default=list, blank=True)
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    is_low = models.BooleanField(_("low score"), default=False, db_index=True)
    submitted_at = models.DateTimeField(_("submitted at"), db_index=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")

    def __str__(self) -> str:
        return f"{self.job_number}: {self.overall}/5"

    @property
    def sub_scores(self) -> dict[str, int]:
        return {
            "timeliness": self.timeliness,
            "attitude": self.attitude,
            "professionalism": self.professionalism,
            "result": self.result,
        }

    def reason_labels(self) -> list[str]:
        from ..choices import LowReason

        labels = dict(LowReason.choices)
        return [str(labels.get(code, code)) for code in self.reasons]


class FollowUp(JobLinked):
    """Customer service's task to call back a customer who gave a low score (差评回访)."""

    rating = models.OneToOneField(Rating, on_delete=models.PROTECT, related_name="follow_up")
    state = models.CharField(
        _("state"),
        max_length=12,
        choices=FollowUpState.choices,
        default=FollowUpState.OPEN,
        db_index=True,
    )
    version = models.PositiveIntegerField(default=1)
    due_at = models.DateTimeField(_("due at"))
    created_at = models.DateTimeField(_("opened at"))
    notes = models.TextField(_("notes"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    complaint = models.ForeignKey(
        "feedback.Complaint",
        verbose_name=_("complaint"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["state", "due_at"]
        verbose_name = _("low-rating follow-up")
        verbose_name_plural = _("low-rating follow-ups")

    def __str__(self) -> str:
        return f"{self.job_number}: {self.get_state_display()}"
