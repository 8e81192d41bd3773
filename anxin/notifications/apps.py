from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "anxin.notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Registers the worker's "notifications.send" handler (see anxin.worker.apps).
        from . import handlers  # noqa: F401
