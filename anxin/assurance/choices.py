"""Choice sets of the assurance app: statuses are named here once, never as bare strings."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobKind(models.TextChoices):
    """The kinds of service record a callback or an audit can be about."""

    RESCUE = "rescue", _("Rescue job")
    WORKORDER = "workorder", _("Work order")


class DrawPurpose(models.TextChoices):
    CALLBACK = "callback", _("Manager callbacks (monthly 10%)")
    AUDIT = "audit", _("Internal audit (quarterly 20%)")


class CallbackPurpose(models.TextChoices):
    MANAGER = "manager", _("Manager callback")
    POST_REPAIR = "post_repair", _("Post-repair callback")


class CallbackState(models.TextChoices):
    OPEN = "open", _("To call")
    IN_PROGRESS = "in_progress", _("Tried, not reached yet")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_CALLBACK_STATES = (CallbackState.OPEN, CallbackState.IN_PROGRESS)


class AttemptOutcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy / call back later")
    WRONG_NUMBER = "wrong_number", _("Wrong or dead number")
    REFUSED = "refused", _("Customer declined the call")


class IssueTag(models.TextChoices):
    """The structured side of "issues raised", aligned with the complaint classes (FB-2)."""

    ATTITUDE = "attitude", _("Service attitude")
    TECHNICAL = "technical", _("Technical problem")
    PROCESS = "process", _("Process efficiency")
    PRICE = "price", _("Price / charges")
    WAITING = "waiting", _("Waiting time")
    REWORK = "rework", _("Problem came back")
    ENVIRONMENT = "environment", _("Facilities and cleanliness")
    OTHER = "other", _("Other")


class SourceKind(models.TextChoices):
    """Where an improvement action (整改) came from."""

    COMPLAINT = "complaint", _("Complaint")
    RATING = "rating", _("Low rating")
    FINDING = "finding", _("Audit finding")
    REVIEW = "review", _("Monthly bad-review review")
    CALLBACK = "callback", _("Callback")
    MYSTERY = "mystery", _("Mystery check")


class ActionState(models.TextChoices):
    OPEN = "open", _("Open, to be done")
    IMPLEMENTED = "implemented", _("Implemented, awaiting verification")
    CLOSED = "closed", _("Verified and closed")
    REOPENED = "reopened", _("Reopened (verification failed)")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_ACTION_STATES = (ActionState.OPEN, ActionState.REOPENED, ActionState.IMPLEMENTED)


class VerificationAnswer(models.TextChoices):
    WORKED = "worked", _("Yes, it is better now")
    NOT_WORKED = "not_worked", _("No, the problem remains")
    UNKNOWN = "unknown", _("Customer cannot say")


class AuditState(models.TextChoices):
    OPEN = "open", _("In progress")
    CLOSED = "closed", _("Closed")


class FindingState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed by the automatic check")
    CONFIRMED = "confirmed", _("Confirmed by the auditor")
    OVERRIDDEN = "overridden", _("Overridden by the auditor")


class MysteryKind(models.TextChoices):
    VISIT = "visit", _("Mystery visit")
    COMPLAINT = "complaint", _("Simulated complaint")


class ItemResult(models.TextChoices):
    PASS = "pass", _("Meets the standard")
    FAIL = "fail", _("Falls short")
    NA = "na", _("Not applicable")
