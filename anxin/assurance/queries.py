"""Shared queries of the pages and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from .choices import OPEN_CALLBACK_STATES


def worklist(qs: Any, user: Any, view: str, now: dt.datetime) -> Any:
    """mine: assigned to me (or to my role's pool in my scope); due: open, due within 2 days;
    overdue: open past due."""
    if view == "mine":
        qs = qs.filter(Q(assignee=user) | Q(assignee__isnull=True, assignee_role=user.role))
        qs = qs.filter(state__in=OPEN_CALLBACK_STATES)
    elif view == "due":
        qs = qs.filter(
            state__in=OPEN_CALLBACK_STATES, due_at__gte=now, due_at__lt=now + dt.timedelta(days=2)
        )
    elif view == "overdue":
        qs = qs.filter(state__in=OPEN_CALLBACK_STATES, due_at__lt=now)
    elif view == "open":
        qs = qs.filter(state__in=OPEN_CALLBACK_STATES)
    return qs
