"""The demo city's quality step: rollups rebuilt from the history, the month's alert rules run.

The history steps write rows in bulk, without the signals that keep the rollups current, so
the rollups are computed here once from the records — the same rebuild ``anxin kpi rebuild``
runs — and the alert rules are evaluated as of the demo's moment.
"""

from __future__ import annotations

from typing import Any

from . import alerts, rollup


def build_quality(demo: Any) -> None:
    counts = rollup.rebuild()
    demo.counts["quality.fact"] += counts["facts"]
    demo.counts["quality.cell"] += counts["cells"]
    demo.counts["quality.alert"] += len(alerts.evaluate(demo.as_of))
