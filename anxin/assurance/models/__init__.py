from .audits import Audit, AuditFinding, AuditRecord
from .callbacks import Callback, CallbackAttempt, ScriptQuestion
from .draws import Draw
from .improvements import ImprovementAction, ImprovementTransition, Verification
from .mystery import ChecklistTemplate, MysteryReport, SupervisorReport

__all__ = [
    "Audit",
    "AuditFinding",
    "AuditRecord",
    "Callback",
    "CallbackAttempt",
    "ChecklistTemplate",
    "Draw",
    "ImprovementAction",
    "ImprovementTransition",
    "MysteryReport",
    "ScriptQuestion",
    "SupervisorReport",
    "Verification",
]
