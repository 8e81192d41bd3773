"""The worker's send handler for the outbox.

Each try moves the message ``pending -> sending`` with a conditional update and commits that
before calling the provider. A message found still ``sending`` was interrupted (the worker
died, or the call ended ambiguously) and is never sent blindly: the adapter is asked whether
the provider has it under our id (Aliyun ``OutId``, Tencent ``SessionContext``):
delivered -> marked sent; provably not sent -> sent now; the provider cannot tell (WeChat,
e-mail, a Tencent report not yet in) -> ``unknown``, for a person to check in the admin.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db.models import F
from django.utils import timezone

from anxin.worker.api import Defer, Retry, backoff, handler
from anxin.worker.models import Job

from . import circuit, rules
from .channels import ADAPTERS, ChannelAdapter, Outcome, Outgoing, ProviderError, adapter_for
from .models import Message
from .quiet import quiet_until

log = logging.getLogger("anxin.notifications")
State = Message.State
FINISHED = {State.SENT, State.DEAD, State.SUPPRESSED, State.UNKNOWN}


def outgoing(message: Message) -> Outgoing:
    order = tuple(rules.placeholders(message.template.body)) if message.template else ()
    return Outgoing(
        recipient=message.recipient,
        body=message.body,
        out_id=message.out_id,
        subject=message.subject,
        params=dict(message.params or {}),
        param_order=order,
        template_id=message.template.provider_template_id if message.template else "",
        language=message.language,
        since=message.last_attempt_at,
    )


def _adapter(message: Message) -> ChannelAdapter:
    # An interrupted message is looked up at the provider it went to, even if the setting
    # has changed since.
    if message.state == State.SENDING and message.provider in ADAPTERS:
        return ADAPTERS[message.provider]()
    return adapter_for(message.channel)


def _resolve_interrupted(message: Message, adapter: ChannelAdapter, now: dt.datetime) -> bool:
    """Settle a message left in ``sending``; True when it is safe to send it now."""
    found = adapter.lookup(outgoing(message))  # a ProviderError here retries the look-up later
    ours = Message.objects.filter(pk=message.pk, state=State.SENDING)
    if found.outcome is Outcome.DELIVERED:
        ours.update(
            state=State.SENT,
            sent_at=now,
            last_error="",
            provider_message_id=found.provider_message_id or message.provider_message_id,
        )
        log.info("message %s was delivered before the interruption", message.pk)
        return False
    if found.outcome is Outcome.UNKNOWN:
        ours.update(
            state=State.UNKNOWN,
            last_error=(
                f"interrupted while {adapter.name} was being called and {adapter.name} cannot say "
                "whether it arrived; check with the recipient or the provider console, then "
                "resend or close it in the admin"
            ),
        )
        log.warning("message %s outcome unknown, left for a person to check", message.pk)
        return False
    ours.update(state=State.PENDING)
    return True


def _failed(
    message: Message, adapter: ChannelAdapter, exc: ProviderError, job: Job, now: dt.datetime
) -> None:
    if exc.transient:
        circuit.record_failure(adapter.name, now, str(exc))
    last_try = job.attempts >= job.max_attempts
    ours = Message.objects.filter(pk=message.pk, state=State.SENDING)
    if exc.ambiguous and not last_try:
        # Stay "sending": the next try looks the message up before sending again.
        at = now + backoff(job.attempts)
        ours.update(last_error=str(exc)[:2000], next_attempt_at=at)
        raise Retry(str(exc), at=at)
    if not exc.transient or last_try:
        final = State.UNKNOWN if exc.ambiguous else State.DEAD
        ours.update(state=final, last_error=str(exc)[:2000], next_attempt_at=None)
        log.warning("message %s %s: %s", message.pk, final, exc)
        return
    at = now + backoff(job.attempts)
    ours.update(state=State.FAILED, last_error=str(exc)[:2000], next_attempt_at=at)
    raise Retry(str(exc), at=at)


@handler("notifications.send", atomic=False)
def send_message(payload: dict[str, Any], job: Job) -> None:
    """Send one outbox message (idempotent: a finished message is left alone)."""
    message = Message.objects.select_related("template").filter(pk=payload["message_id"]).first()
    if message is None or message.state in FINISHED:
        return
    now = timezone.now()
    adapter = _adapter(message)
    if message.state == State.SENDING:
        if not _resolve_interrupted(message, adapter, now):
            return
        message.refresh_from_db()
    if not message.urgent and (until := quiet_until(now)):
        Message.objects.filter(pk=message.pk).update(next_attempt_at=until)
        raise Defer(until, "quiet hours")
    if blocked := circuit.blocked_until(adapter.name, now):
        Message.objects.filter(pk=message.pk).update(next_attempt_at=blocked)
        raise Defer(blocked, f"{adapter.name} circuit open")
    claimed = Message.objects.filter(pk=message.pk, state__in=[State.PENDING, State.FAILED]).update(
        state=State.SENDING, attempts=F("attempts") + 1, last_attempt_at=now, provider=adapter.name
    )
    if not claimed:
        return  # settled by someone else meanwhile
    message.refresh_from_db()
    try:
        provider_id = adapter.send(outgoing(message))
    except ProviderError as exc:
        _failed(message, adapter, exc, job, now)
        return
    sent_at = timezone.now()
    Message.objects.filter(pk=message.pk, state=State.SENDING).update(
        state=State.SENT,
        sent_at=sent_at,
        provider_message_id=provider_id[:100],
        last_error="",
        next_attempt_at=None,
    )
    circuit.record_success(adapter.name, sent_at)
