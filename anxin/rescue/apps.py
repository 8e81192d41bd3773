from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RescueConfig(AppConfig):
    name = "anxin.rescue"
    verbose_name = _("Road rescue")

    def ready(self) -> None:
        from anxin.commitments.handlers import register_customer_contact

        from . import peak  # noqa: F401  (registers the peak-mode planner with the worker)
        from .contact import rescue_customer

        register_customer_contact("rescue", rescue_customer)
