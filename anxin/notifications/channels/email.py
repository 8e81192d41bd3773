"""E-mail through Django's configured e-mail backend (SMTP in production)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage

from .base import ChannelAdapter, Outgoing, ProviderError


class EmailChannel(ChannelAdapter):
    name = "email"

    def send(self, message: Outgoing) -> str:
        mail = EmailMessage(
            subject=message.subject or message.body.splitlines()[0][:80],
            body=message.body,
            from_email=getattr(settings, "DEFAULT_FROM_EMAIL", None),
            to=[message.recipient],
            # A Message-ID of our own, so a resent copy can be recognised by the recipient.
            headers={"X-Anxin-Message": message.out_id},
        )
        try:
            mail.send(fail_silently=False)
        except OSError as exc:  # smtplib errors are OSErrors
            raise ProviderError(f"e-mail: {exc}") from exc
        return message.out_id
