"""Who an import or export run from the shell acts as.

With ``--user`` the named account's role and region apply, exactly as on the web page. Without
it the person at the shell already holds the database, so the command acts with full rights
over the master data, but never sees personal data unmasked: a full view must be logged against
a named account (PIPL), and there is none.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from anxin.accounts.roles import Role


class ShellOperator:
    """The duck-typed user the permission filter sees for an unnamed shell run."""

    pk = id = None
    username = "shell"
    is_authenticated = True
    is_active = True
    is_superuser = True
    is_national = True
    may_see_pii = False
    role = Role.ADMINISTRATOR
    region_id = None
    base_id = None


def operator_for(username: str | None) -> Any:
    if not username:
        return ShellOperator()
    user = get_user_model().objects.filter(username=username).first()
    if user is None or not user.is_active:
        raise CommandError(f"no active user named {username!r}")
    return user
