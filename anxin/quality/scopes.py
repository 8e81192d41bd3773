"""Who may see which figures, what a scope member is called, and which month is meant.

A figure is as private as the records behind it: a region's figures are for those who may
see the region, an outlet's for those who may see the outlet. Network-wide figures (and
those by vehicle model or fault across regions) are for the national roles.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.accounts.permissions import restrict
from anxin.accounts.roles import Role

from .catalog import COMPOUND_SCOPES, SCOPES

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def scope_model(scope: str) -> Any:
    from anxin.network.models import City, Outlet, Region, RescueUnit
    from anxin.people.models import Staff

    return {
        "region": Region,
        "city": City,
        "outlet": Outlet,
        "unit": RescueUnit,
        "staff": Staff,
    }.get(scope)


def member_regions(scope: str, keys: Iterable[str]) -> dict[str, int | None]:
    """The region of each member (by key) of ``scope``: the region itself for the region
    scopes, None for the network-wide ones and for unknown members."""
    keys = set(keys)
    if scope == "region":
        return {k: int(k) for k in keys}
    if scope == "region_fault":
        return {k: int(k.split("|", 1)[0]) for k in keys}
    model = scope_model(scope)
    if model is None:
        return dict.fromkeys(keys)
    field = "base__region_id" if scope == "unit" else "region_id"
    ids = [int(k) for k in keys if str(k).isdigit()]
    found = dict(model._default_manager.filter(pk__in=ids).values_list("pk", field))
    return {k: found.get(int(k)) if str(k).isdigit() else None for k in keys}


def sees_network(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and (user.is_superuser or user.role == Role.ADMINISTRATOR or user.is_national)
    )


def check_scope(user: Any, scope: str, key: str) -> Any:
    """The scope member (or None for network-wide scopes) if ``user`` may see its figures.

    Raises ValidationError for an unknown scope, Http404 for an unknown member, and
    PermissionDenied for a member outside the user's region.
    """
    if scope not in SCOPES + COMPOUND_SCOPES:
        raise ValidationError(
            {"scope": _("unknown scope %(scope)r (known: %(known)s)")
             % {"scope": scope, "known": ", ".join(SCOPES)}}
        )  # fmt: skip
    model = scope_model(scope)
    if model is None:
        if not sees_network(user):
            raise PermissionDenied(_("network-wide figures are for the national roles"))
        if scope == "network" and key:
            raise ValidationError({"key": _("the network scope takes no key")})
        return None
    if not str(key).isdigit():
        raise ValidationError({"key": _("give the id of the %(scope)s") % {"scope": scope}})
    member = model._default_manager.filter(pk=int(key)).first()
    if member is None:
        raise Http404
    if not restrict(model._default_manager.filter(pk=member.pk), user, "view").exists():
        raise PermissionDenied(_("this %(scope)s is not in your region") % {"scope": scope})
    return member


def default_scope(user: Any) -> tuple[str, str]:
    if sees_network(user):
        return "network", ""
    if getattr(user, "region_id", None):
        return "region", str(user.region_id)
    raise PermissionDenied(_("your account has no region: ask an administrator"))


def this_month(today: dt.date | None = None) -> str:
    today = today or timezone.localdate()
    return f"{today:%Y-%m}"


def month_bounds(month: str, *, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """First and last day of ``YYYY-MM``; refuses a malformed month or one in the future."""
    match = MONTH.match(month or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValidationError({"month": _("give the month as YYYY-MM, e.g. 2026-10")})
    year, mon = int(match.group(1)), int(match.group(2))
    start = dt.date(year, mon, 1)
    today = today or timezone.localdate()
    if start > today:
        raise ValidationError(
            {"month": _("%(month)s is in the future: there are no figures yet") % {"month": month}}
        )
    if year < 2000:
        raise ValidationError({"month": _("no figures before 2000")})
    end = dt.date(year, mon, calendar.monthrange(year, mon)[1])
    return start, end


def previous_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"


def months_back(month: str, count: int) -> list[str]:
    out = [month]
    for _i in range(count - 1):
        out.append(previous_month(out[-1]))
    return list(reversed(out))


def label_of(scope: str, key: str) -> str:
    if scope == "network":
        return _("Whole network")
    model = scope_model(scope)
    if model is None:
        return key
    member = model._default_manager.filter(pk=key).first()
    return str(member) if member else key
