"""Worker jobs and sweeps of quality monitoring: alert rules, the monthly report.

The monthly report is due on the 1st of each month (Asia/Shanghai): the hourly sweep enqueues
last month's report once (the dedupe key is the month), so a worker that was down on the 1st
catches up when it comes back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from anxin.worker.api import enqueue, handler, periodic

from .models import MonthlyReport


@periodic("quality.alerts", every_seconds=600)
def sweep_alerts(now: dt.datetime) -> int:
    from .alerts import evaluate

    return len(evaluate(now))


def last_month(now: dt.datetime) -> str:
    first = timezone.localtime(now).date().replace(day=1)
    prev = first - dt.timedelta(days=1)
    return f"{prev:%Y-%m}"


@periodic("quality.monthly_report_schedule", every_seconds=3600)
def schedule_monthly_report(now: dt.datetime) -> int:
    month = last_month(now)
    if MonthlyReport.objects.filter(month=dt.date.fromisoformat(f"{month}-01")).exists():
        return 0
    enqueue("quality.monthly_report", {"month": month}, dedupe_key=f"quality.report:{month}")
    return 1


@handler("quality.monthly_report")
def build_monthly_report(payload: dict[str, Any], job: Any) -> None:
    from .report import store_report

    store_report(payload["month"])
