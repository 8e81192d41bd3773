"""A circuit breaker per provider, kept in the database so every worker shares it.

Closed: calls go. After ``ANXIN_CIRCUIT_THRESHOLD`` consecutive transient failures it opens
for ``ANXIN_CIRCUIT_COOLDOWN`` seconds and messages are deferred, not failed. When the time
is up it is half-open: the first caller claims one probe (moving ``open_until`` forward with a
conditional update, so other workers keep waiting); a success closes it, a failure reopens it.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from . import conf
from .models import ProviderHealth


def _row(provider: str) -> ProviderHealth:
    row = ProviderHealth.objects.filter(provider=provider).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return ProviderHealth.objects.create(provider=provider)
    except IntegrityError:
        return ProviderHealth.objects.get(provider=provider)


def blocked_until(provider: str, now: dt.datetime) -> dt.datetime | None:
    """None when a call to ``provider`` may go now, else when to try again."""
    row = _row(provider)
    if row.open_until is None:
        return None
    if row.open_until > now:
        return row.open_until
    reopen = now + dt.timedelta(seconds=conf.circuit_cooldown_seconds())
    won = ProviderHealth.objects.filter(pk=row.pk, open_until=row.open_until).update(
        open_until=reopen
    )
    if won:
        return None  # we are the probe
    row.refresh_from_db()
    return row.open_until if row.open_until and row.open_until > now else None


def record_success(provider: str, now: dt.datetime) -> None:
    # Written only when there is something to reset: a healthy provider costs no extra write
    # (and no extra commit) per message.
    ProviderHealth.objects.filter(provider=provider).filter(
        Q(consecutive_failures__gt=0) | Q(open_until__isnull=False)
    ).update(consecutive_failures=0, open_until=None, last_success_at=now)


def record_failure(provider: str, now: dt.datetime, error: str) -> bool:
    """Count a transient failure; returns True when the circuit is (now) open."""
    row = _row(provider)
    ProviderHealth.objects.filter(pk=row.pk).update(
        consecutive_failures=F("consecutive_failures") + 1,
        last_failure_at=now,
        last_error=error[:2000],
    )
    row.refresh_from_db()
    if row.consecutive_failures >= conf.circuit_threshold():
        ProviderHealth.objects.filter(pk=row.pk).update(
            open_until=now + dt.timedelta(seconds=conf.circuit_cooldown_seconds())
        )
        return True
    return False
