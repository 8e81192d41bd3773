"""``notify``: put a message in the outbox, in the caller's transaction.

The row is written (and its send job enqueued) before any provider is called, so a change
that rolls back sends nothing, and a crash after the commit leaves a row that the worker
finds and sends exactly once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from anxin.worker.api import enqueue

from . import rules
from .models import Message, MessageTemplate
from .quiet import quiet_until

SEND_JOB = "notifications.send"


def find_template(code: str, channel: str, language: str) -> MessageTemplate:
    """The active template in ``language``, else in zh-Hans (the product's first language)."""
    for lang in dict.fromkeys([language, "zh-hans"]):
        found = MessageTemplate.objects.filter(
            code=code, channel=channel, language=lang, active=True
        ).first()
        if found is not None:
            return found
    raise LookupError(f"no active message template {code!r} for {channel}/{language}")


def first_attempt_at(now: dt.datetime, *, urgent: bool) -> dt.datetime:
    """Now, or for a non-urgent message in quiet hours, the end of the quiet period."""
    if urgent:
        return now
    return quiet_until(now) or now


def notify(
    *,
    job_ref: str,
    purpose: str,
    template: str,
    recipient: str,
    channel: str = "sms",
    context: dict[str, Any] | None = None,
    sequence: int = 0,
    language: str = "zh-hans",
    urgent: bool = False,
) -> Message:
    """Queue one message keyed by (job_ref, purpose, sequence, channel); idempotent.

    A second call with the same key returns the first message unchanged. A message without
    a recipient is stored as suppressed (the record shows it was due but could not go).
    """
    key = {"job_ref": job_ref, "purpose": purpose, "sequence": sequence, "channel": channel}
    existing = Message.objects.filter(**key).first()
    if existing is not None:
        return existing
    language = language.lower()
    tpl = find_template(template, channel, language)
    values = dict(context or {})
    names = rules.placeholders(tpl.body)
    body = rules.render(tpl.body, values)
    params = {name: str(values[name]) for name in names}
    if channel == "wechat" and values.get("url"):
        params["url"] = str(values["url"])  # WeChat may carry a personal link; SMS never
    now = timezone.now()
    is_urgent = urgent or tpl.urgent
    run_at = first_attempt_at(now, urgent=is_urgent)
    message = Message(
        **key,
        recipient=recipient.strip(),
        template=tpl,
        language=tpl.language,
        subject=rules.render(tpl.subject, values),
        body=body,
        params=params,
        urgent=is_urgent,
        next_attempt_at=run_at,
        created_at=now,
    )
    if not message.recipient:
        message.state = Message.State.SUPPRESSED
        message.last_error = "no recipient"
        message.next_attempt_at = None
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        # The same message was queued by a concurrent transaction: theirs stands.
        return Message.objects.get(**key)
    if message.state == Message.State.PENDING:
        enqueue(
            SEND_JOB, {"message_id": message.pk}, run_at=run_at, dedupe_key=f"notify:{message.pk}"
        )
    return message


def resend(message: Message, *, reason: str) -> bool:
    """Queue a message again after a person checked it did not arrive (admin action).

    Only from ``unknown``, ``dead`` or ``failed``; conditional on that state so a double click
    does not queue it twice.
    """
    now = timezone.now()
    redo = Message.objects.filter(
        pk=message.pk,
        state__in=[Message.State.UNKNOWN, Message.State.DEAD, Message.State.FAILED],
    ).update(state=Message.State.PENDING, next_attempt_at=now, last_error=reason[:2000])
    if redo:
        enqueue(
            SEND_JOB,
            {"message_id": message.pk},
            run_at=now,
            dedupe_key=f"notify:{message.pk}:resend:{now.timestamp()}",
        )
    return bool(redo)
