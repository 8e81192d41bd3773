"""The worker's calendar duties: the month's callback draw on the 1st, the quarter's audit
draw and the supervisors' report due dates when a quarter starts (Asia/Shanghai).

The sweep runs hourly and asks "is last month drawn for every region?" rather than "is it
the 1st?": a worker that was down on the 1st catches up, and a draw never happens twice.
"""

from __future__ import annotations

import datetime as dt
import logging

from anxin.network.models import Region
from anxin.worker.api import periodic

from . import periods
from .choices import DrawPurpose
from .models import Draw

log = logging.getLogger(__name__)


@periodic("assurance.calendar", every_seconds=3600)
def calendar_sweep(now: dt.datetime) -> int:
    from .actions.audits import draw_audit
    from .actions.draws import draw_callbacks
    from .actions.mystery import ensure_quarter_reports

    month = periods.previous_month(now)
    quarter = periods.previous_quarter(now)
    done = 0
    for region in Region.objects.order_by("code"):
        if not Draw.objects.filter(
            purpose=DrawPurpose.CALLBACK, region=region, period=month
        ).exists():
            draw_callbacks(region, month, at=now)
            done += 1
        if not Draw.objects.filter(
            purpose=DrawPurpose.AUDIT, region=region, period=quarter
        ).exists():
            draw_audit(region, quarter, at=now)
            done += 1
    done += ensure_quarter_reports(periods.quarter_of(now))
    return done
