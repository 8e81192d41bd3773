"""Choice sets of the feedback loop: statuses are choice sets, never bare strings."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class InviteChannel(models.TextChoices):
    SMS = "sms", _("SMS (fixed link and lookup code)")
    WECHAT = "wechat", _("WeChat (personal link)")
    APP = "app", _("App (personal link)")
    NONE = "none", _("Not sent (no contact or no consent)")


class LowReason(models.TextChoices):
    """Preset reasons a customer can tick for a low score (差评原因)."""

    SLOW_ARRIVAL = "slow_arrival", _("Took too long to arrive")
    LONG_WAIT = "long_wait", _("Waited too long at the outlet")
    RUDE = "rude", _("Staff were impolite or impatient")
    NOT_FIXED = "not_fixed", _("The problem is not fixed")
    RECURRED = "recurred", _("The problem came back")
    PRICE = "price", _("Price higher than quoted or unclear")
    NOT_INFORMED = "not_informed", _("Not kept informed of progress")
    DIRTY = "dirty", _("Vehicle returned dirty or damaged")
    PROCESS = "process", _("Too many steps or paperwork")


class FollowUpState(models.TextChoices):
    OPEN = "open", _("Open")
    CONTACTED = "contacted", _("Customer contacted")
    CLOSED = "closed", _("Closed")


class ComplaintChannel(models.TextChoices):
    HOTLINE = "hotline", _("Hotline (customer service)")
    WEB = "web", _("Web")
    APP = "app", _("App")
    SOCIAL = "social", _("Social media")
    RATING = "rating", _("Low rating follow-up")


class ComplaintClass(models.TextChoices):
    """The three complaint classes of the seeds, technical first (FB-2)."""

    TECHNICAL = "technical", _("Technical problem")
    ATTITUDE = "attitude", _("Service attitude")
    PROCESS = "process", _("Process efficiency")


class ComplaintState(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged (first response)")
    INVESTIGATING = "investigating", _("Investigating")
    ROOT_CAUSE = "root_cause", _("Root cause found")
    SOLUTION_PROPOSED = "solution_proposed", _("Solution proposed")
    CONFIRMED = "confirmed", _("Confirmed by customer")
    CLOSED = "closed", _("Closed")


OPEN_COMPLAINT_STATES = frozenset(
    {
        ComplaintState.RECEIVED,
        ComplaintState.ACKNOWLEDGED,
        ComplaintState.INVESTIGATING,
        ComplaintState.ROOT_CAUSE,
        ComplaintState.SOLUTION_PROPOSED,
    }
)


class ProblemKind(models.TextChoices):
    """What makes two technical complaints "the same problem" (FB-4)."""

    FAULT_CODE = "fault_code", _("Fault code")
    PART = "part", _("Part")
    SYSTEM = "system", _("System")


class VehicleSystem(models.TextChoices):
    BATTERY = "battery", _("Traction battery / charging")
    MOTOR = "motor", _("Electric drive / motor")
    ENGINE = "engine", _("Engine")
    TRANSMISSION = "transmission", _("Transmission")
    BRAKES = "brakes", _("Brakes")
    STEERING = "steering", _("Steering / suspension")
    ELECTRICAL = "electrical", _("Low-voltage electrics / infotainment")
    AIRCON = "aircon", _("Air conditioning")
    BODY = "body", _("Body / paint / seals")
    TYRES = "tyres", _("Tyres / wheels")
    OTHER = "other", _("Other")


class CaseState(models.TextChoices):
    OPEN = "open", _("Open")
    ANALYSING = "analysing", _("Under analysis by R&D")
    CLOSED = "closed", _("Closed")


class Platform(models.TextChoices):
    WEIBO = "weibo", _("Weibo")
    DOUYIN = "douyin", _("Douyin")
    WECHAT = "wechat", _("WeChat")
    XIAOHONGSHU = "xiaohongshu", _("Xiaohongshu")
    AUTOHOME = "autohome", _("Autohome forum")
    DONGCHEDI = "dongchedi", _("Dongchedi")
    OTHER = "other", _("Other")


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    POSITIVE = "positive", _("Positive")
