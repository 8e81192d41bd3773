"""The policies the simulator can run, composed from the production dispatch engine.

Each is a production :class:`~anxin.dispatching.Policy` from ``anxin.dispatching.POLICIES``,
optionally with the production relocation planner
(:class:`~anxin.dispatching.relocation.ExpectedCoverage`) moving idle units between decisions.
Nothing here decides who goes where: it only names the combinations.
"""

from __future__ import annotations

from dataclasses import dataclass

from anxin.dispatching import POLICIES, Area, Point, Policy
from anxin.dispatching.relocation import DemandZone, ExpectedCoverage

from .scenario import Scenario


@dataclass(frozen=True, slots=True)
class SimPolicy:
    """A named way to run the desk: a production dispatch policy, and whether units move up."""

    name: str
    dispatch: str
    relocate: bool
    description: str

    @property
    def dispatcher(self) -> Policy:
        """The production policy object this simulated desk calls."""
        return POLICIES[self.dispatch]


_DESCRIPTIONS = {
    "nearest-idle": "baseline: the straight-line nearest idle unit, first come first served",
    "best-eta": "earliest arrival per request, units finishing a job nearby included",
    "joint-eta": "waiting requests assigned together, least total ETA (DSP-5)",
}

#: Every simulated policy by name, in the order reports list them.
SIM_POLICIES: dict[str, SimPolicy] = {
    name: SimPolicy(name, name, False, _DESCRIPTIONS.get(name, name)) for name in POLICIES
}
for _base in ("best-eta", "joint-eta"):
    if _base in POLICIES:
        SIM_POLICIES[f"{_base}+relocate"] = SimPolicy(
            f"{_base}+relocate",
            _base,
            True,
            f"{_base}, and idle units moved to cover uncovered zones (expected coverage)",
        )

BASELINE = "nearest-idle"
#: The product's best on the scenarios measured in docs/benchmarks.md ("Simulator").
DEFAULT_POLICY = "best-eta"


def resolve(name: str) -> SimPolicy:
    """The policy called ``name``, or a ``KeyError`` listing the known ones."""
    try:
        return SIM_POLICIES[name]
    except KeyError:
        known = ", ".join(SIM_POLICIES)
        raise KeyError(f"unknown policy {name!r} (known: {known})") from None


def relocator_for(scenario: Scenario, *, threshold_s: float = 900.0) -> ExpectedCoverage:
    """The relocation planner for a scenario: its zones as demand, its bases as standby posts.

    Bases only (not zone centres), a gain of at least 5 % of demand and moves of at most
    15 minutes: on the Hangzhou scenarios looser settings moved units so often that the time
    spent driving between posts cost more response than the coverage won (docs/simulation.md).
    """
    zones = [
        DemandZone(z.id, z.point, z.weight, Area.REMOTE if z.remote else Area.URBAN)
        for z in scenario.zones
    ]
    posts: list[Point] = list(dict.fromkeys(u.base for u in scenario.units))
    return ExpectedCoverage(zones, posts, threshold_s=threshold_s, min_gain=0.05, max_move_s=900.0)
