"""The one permission filter (SEC-1): role × region × own assignments.

Every page, API endpoint and admin list obtains its rows through :func:`restrict` (usually as
``Model.objects.restrict(user, "view")``), so no view can forget the rule. A model takes part by
declaring ``region_lookup`` (the ORM path from the row to its region, or ``None`` for national
reference data) and, optionally, ``own_assignments(user)`` returning a ``Q`` that narrows the
rows further for roles that work on their own assignments (a technician sees his own base).
"""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.db import models

from .roles import CHANGE_ROLES, Role

Action = Literal["view", "change", "delete"]
ACTIONS: tuple[str, ...] = ("view", "change", "delete")


def may_change(user: Any, model: type[models.Model]) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser or user.role == Role.ADMINISTRATOR:
        return True
    return user.role in CHANGE_ROLES.get(model._meta.label_lower, frozenset())


def restrict(
    queryset: models.QuerySet[Any], user: Any, action: str = "view"
) -> models.QuerySet[Any]:
    """Rows of ``queryset`` that ``user`` may ``action``; an empty queryset when none."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    model = queryset.model
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if action != "view" and not may_change(user, model):
        return queryset.none()
    if user.is_superuser or user.role == Role.ADMINISTRATOR:
        return queryset
    region_lookup: str | None = getattr(model, "region_lookup", None)
    if region_lookup is not None and not user.is_national:
        if user.region_id is None:
            return queryset.none()
        queryset = queryset.filter(**{region_lookup: user.region_id})
    own = getattr(model, "own_assignments", None)
    if own is not None:
        narrowing = own(user)
        if narrowing is not None:
            queryset = queryset.filter(narrowing)
    return queryset


def require(user: Any, obj: models.Model, action: str = "view") -> None:
    """Raise PermissionDenied unless ``user`` may ``action`` this very row."""
    manager = type(obj)._default_manager
    if not restrict(manager.filter(pk=obj.pk), user, action).exists():
        raise PermissionDenied


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user: Any, action: str = "view") -> RestrictedQuerySet:
        return restrict(self, user, action)
