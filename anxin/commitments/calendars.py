"""The stored calendars as arithmetic, with the data-horizon alert (SLA-1).

Every deadline in the product, the ``sla`` command's included, is computed here, so the
command and the clocks cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .calendar import Due, Span, WorkingCalendar, zone
from .models import AdminAlert, Calendar

log = logging.getLogger("anxin.commitments")


class UnknownCalendar(LookupError):
    """No calendar of that name; the message lists the known ones."""


def get_calendar(name: str) -> Calendar:
    calendar = Calendar.objects.filter(name=name).first()
    if calendar is None:
        known = ", ".join(Calendar.objects.values_list("name", flat=True)) or "-"
        raise UnknownCalendar(
            _("unknown calendar %(name)r (known: %(known)s)") % {"name": name, "known": known}
        )
    return calendar


def engine(name: str, *, since: dt.datetime | None = None) -> WorkingCalendar:
    """The calendar ``name`` as arithmetic, with day-table rows from ``since``'s date on.

    Loading only the rows from the start date keeps a computation to a few hundred rows
    instead of twenty years of holidays.
    """
    calendar = get_calendar(name)
    first = None
    if since is not None:
        first = since.astimezone(zone(calendar.timezone)).date() - dt.timedelta(days=1)
    return calendar.engine(since=first)


def raise_horizon_alerts(calendar: str, years: frozenset[int]) -> list[AdminAlert]:
    """Record, once per calendar and year, that the weekly rule stood in for missing data."""
    raised = []
    for year in sorted(years):
        key = f"calendar-horizon:{calendar}:{year}"
        if AdminAlert.objects.filter(key=key).exists():
            continue
        message = _(
            "calendar %(calendar)s has no holiday data for %(year)s: using the weekly rule"
        ) % {"calendar": calendar, "year": year}
        try:
            # A savepoint: two workers may raise the same alert at once; the loser's unique
            # violation must not break the transaction of the deadline it was computing.
            with transaction.atomic():
                raised.append(AdminAlert.objects.create(key=key, message=message))
        except IntegrityError:
            continue
        log.warning("%s", message)
    return raised


def due(calendar: str, start: dt.datetime, duration: dt.timedelta) -> Due:
    """The due time of ``duration`` from ``start`` in ``calendar``; alerts past the horizon."""
    result = engine(calendar, since=start).due(start, duration)
    raise_horizon_alerts(calendar, result.fallback_years)
    return result


def span(calendar: str, a: dt.datetime, b: dt.datetime) -> Span:
    """Working time from ``a`` to ``b`` in ``calendar``; alerts past the horizon."""
    result = engine(calendar, since=min(a, b)).span(a, b)
    raise_horizon_alerts(calendar, result.fallback_years)
    return result
