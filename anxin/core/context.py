from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

NAV = [
    ("home", _("Overview")),
    ("rescue:console", _("Dispatch console")),
    ("rescue:jobs", _("Rescue jobs")),
    ("network:outlets", _("Outlets")),
    ("network:bases", _("Rescue bases")),
    ("network:units", _("Rescue units")),
    ("network:staff", _("Staff")),
    ("network:customers", _("Customers")),
    ("network:vehicles", _("Vehicles")),
    ("network:imports", _("Import / export")),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    return {
        "nav_items": NAV,
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_crs": settings.MAP_TILE_CRS,
    }
