from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connections
from django.db.utils import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache


@never_cache
def health(request: HttpRequest) -> HttpResponse:
    """200 when the database answers a fresh connection, 503 when it does not."""
    alias = "default"
    probe = connections.create_connection(alias)
    try:
        with probe.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except (DatabaseError, Exception) as exc:  # noqa: BLE001 - any failure means unhealthy
        return JsonResponse({"status": "unavailable", "database": type(exc).__name__}, status=503)
    finally:
        probe.close()
    return JsonResponse(
        {"status": "ok", "database": settings.DATABASES[alias]["ENGINE"].rsplit(".", 1)[-1]}
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from anxin.customers.models import Customer, Vehicle
    from anxin.network.models import Outlet, RescueBase, RescueUnit
    from anxin.people.models import Staff

    user = request.user
    tiles = [
        (
            Outlet._meta.verbose_name_plural,
            Outlet.objects.restrict(user).count(),
            "network:outlets",
        ),
        (
            RescueBase._meta.verbose_name_plural,
            RescueBase.objects.restrict(user).count(),
            "network:bases",
        ),
        (
            RescueUnit._meta.verbose_name_plural,
            RescueUnit.objects.restrict(user).count(),
            "network:units",
        ),
        (Staff._meta.verbose_name_plural, Staff.objects.restrict(user).count(), "network:staff"),
        (
            Customer._meta.verbose_name_plural,
            Customer.objects.restrict(user).count(),
            "network:customers",
        ),
        (
            Vehicle._meta.verbose_name_plural,
            Vehicle.objects.restrict(user).count(),
            "network:vehicles",
        ),
    ]
    return render(request, "core/home.html", {"tiles": tiles})
