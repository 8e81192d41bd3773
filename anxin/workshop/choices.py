"""The vocabularies of the workshop: states, job types, vehicle systems, inspection stages."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppointmentState(models.TextChoices):
    BOOKED = "booked", _("Booked, awaiting outlet response")
    CONFIRMED = "confirmed", _("Confirmed")
    PROPOSED = "proposed", _("Another slot proposed")
    DECLINED = "declined", _("Declined by outlet")
    ARRIVED = "arrived", _("Arrived (work order opened)")
    NO_SHOW = "no_show", _("No show")
    CANCELLED = "cancelled", _("Cancelled")


# An appointment in these states holds a place in its outlet's slot.
APPOINTMENT_HOLDING_STATES = frozenset(
    {AppointmentState.BOOKED, AppointmentState.CONFIRMED, AppointmentState.PROPOSED}
)
APPOINTMENT_OPEN_STATES = frozenset(
    {
        AppointmentState.BOOKED,
        AppointmentState.CONFIRMED,
        AppointmentState.PROPOSED,
        AppointmentState.DECLINED,
    }
)


class AppointmentChannel(models.TextChoices):
    WEB = "web", _("Online (public page)")
    APP = "app", _("App / API")
    PHONE = "phone", _("Phone (advisor)")
    WALK_IN = "walk_in", _("Walk-in")


class ResponseKind(models.TextChoices):
    CONFIRM = "confirm", _("Confirm")
    PROPOSE = "propose", _("Propose another slot")
    DECLINE = "decline", _("Decline")


class WorkOrderState(models.TextChoices):
    RECEPTION = "reception", _("Reception")
    DIAGNOSIS = "diagnosis", _("Diagnosis")
    QUOTATION = "quotation", _("Quotation")
    APPROVAL = "approval", _("Awaiting customer approval")
    APPROVED = "approved", _("Approved, awaiting work")
    IN_WORK = "in_work", _("In work")
    QUALITY_CHECK = "quality_check", _("Quality check")
    READY = "ready", _("Ready for delivery")
    DELIVERED = "delivered", _("Delivered")
    SETTLED = "settled", _("Settled")
    CANCELLED = "cancelled", _("Cancelled")


WORK_ORDER_OPEN_STATES = frozenset(
    {
        WorkOrderState.RECEPTION,
        WorkOrderState.DIAGNOSIS,
        WorkOrderState.QUOTATION,
        WorkOrderState.APPROVAL,
        WorkOrderState.APPROVED,
        WorkOrderState.IN_WORK,
        WorkOrderState.QUALITY_CHECK,
        WorkOrderState.READY,
    }
)
# Lines (labour, parts) may be added or removed only while the quote is being made.
LINE_EDIT_STATES = frozenset(
    {WorkOrderState.RECEPTION, WorkOrderState.DIAGNOSIS, WorkOrderState.QUOTATION}
)
# The vehicle is in the workshop (counts towards 三包 repair days).
IN_SHOP_STATES = WORK_ORDER_OPEN_STATES


class JobType(models.TextChoices):
    MAINTENANCE = "maintenance", _("Routine maintenance")
    FAULT_REPAIR = "fault_repair", _("Fault repair")
    PARTS_REPLACEMENT = "parts_replacement", _("Parts replacement")
    INSPECTION = "inspection", _("Inspection")
    WARRANTY_REPAIR = "warranty_repair", _("Warranty repair")
    ACCIDENT_REPAIR = "accident_repair", _("Accident repair")


class InspectionKind(models.TextChoices):
    SAFETY = "safety", _("Safety inspection")
    EMISSIONS = "emissions", _("Emissions inspection")
    PERFORMANCE = "performance", _("Overall performance inspection")


class WarrantyCover(models.TextChoices):
    FREE = "free", _("Free (under warranty)")
    PAID = "paid", _("Paid")


class ChargeTo(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    WARRANTY = "warranty", _("Warranty (manufacturer)")
    CONTRACT = "contract", _("Fleet contract")


class ApprovalVia(models.TextChoices):
    LINK = "link", _("Personal link")
    IN_PERSON = "in_person", _("In person")


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Bank card")
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    CONTRACT = "contract", _("Fleet contract account")
    WARRANTY = "warranty", _("Warranty claim (no charge)")


class VehicleSystem(models.TextChoices):
    """The vehicle system a line works on: the unit of rework and 三包 repair counting."""

    ENGINE = "engine", _("Engine")
    TRANSMISSION = "transmission", _("Transmission")
    BRAKES = "brakes", _("Brakes")
    STEERING = "steering", _("Steering")
    SUSPENSION = "suspension", _("Suspension and axles")
    ELECTRICAL = "electrical", _("Low-voltage electrical")
    HV_BATTERY = "hv_battery", _("Traction battery")
    DRIVE_MOTOR = "drive_motor", _("Drive motor and controller")
    CHARGING = "charging", _("Charging system")
    AIR_CONDITIONING = "air_conditioning", _("Air conditioning")
    BODY = "body", _("Body and paint")
    TYRES = "tyres", _("Tyres and wheels")
    LUBRICATION = "lubrication", _("Oil and filters (maintenance)")
    GENERAL = "general", _("General")


# Serious faults in the sense of the household-vehicle warranty rules (三包): the main parts
# of engine, transmission, steering, brakes, suspension/axles, body; for new-energy vehicles
# the traction battery, drive motor and its controller.
SERIOUS_SYSTEMS = frozenset(
    {
        VehicleSystem.ENGINE,
        VehicleSystem.TRANSMISSION,
        VehicleSystem.STEERING,
        VehicleSystem.BRAKES,
        VehicleSystem.SUSPENSION,
        VehicleSystem.HV_BATTERY,
        VehicleSystem.DRIVE_MOTOR,
    }
)
# Systems that do not make a return visit a rework (a second oil change is not a rework).
NOT_REWORK_SYSTEMS = frozenset({VehicleSystem.LUBRICATION, VehicleSystem.GENERAL})


class Capability(models.TextChoices):
    """What an outlet must be able to do for a job (NET-1), read from ``network.Outlet``."""

    EV_HIGH_VOLTAGE = "ev_high_voltage", _("EV high-voltage repair")
    DIAG_800V = "diag_800v", _("800V diagnostics")
    BODY_SHOP = "body_shop", _("Body shop")


class InspectionStage(models.TextChoices):
    ENTRY = "entry", _("Entry inspection")
    IN_PROCESS = "in_process", _("In-process inspection")
    COMPLETION = "completion", _("Completion inspection")


class ItemKind(models.TextChoices):
    CHECK = "check", _("Check (OK / not OK)")
    NUMBER = "number", _("Number")
    TEXT = "text", _("Text")
    PHOTO = "photo", _("Photo only")


class ExpertState(models.TextChoices):
    OPEN = "open", _("Waiting for an expert")
    ANSWERED = "answered", _("Answered")
    RESOLVED = "resolved", _("Resolved")
    CANCELLED = "cancelled", _("Cancelled")


class WarningKind(models.TextChoices):
    REPAIR_DAYS = "repair_days", _("Cumulative repair days")
    SAME_FAULT = "same_fault", _("Repeated repairs of the same serious fault")
