from django.db import models
from django.utils.translation import gettext_lazy as _


class JobState(models.TextChoices):
    CREATED = "created", _("Created")
    RETURNED = "returned", _("Sent back for details")
    CHECKED = "checked", _("Checked (first review)")
    DISPATCHED = "dispatched", _("Dispatched")
    ACCEPTED = "accepted", _("Accepted")
    EN_ROUTE = "en_route", _("En route")
    ARRIVED = "arrived", _("Arrived")
    WORKING = "working", _("Working")
    TOWING = "towing", _("Towing")
    COMPLETED = "completed", _("Completed")
    CONFIRMED = "confirmed", _("Confirmed by customer")
    REVIEWED = "reviewed", _("Reviewed (final review)")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATES = frozenset(
    {
        JobState.CREATED,
        JobState.RETURNED,
        JobState.CHECKED,
        JobState.DISPATCHED,
        JobState.ACCEPTED,
        JobState.EN_ROUTE,
        JobState.ARRIVED,
        JobState.WORKING,
        JobState.TOWING,
    }
)
# While a unit holds one of these jobs it is not free for another.
UNIT_BUSY_STATES = frozenset(
    {
        JobState.DISPATCHED,
        JobState.ACCEPTED,
        JobState.EN_ROUTE,
        JobState.ARRIVED,
        JobState.WORKING,
        JobState.TOWING,
    }
)


class FaultType(models.TextChoices):
    BREAKDOWN = "breakdown", _("Breakdown, will not start")
    FLAT_BATTERY = "flat_battery", _("Flat battery")
    TYRE = "tyre", _("Flat tyre")
    ACCIDENT = "accident", _("Accident")
    OUT_OF_FUEL = "out_of_fuel", _("Out of fuel / charge")
    HV_FAULT = "hv_fault", _("High-voltage system fault (EV)")
    STUCK = "stuck", _("Stuck (ditch, mud, snow)")
    LOCKOUT = "lockout", _("Locked out")


class Priority(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    EMERGENCY = "emergency", _("Emergency")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone (dispatcher)")
    APP = "app", _("App")
    WEB = "web", _("Web form")
    PARTNER = "partner", _("Partner channel")


class Need(models.TextChoices):
    TOWING = "towing", _("Towing")
    FLATBED = "flatbed", _("Flatbed")
    HV_CERTIFIED = "hv_certified", _("HV-certified crew")
    JUMP_START = "jump_start", _("Jump start")
    TYRE_CHANGE = "tyre_change", _("Tyre change")
    WINCH = "winch", _("Winch")
    FUEL_DELIVERY = "fuel_delivery", _("Fuel or charge delivery")
