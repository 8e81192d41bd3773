"""The dispatch engine: plain Python, no Django (enforced by import-linter).

Inputs are typed requests and fleet snapshots; outputs are ranked proposals with reasons.
The Django apps adapt the database to it; the simulator calls the same code.
"""

from .domain import (
    Area,
    AssignedPair,
    Assignment,
    CrewMember,
    DailyCheck,
    Id,
    Need,
    Point,
    Powertrain,
    Proposal,
    ProposalResult,
    Rejection,
    RescueRequest,
    Skill,
    UnitKind,
    UnitSnapshot,
    UnitStatus,
)
from .engine import Rejections, propose
from .explain import Reason
from .index import FleetIndex
from .joint import assign_jointly
from .live import LiveFleet
from .policies import POLICIES, BestEta, JointEta, NearestIdle, Policy
from .rules import RULES, RuleContext, RuleResult, RuleSpec
from .travel import HaversineModel, OsrmTableProvider, TravelTimeProvider

__all__ = [
    "POLICIES",
    "RULES",
    "Area",
    "AssignedPair",
    "Assignment",
    "BestEta",
    "CrewMember",
    "DailyCheck",
    "FleetIndex",
    "HaversineModel",
    "Id",
    "JointEta",
    "LiveFleet",
    "NearestIdle",
    "Need",
    "OsrmTableProvider",
    "Point",
    "Policy",
    "Powertrain",
    "Proposal",
    "ProposalResult",
    "Reason",
    "Rejection",
    "Rejections",
    "RescueRequest",
    "RuleContext",
    "RuleResult",
    "RuleSpec",
    "Skill",
    "TravelTimeProvider",
    "UnitKind",
    "UnitSnapshot",
    "UnitStatus",
    "assign_jointly",
    "propose",
]
