from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "anxin.quality"
    label = "quality"
    verbose_name = _("Quality monitoring")

    def ready(self) -> None:
        from anxin.accounts.roles import CHANGE_ROLES, Role

        from . import handlers, signals, sources  # noqa: F401  (receivers, worker jobs, sources)

        managers = frozenset({Role.ADMINISTRATOR, Role.QUALITY_AUDITOR, Role.REGIONAL_MANAGER})
        CHANGE_ROLES.update(
            {
                "quality.alertrule": frozenset({Role.ADMINISTRATOR, Role.QUALITY_AUDITOR}),
                "quality.reviewtask": managers,
                "quality.scoreentry": managers,
                "quality.monthlyreport": frozenset({Role.ADMINISTRATOR, Role.QUALITY_AUDITOR}),
            }
        )
