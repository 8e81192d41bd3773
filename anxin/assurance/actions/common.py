"""Helpers shared by the action modules."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext as _

from anxin.accounts.permissions import may_change, restrict


def require_change(actor: Any, obj: models.Model) -> None:
    """The actor may change this very row (role may change the model, row in their scope)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("sign in first"))
    if not may_change(actor, type(obj)):
        raise PermissionDenied(_("your role may not change this"))
    manager = type(obj)._default_manager
    if not restrict(manager.filter(pk=obj.pk), actor, "change").exists():
        raise PermissionDenied(_("this record is not in your region or assignments"))


def require_role(actor: Any, model: type[models.Model]) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("sign in first"))
    if not may_change(actor, model):
        raise PermissionDenied(_("your role may not do this"))


def actor_or_none(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None
