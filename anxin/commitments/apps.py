from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommitmentsConfig(AppConfig):
    """Service commitments (服务承诺): calendars, commitments as data, clocks on jobs."""

    name = "anxin.commitments"
    verbose_name = _("Service commitments")

    def ready(self) -> None:
        # Registers the sweep with the worker.
        from . import handlers  # noqa: F401
