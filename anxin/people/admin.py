from django.contrib import admin

from anxin.core.admin import RestrictedAdmin

from .models import Certification, Staff


class CertificationInline(admin.TabularInline):
    model = Certification
    extra = 0


@admin.register(Staff)
class StaffAdmin(RestrictedAdmin):
    list_display = ("employee_no", "name", "role", "region", "outlet", "base", "active")
    list_filter = ("role", "region")
    search_fields = ("employee_no", "name")
    inlines = [CertificationInline]


@admin.register(Certification)
class CertificationAdmin(RestrictedAdmin):
    list_display = ("staff", "skill", "certificate_no", "issued_on", "expires_on")
    list_filter = ("skill",)
