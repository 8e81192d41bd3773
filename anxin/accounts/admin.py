from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import ApiToken, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "first_name", "role", "region", "is_active")
    list_filter = ("role", "region", "is_active")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Anxin", {"fields": ("role", "region", "outlet", "base")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "created_at", "last_used_at")
    readonly_fields = ("key_hash",)
