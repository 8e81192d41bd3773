from django.contrib import admin

from anxin.core.admin import RestrictedAdmin

from .models import (
    City,
    Outlet,
    OutletEquipment,
    OutletQualification,
    Region,
    RescueBase,
    RescueUnit,
)


@admin.register(Region)
class RegionAdmin(RestrictedAdmin):
    list_display = ("code", "name")


@admin.register(City)
class CityAdmin(RestrictedAdmin):
    list_display = ("code", "name", "region", "lat", "lon")
    list_filter = ("region",)


class QualificationInline(admin.TabularInline):
    model = OutletQualification
    extra = 0


class EquipmentInline(admin.TabularInline):
    model = OutletEquipment
    extra = 0


@admin.register(Outlet)
class OutletAdmin(RestrictedAdmin):
    list_display = (
        "code",
        "name",
        "city",
        "open_24h",
        "ev_high_voltage",
        "diag_800v",
        "body_shop",
        "daily_capacity",
        "active",
    )
    list_filter = ("region", "city", "ev_high_voltage", "diag_800v", "body_shop", "active")
    search_fields = ("code", "name", "address")
    inlines = [QualificationInline, EquipmentInline]


@admin.register(OutletQualification)
class QualificationAdmin(RestrictedAdmin):
    list_display = ("licence_number", "outlet", "grade", "valid_from", "expires_on")
    list_filter = ("grade",)


@admin.register(RescueBase)
class RescueBaseAdmin(RestrictedAdmin):
    list_display = ("code", "name", "city", "area_type", "open_24h")
    list_filter = ("region", "area_type")


@admin.register(RescueUnit)
class RescueUnitAdmin(RestrictedAdmin):
    list_display = ("code", "plate", "kind", "base", "status", "last_seen_at", "active")
    list_filter = ("kind", "status", "base")
    search_fields = ("code", "plate")
