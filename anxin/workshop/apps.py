from importlib.util import find_spec

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkshopConfig(AppConfig):
    name = "anxin.workshop"
    label = "workshop"
    verbose_name = _("Workshop")

    def ready(self) -> None:
        from anxin.accounts.roles import CHANGE_ROLES, Role

        from . import warranty  # noqa: F401  (registers the 三包 sweep with the worker)

        if find_spec("anxin.workshop.eorder") is not None:
            from . import eorder  # noqa: F401  (registers the e-work-order PDF handler)

        desk = frozenset({Role.ADMINISTRATOR, Role.SERVICE_ADVISOR})
        workshop = desk | {Role.TECHNICIAN}
        CHANGE_ROLES.update(
            {
                # Work orders and appointments change only through the action functions,
                # which check the transition tables; this list governs who reaches them.
                "workshop.appointment": desk | {Role.REGIONAL_MANAGER, Role.CUSTOMER_SERVICE},
                "workshop.workorder": workshop | {Role.REGIONAL_MANAGER},
                "workshop.labourline": workshop,
                "workshop.partline": workshop,
                "workshop.inspection": workshop,
                "workshop.inspectionphoto": workshop,
                "workshop.hvsafetycheck": workshop,
                "workshop.expertrequest": workshop | {Role.TECHNICAL_EXPERT},
                "workshop.expertmessage": workshop | {Role.TECHNICAL_EXPERT},
                "workshop.expertphoto": workshop | {Role.TECHNICAL_EXPERT},
                "workshop.warrantywarning": frozenset(
                    {Role.ADMINISTRATOR, Role.REGIONAL_MANAGER, Role.SERVICE_ADVISOR}
                ),
                "workshop.part": frozenset({Role.ADMINISTRATOR}),
                "workshop.labouroperation": frozenset({Role.ADMINISTRATOR}),
                "workshop.supplier": frozenset({Role.ADMINISTRATOR}),
                "workshop.checklisttemplate": frozenset({Role.ADMINISTRATOR}),
                "workshop.workshoppolicy": frozenset({Role.ADMINISTRATOR}),
            }
        )
