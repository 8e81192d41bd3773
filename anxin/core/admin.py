"""The admin base class: its lists pass through the same permission filter as the pages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from anxin.accounts.permissions import may_change, restrict


class RestrictedAdmin(admin.ModelAdmin):
    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return restrict(super().get_queryset(request), request.user, "view")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and may_change(request.user, self.model)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and may_change(request.user, self.model)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and may_change(request.user, self.model)
