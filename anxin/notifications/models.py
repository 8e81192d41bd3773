"""Message templates, the outbox of messages, and the health of each provider."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import rules


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")
    EMAIL = "email", _("e-mail")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class MessageTemplate(models.Model):
    """The wording of one kind of message (消息模板) on one channel in one language.

    Templates are data, edited in the admin. SMS templates are also registered with the
    provider under ``provider_template_id``; their placeholders become the template
    parameters, in the order they appear.
    """

    code = models.CharField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=100, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    subject = models.CharField(
        _("subject"), max_length=200, blank=True, help_text=_("E-mail only.")
    )
    body = models.TextField(_("body"), help_text=_("Text with {placeholders}."))
    provider_template_id = models.CharField(_("provider template id"), max_length=100, blank=True)
    urgent = models.BooleanField(
        _("urgent"), default=False, help_text=_("Urgent messages are sent during quiet hours.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(
                fields=["code", "channel", "language"], name="notifications_template_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} [{self.channel}/{self.language}]"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Checked on every save, not only in forms: a template that the provider would refuse
        # must not reach the outbox from a data migration or a script either.
        self.clean()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        rules.placeholders(self.body)
        if self.channel == Channel.SMS:
            problems = rules.sms_problems(self.body)
            if problems:
                raise ValidationError({"body": problems})


class Message(models.Model):
    """One message to one recipient (通知消息), written before any provider is called.

    Keyed by (job, purpose, sequence, channel), so asking twice for the same message is a
    no-op, and a retry after a crash finds the row and its state instead of sending again.
    """

    changelog_exempt = True  # the outbox is its own record

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed, will retry")
        DEAD = "dead", _("gave up")
        SUPPRESSED = "suppressed", _("suppressed")
        UNKNOWN = "unknown", _("outcome unknown, check manually")

    job_ref = models.CharField(_("job"), max_length=100, help_text=_("For example rescue:123."))
    purpose = models.CharField(_("purpose"), max_length=60)
    sequence = models.PositiveIntegerField(_("sequence"), default=0)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=200)
    template = models.ForeignKey(
        MessageTemplate,
        verbose_name=_("template"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("rendered body"))
    params = models.JSONField(_("template parameters"), default=dict, blank=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    provider = models.CharField(_("provider"), max_length=20, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=100, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["job_ref", "purpose", "sequence", "channel"],
                name="notifications_message_unique_key",
            )
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="notif_msg_state")]

    def __str__(self) -> str:
        return f"{self.job_ref}/{self.purpose}/{self.sequence} [{self.channel}]"

    @property
    def out_id(self) -> str:
        """Our id for the message at the provider (Aliyun OutId, Tencent SessionContext),
        the same on every try, so a send interrupted by a crash can be looked up."""
        return f"anxin-{self.pk}"


class ProviderHealth(models.Model):
    """The circuit breaker of one provider (供应商熔断): consecutive failures and until when
    nobody calls it. A row in the database, so all workers share it without a cache."""

    changelog_exempt = True

    provider = models.CharField(_("provider"), max_length=20, unique=True)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    open_until = models.DateTimeField(_("open until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_failure_at = models.DateTimeField(_("last failure at"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("recovered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("provider health")
        verbose_name_plural = _("provider health")

    def __str__(self) -> str:
        return self.provider
