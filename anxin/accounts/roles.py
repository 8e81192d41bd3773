"""The roles of the product (SEC-1) and what each may see and change."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DISPATCHER = "dispatcher", _("Dispatcher")
    TECHNICIAN = "technician", _("Rescue driver / technician")
    SERVICE_ADVISOR = "service_advisor", _("Service advisor")
    REGIONAL_MANAGER = "regional_manager", _("Regional manager")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    QUALITY_AUDITOR = "quality_auditor", _("Quality auditor")
    EMERGENCY_COMMANDER = "emergency_commander", _("Emergency commander")
    ADMINISTRATOR = "administrator", _("Administrator")
    TECHNICAL_EXPERT = "technical_expert", _("Technical expert (remote support)")
    VOLUNTEER_SUPERVISOR = "volunteer_supervisor", _("Volunteer supervisor / third-party auditor")


# Roles whose work spans the whole network; the others see their own region only.
NATIONAL_ROLES = frozenset(
    {Role.QUALITY_AUDITOR, Role.EMERGENCY_COMMANDER, Role.ADMINISTRATOR, Role.CUSTOMER_SERVICE}
)

# Roles that need a customer's full phone number and name for their work (calling the
# customer back, dispatching to them). Every full view is still logged.
PII_ROLES = frozenset(
    {Role.DISPATCHER, Role.CUSTOMER_SERVICE, Role.SERVICE_ADVISOR, Role.ADMINISTRATOR}
)

# Which roles may change which master data (model label -> roles). Reads are governed by
# region scope; writes additionally need the role to be listed here. Feature apps add their
# own models' entries from their AppConfig.ready() (``CHANGE_ROLES.update(...)``).
CHANGE_ROLES: dict[str, frozenset[str]] = {
    "network.region": frozenset({Role.ADMINISTRATOR}),
    "network.city": frozenset({Role.ADMINISTRATOR}),
    "network.outlet": frozenset({Role.ADMINISTRATOR, Role.REGIONAL_MANAGER}),
    "network.outletqualification": frozenset({Role.ADMINISTRATOR, Role.REGIONAL_MANAGER}),
    "network.rescuebase": frozenset({Role.ADMINISTRATOR, Role.REGIONAL_MANAGER}),
    "network.rescueunit": frozenset({Role.ADMINISTRATOR, Role.REGIONAL_MANAGER, Role.DISPATCHER}),
    "people.staff": frozenset({Role.ADMINISTRATOR, Role.REGIONAL_MANAGER}),
    "people.certification": frozenset({Role.ADMINISTRATOR, Role.REGIONAL_MANAGER}),
    "customers.customer": frozenset(
        {Role.ADMINISTRATOR, Role.CUSTOMER_SERVICE, Role.DISPATCHER, Role.SERVICE_ADVISOR}
    ),
    "customers.consent": frozenset({Role.ADMINISTRATOR, Role.CUSTOMER_SERVICE}),
    "customers.fleetcustomer": frozenset({Role.ADMINISTRATOR, Role.REGIONAL_MANAGER}),
    "customers.repaircontract": frozenset({Role.ADMINISTRATOR, Role.REGIONAL_MANAGER}),
    "customers.vehicle": frozenset(
        {Role.ADMINISTRATOR, Role.CUSTOMER_SERVICE, Role.DISPATCHER, Role.SERVICE_ADVISOR}
    ),
    "network.unitdailycheck": frozenset(
        {Role.ADMINISTRATOR, Role.TECHNICIAN, Role.REGIONAL_MANAGER}
    ),
    "network.unitposition": frozenset({Role.ADMINISTRATOR, Role.TECHNICIAN, Role.DISPATCHER}),
    # Rescue jobs change only through the action functions, which check the transition table;
    # this list governs who reaches them at all.
    "rescue.rescuejob": frozenset(
        {
            Role.ADMINISTRATOR,
            Role.DISPATCHER,
            Role.TECHNICIAN,
            Role.REGIONAL_MANAGER,
            Role.CUSTOMER_SERVICE,
        }
    ),
}
