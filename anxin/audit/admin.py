from django.contrib import admin

from .models import ChangeLogEntry, PersonalDataAccess


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ChangeLogEntry)
class ChangeLogEntryAdmin(ReadOnlyAdmin):
    list_display = ("seq", "at", "actor_label", "action", "model", "object_pk", "object_repr")
    list_filter = ("action", "model")
    search_fields = ("object_pk", "actor_label", "request_id")


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "model", "object_pk", "fields", "purpose")
    list_filter = ("model",)
