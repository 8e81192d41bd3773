from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "anxin.audit"
    verbose_name = _("Change log and personal-data access")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the change-log receivers)
