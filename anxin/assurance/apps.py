from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssuranceConfig(AppConfig):
    name = "anxin.assurance"
    label = "assurance"
    verbose_name = _("Callbacks, audits and improvement")

    def ready(self) -> None:
        from anxin.accounts.roles import CHANGE_ROLES, Role

        from . import sweeps  # noqa: F401  (registers the monthly and quarterly sweeps)
        from .actions import callbacks  # noqa: F401  (listens for delivered work orders)

        callers = frozenset(
            {
                Role.ADMINISTRATOR,
                Role.REGIONAL_MANAGER,
                Role.CUSTOMER_SERVICE,
                Role.SERVICE_ADVISOR,
                Role.QUALITY_AUDITOR,
            }
        )
        quality = frozenset({Role.ADMINISTRATOR, Role.QUALITY_AUDITOR})
        supervisors = frozenset(
            {Role.ADMINISTRATOR, Role.QUALITY_AUDITOR, Role.VOLUNTEER_SUPERVISOR}
        )
        CHANGE_ROLES.update(
            {
                "assurance.callback": callers,
                "assurance.draw": quality | {Role.REGIONAL_MANAGER},
                "assurance.improvementaction": callers,
                "assurance.audit": quality,
                "assurance.auditfinding": quality,
                "assurance.mysteryreport": supervisors,
                "assurance.supervisorreport": supervisors,
                "assurance.scriptquestion": quality,
                "assurance.checklisttemplate": quality,
            }
        )
