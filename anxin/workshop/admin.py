"""Administrators edit the workshop's data here: the national catalog, the checklist templates
(三检), the policy (rework window, 三包 lines); work orders are read here, changed by actions."""

from django.contrib import admin

from anxin.core.admin import RestrictedAdmin

from .models import (
    ChecklistTemplate,
    LabourOperation,
    Part,
    Supplier,
    WarrantyWarning,
    WorkOrder,
    WorkshopPolicy,
)


@admin.register(Part)
class PartAdmin(RestrictedAdmin):
    list_display = ("code", "name", "system", "national_price", "warranty_months", "active")
    list_filter = ("system", "active", "is_oil")
    search_fields = ("code", "name")


@admin.register(LabourOperation)
class LabourOperationAdmin(RestrictedAdmin):
    list_display = ("code", "name", "system", "standard_hours", "national_price", "active")
    list_filter = ("system", "active", "high_voltage", "is_oil_change")
    search_fields = ("code", "name")


@admin.register(Supplier)
class SupplierAdmin(RestrictedAdmin):
    list_display = ("code", "name", "genuine", "active")


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(RestrictedAdmin):
    list_display = ("name", "stage", "job_type", "active")
    list_filter = ("stage", "job_type", "active")


@admin.register(WorkshopPolicy)
class WorkshopPolicyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "rework_window_days", "warranty_warn_days", "warranty_warn_repairs")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return not WorkshopPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(WarrantyWarning)
class WarrantyWarningAdmin(RestrictedAdmin):
    list_display = ("vehicle", "kind", "system", "value", "legal_line", "outlet", "raised_at")
    list_filter = ("kind", "region")
    readonly_fields = [f.name for f in WarrantyWarning._meta.fields]


@admin.register(WorkOrder)
class WorkOrderAdmin(RestrictedAdmin):
    """Read-only: work orders change through the transition table, never by hand."""

    list_display = ("number", "state", "job_type", "outlet", "received_at", "delivered_at")
    list_filter = ("state", "job_type", "region")
    search_fields = ("number", "vehicle__vin", "vehicle__plate")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
