from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "anxin.feedback"
    label = "feedback"
    verbose_name = _("Customer feedback")

    def ready(self) -> None:
        from anxin.accounts.roles import CHANGE_ROLES, Role

        from .ratings import connect

        desk = frozenset({Role.ADMINISTRATOR, Role.CUSTOMER_SERVICE, Role.REGIONAL_MANAGER})
        CHANGE_ROLES.update(
            {
                # Complaints change only through the action functions (transition table).
                "feedback.complaint": desk,
                "feedback.followup": frozenset({Role.ADMINISTRATOR, Role.CUSTOMER_SERVICE}),
                "feedback.socialpost": frozenset(
                    {Role.ADMINISTRATOR, Role.CUSTOMER_SERVICE, Role.QUALITY_AUDITOR}
                ),
                "feedback.socialimport": frozenset(
                    {Role.ADMINISTRATOR, Role.CUSTOMER_SERVICE, Role.QUALITY_AUDITOR}
                ),
                "feedback.engineeringcase": frozenset(
                    {Role.ADMINISTRATOR, Role.QUALITY_AUDITOR, Role.TECHNICAL_EXPERT}
                ),
            }
        )
        connect()
