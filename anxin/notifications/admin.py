"""Browse the outbox (recipients masked), edit templates, watch provider health."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from anxin.core.masking import mask_phone

from .api import resend
from .models import Message, MessageTemplate, ProviderHealth


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "channel",
        "language",
        "name",
        "urgent",
        "active",
        "provider_template_id",
    )
    list_filter = ("channel", "language", "urgent", "active")
    search_fields = ("code", "name", "body")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "job_ref",
        "purpose",
        "sequence",
        "channel",
        "masked_recipient",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("state", "channel", "purpose", "urgent", "provider")
    search_fields = ("job_ref", "purpose", "provider_message_id")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    # The recipient is personal data: shown masked, never as a field on the page.
    exclude = ("recipient",)
    actions = ("resend_checked", "close_as_sent")

    @admin.display(description=_("recipient"))
    def masked_recipient(self, obj: Message) -> str:
        return mask_phone(obj.recipient) if obj.channel == "sms" else obj.recipient[:3] + "***"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Message._meta.fields if f.name != "recipient"] + [
            "masked_recipient"
        ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Send again (checked: it did not arrive)"))
    def resend_checked(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        count = sum(resend(m, reason=f"resent by {request.user}") for m in queryset)
        self.message_user(
            request,
            ngettext("%(count)d message queued again.", "%(count)d messages queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Close as sent (checked: it arrived)"))
    def close_as_sent(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        count = queryset.filter(state=Message.State.UNKNOWN).update(
            state=Message.State.SENT,
            sent_at=timezone.now(),
            last_error=f"confirmed as arrived by {request.user}",
        )
        self.message_user(
            request,
            ngettext("%(count)d message closed.", "%(count)d messages closed.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(ProviderHealth)
class ProviderHealthAdmin(admin.ModelAdmin):
    list_display = (
        "provider",
        "consecutive_failures",
        "open_until",
        "last_failure_at",
        "last_success_at",
    )
    readonly_fields = (
        "provider",
        "consecutive_failures",
        "last_error",
        "last_failure_at",
        "last_success_at",
    )
    actions = ("close_circuit",)

    @admin.action(description=_("Close the circuit (provider is back)"))
    def close_circuit(self, request: HttpRequest, queryset: QuerySet[ProviderHealth]) -> None:
        queryset.update(open_until=None, consecutive_failures=0)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
