from .evidence import (
    REQUIRED_CHECKLIST,
    ChecklistItem,
    ComplianceReview,
    ConfirmationForm,
    FinalReview,
    JobChecklistTick,
    JobNote,
    JobPhoto,
)
from .jobs import JobTransition, RescueJob, new_tracking_token

__all__ = [
    "REQUIRED_CHECKLIST",
    "ChecklistItem",
    "ComplianceReview",
    "ConfirmationForm",
    "FinalReview",
    "JobChecklistTick",
    "JobNote",
    "JobPhoto",
    "JobTransition",
    "RescueJob",
    "new_tracking_token",
]
