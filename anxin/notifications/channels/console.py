"""The development channel: writes messages to the log instead of sending them.

The messages themselves stay browsable in the admin (the outbox table).
"""

from __future__ import annotations

import logging

from anxin.core.masking import mask_phone

from .base import ChannelAdapter, LookupResult, Outcome, Outgoing

log = logging.getLogger("anxin.notifications.console")


class ConsoleChannel(ChannelAdapter):
    name = "console"

    def send(self, message: Outgoing) -> str:
        # Masked even here: development logs get copied around too.
        log.info("to %s [%s]: %s", mask_phone(message.recipient), message.out_id, message.body)
        return f"console-{message.out_id}"

    def lookup(self, message: Outgoing) -> LookupResult:
        # A console "send" reaches nobody, so writing it again is harmless.
        return LookupResult(Outcome.NOT_SENT)
