"""The one interface every channel adapter implements, and the HTTP helper they share."""

from __future__ import annotations

import datetime as dt
import enum
import http.client
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from .. import conf


@dataclass(frozen=True)
class Outgoing:
    """What an adapter needs to send one message (built from a :class:`Message` row)."""

    recipient: str
    body: str
    out_id: str
    subject: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    param_order: tuple[str, ...] = ()
    template_id: str = ""
    language: str = "zh-hans"
    since: dt.datetime | None = None  # when the interrupted try began (for look-ups)


class Outcome(enum.Enum):
    DELIVERED = "delivered"  # the provider has it: do not send again
    NOT_SENT = "not_sent"  # the provider never got it: safe to send
    UNKNOWN = "unknown"  # the provider cannot tell us: a person must check


@dataclass(frozen=True)
class LookupResult:
    outcome: Outcome
    provider_message_id: str = ""


class ProviderError(Exception):
    """A provider refused or failed a call.

    ``transient`` errors (network, throttling, provider outage, bad credentials) are retried
    and count towards the provider's circuit breaker; the others are about this one message
    (an invalid phone number) and retrying would not help.

    ``ambiguous`` errors happened after the request may have reached the provider (a read
    timeout, a dropped connection, an answer we cannot read): the provider may have taken the
    message, so the next try looks it up before sending again.
    """

    def __init__(
        self, message: str, *, transient: bool = True, code: str = "", ambiguous: bool = False
    ) -> None:
        super().__init__(message)
        self.transient = transient
        self.code = code
        self.ambiguous = ambiguous


class ChannelAdapter:
    """Base of the adapters. ``name`` keys the circuit breaker and is stored on the message."""

    name = "base"

    def send(self, message: Outgoing) -> str:
        """Send the message; return the provider's id for it or raise :class:`ProviderError`."""
        raise NotImplementedError

    def lookup(self, message: Outgoing) -> LookupResult:
        """Whether a try interrupted by a crash reached the provider (by ``out_id``).

        Providers without such a query answer UNKNOWN, and the message waits for a person
        rather than risking a second copy.
        """
        return LookupResult(Outcome.UNKNOWN)


def http_json(
    method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """Call a provider and decode its JSON answer, whatever the HTTP status.

    Providers put the reason of a refusal in a JSON body with a 4xx status, so that body is
    read rather than lost in an HTTPError.
    """
    endpoint = url.split("?")[0]
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=conf.http_timeout()) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except urllib.error.URLError as exc:
        # Refused or unresolvable: the request never left, so a plain retry is safe.
        never_sent = isinstance(exc.reason, ConnectionRefusedError | socket.gaierror)
        raise ProviderError(
            f"cannot reach {endpoint}: {exc.reason}", ambiguous=not never_sent
        ) from exc
    except (TimeoutError, OSError, http.client.HTTPException) as exc:
        raise ProviderError(f"{endpoint}: {exc!r}", ambiguous=True) from exc
    try:
        data = json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        # A gateway error page (5xx) means the API did not process it; a 2xx we cannot read
        # may well have been a success.
        raise ProviderError(
            f"HTTP {status}: not JSON: {raw[:200]!r}", ambiguous=status < 500
        ) from exc
    if not isinstance(data, dict):
        raise ProviderError(f"HTTP {status}: unexpected answer {data!r:.200}")
    return status, data
