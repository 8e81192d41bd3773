"""The worker app.

The handler and sweep registries are filled when the apps are ready: every app that has
background work imports its ``handlers`` (or ``tasks``) module in its ``AppConfig.ready``,
so the decorators run in the web process (which only enqueues) and in the worker alike.
"""

from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkerConfig(AppConfig):
    name = "anxin.worker"
    verbose_name = _("Background worker")

    def ready(self) -> None:
        from . import conf

        for module in conf.extra_modules():
            import_module(module)
