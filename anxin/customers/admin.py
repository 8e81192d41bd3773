from django.contrib import admin

from anxin.core.admin import RestrictedAdmin

from .models import Consent, Customer, FleetCustomer, RepairContract, Vehicle


class ConsentInline(admin.TabularInline):
    model = Consent
    extra = 0


@admin.register(Customer)
class CustomerAdmin(RestrictedAdmin):
    list_display = ("id", "masked_name", "masked_phone", "tier", "region", "city")
    list_filter = ("tier", "region")
    inlines = [ConsentInline]


@admin.register(FleetCustomer)
class FleetCustomerAdmin(RestrictedAdmin):
    list_display = ("name", "kind", "region")


@admin.register(RepairContract)
class RepairContractAdmin(RestrictedAdmin):
    list_display = ("number", "fleet", "valid_from", "valid_until")
    filter_horizontal = ("outlets",)


@admin.register(Vehicle)
class VehicleAdmin(RestrictedAdmin):
    list_display = ("vin", "plate", "brand", "model", "powertrain", "region")
    list_filter = ("powertrain", "region", "brand")
    search_fields = ("vin", "plate", "model")
