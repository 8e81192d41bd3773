from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from anxin.accounts.roles import Role

R = Role
_DESK = {R.DISPATCHER, R.REGIONAL_MANAGER, R.EMERGENCY_COMMANDER}
_MASTER_DATA = {r for r in Role if r != R.VOLUNTEER_SUPERVISOR}

# (URL name, label, roles that see the entry). The menu only saves clicks: what a user may open
# is decided by the permission filter on every page, whatever the menu shows. Administrators see
# every entry.
NAV: list[tuple[str, Any, frozenset[str]]] = [
    ("home", _("Overview"), frozenset(Role)),
    ("rescue:console", _("Dispatch console"), frozenset(_DESK)),
    (
        "rescue:jobs",
        _("Rescue jobs"),
        frozenset(_DESK | {R.TECHNICIAN, R.CUSTOMER_SERVICE, R.QUALITY_AUDITOR}),
    ),
    (
        "workshop:board",
        _("Workshop board"),
        frozenset({R.SERVICE_ADVISOR, R.REGIONAL_MANAGER, R.CUSTOMER_SERVICE}),
    ),
    ("workshop:tech", _("My jobs"), frozenset({R.TECHNICIAN, R.SERVICE_ADVISOR})),
    ("workshop:experts", _("Expert queue"), frozenset({R.TECHNICAL_EXPERT, R.SERVICE_ADVISOR})),
    ("network:outlets", _("Outlets"), frozenset(_MASTER_DATA)),
    ("network:bases", _("Rescue bases"), frozenset(_MASTER_DATA)),
    ("network:units", _("Rescue units"), frozenset(_MASTER_DATA)),
    ("network:staff", _("Staff"), frozenset(_MASTER_DATA)),
    ("network:customers", _("Customers"), frozenset(_MASTER_DATA)),
    ("network:vehicles", _("Vehicles"), frozenset(_MASTER_DATA)),
    ("network:imports", _("Import / export"), frozenset({R.REGIONAL_MANAGER})),
    (
        "quality:dashboard",
        _("Quality"),
        frozenset(
            {R.REGIONAL_MANAGER, R.QUALITY_AUDITOR, R.EMERGENCY_COMMANDER, R.CUSTOMER_SERVICE}
        ),
    ),
    (
        "feedback:desk",
        _("Complaint desk"),
        frozenset({R.CUSTOMER_SERVICE, R.REGIONAL_MANAGER, R.QUALITY_AUDITOR, R.SERVICE_ADVISOR}),
    ),
    (
        "feedback:followups",
        _("Low-rating follow-ups"),
        frozenset({R.CUSTOMER_SERVICE, R.REGIONAL_MANAGER}),
    ),
    (
        "feedback:cases",
        _("Engineering cases (R&D)"),
        frozenset({R.TECHNICAL_EXPERT, R.QUALITY_AUDITOR, R.REGIONAL_MANAGER}),
    ),
    ("feedback:social", _("Social media"), frozenset({R.CUSTOMER_SERVICE, R.QUALITY_AUDITOR})),
    (
        "feedback:board",
        _("Bad-review board"),
        frozenset({R.REGIONAL_MANAGER, R.QUALITY_AUDITOR, R.CUSTOMER_SERVICE}),
    ),
    (
        "assurance:callbacks",
        _("Callbacks"),
        frozenset({R.REGIONAL_MANAGER, R.CUSTOMER_SERVICE, R.SERVICE_ADVISOR}),
    ),
    (
        "assurance:improvements",
        _("Improvement actions"),
        frozenset({R.REGIONAL_MANAGER, R.QUALITY_AUDITOR, R.CUSTOMER_SERVICE, R.SERVICE_ADVISOR}),
    ),
    ("assurance:audits", _("Internal audits"), frozenset({R.QUALITY_AUDITOR, R.REGIONAL_MANAGER})),
    (
        "assurance:mystery",
        _("Mystery checks"),
        frozenset({R.VOLUNTEER_SUPERVISOR, R.QUALITY_AUDITOR, R.REGIONAL_MANAGER}),
    ),
]


def menu_for(user: Any) -> list[tuple[str, Any]]:
    """The menu entries for ``user``'s role (all of them for administrators)."""
    role = getattr(user, "role", None)
    everything = getattr(user, "is_superuser", False) or role == Role.ADMINISTRATOR
    return [(name, label) for name, label, roles in NAV if everything or role in roles]


def navigation(request: HttpRequest) -> dict[str, Any]:
    return {
        "nav_items": menu_for(getattr(request, "user", None)),
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_crs": settings.MAP_TILE_CRS,
    }
