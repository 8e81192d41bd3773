"""Row scoping shared by the assurance models, on top of the region rule."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from anxin.accounts.roles import Role

NOTHING = Q(pk__in=[])


def internal(user: Any) -> Q | None:
    """Callbacks, draws, audits and actions are internal records: volunteer supervisors and
    third-party auditors (who log in to file their own reports) see none of them."""
    if user.role == Role.VOLUNTEER_SUPERVISOR:
        return NOTHING
    return None
