from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    TOW_TRUCK = "tow_truck", _("Tow truck")
    FLATBED = "flatbed", _("Flatbed")
    SERVICE_VAN = "service_van", _("Service van")


class UnitStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    ASSIGNED = "assigned", _("Assigned")
    BUSY = "busy", _("On a job")
    RETURNING = "returning", _("Returning")
    OFF_DUTY = "off_duty", _("Off duty")
    MAINTENANCE = "maintenance", _("In maintenance")


class UnitCapability(models.TextChoices):
    TOWING = "towing", _("Towing")
    FLATBED_TRANSPORT = "flatbed_transport", _("Flatbed transport (EVs)")
    JUMP_START = "jump_start", _("Jump start")
    TYRE_CHANGE = "tyre_change", _("Tyre change")
    WINCH = "winch", _("Winch recovery")
    FUEL_DELIVERY = "fuel_delivery", _("Fuel delivery")
    EV_HV_KIT = "ev_hv_kit", _("EV high-voltage kit")
    MOBILE_CHARGING = "mobile_charging", _("Mobile charging")
    DIAGNOSIS = "diagnosis", _("On-site diagnosis")


class AreaType(models.TextChoices):
    URBAN = "urban", _("Urban")
    REMOTE = "remote", _("Remote")
