"""Masking of personal data (SEC-2) and the logged full view."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models


def mask_phone(phone: str) -> str:
    digits = (phone or "").strip()
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) > 4:
        return "*" * (len(digits) - 4) + digits[-4:]
    return "****" if digits else ""


def mask_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    if name.isascii():
        return name[0] + "***"
    return name[0] + "*" * max(1, len(name) - 1)


def reveal(
    user: Any,
    instance: models.Model,
    fields: tuple[str, ...],
    *,
    purpose: str = "",
    request_id: str = "",
) -> dict[str, Any]:
    """Return the unmasked ``fields`` of ``instance`` to a user whose role needs them.

    The row must be visible to the user through the permission filter; the view is logged
    whether the caller displays it or not.
    """
    from anxin.accounts.permissions import require
    from anxin.audit.context import current_actor
    from anxin.audit.models import PersonalDataAccess

    if not getattr(user, "may_see_pii", False):
        raise PermissionDenied("this role does not see personal data unmasked")
    require(user, instance, "view")
    PersonalDataAccess.objects.create(
        user=user,
        request_id=request_id or current_actor().request_id,
        model=instance._meta.label_lower,
        object_pk=str(instance.pk),
        fields=",".join(fields),
        purpose=purpose[:200],
    )
    return {f: getattr(instance, f) for f in fields}
