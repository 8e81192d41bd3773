"""Alert rules evaluated against the rollups (KPI-3), with control limits for small samples.

A rule fires for a scope member when its figure for the current month is beyond the limit
its test sets:

* ``threshold``: the figure itself against the threshold (large samples only: ``min_sample``);
* ``funnel``: against the threshold widened by ``sigma`` binomial standard errors for the
  member's sample size, so 1 rework out of 8 (12.5%) does not trip a 5% rule, while 30 of 300
  (10%) does — the funnel plot of the member's rate against the target;
* ``p_chart``: against the network's own rate this month ± ``sigma`` standard errors (a
  p-chart with variable limits), so a member is flagged only when it stands out from its peers;
* ``u_chart``: events per record against the network's rate ± ``sigma`` · √(ū/n) (Poisson);
* ``each``: single records (a repair more than 20% over its standard time).

The alert row's unique key (rule, member, period) is the memory of the breach: a rule never
fires twice for the same member and month, or the same record, whatever the sweep's timing.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .catalog import INDICATORS, MEASURES, Indicator
from .facts import source_available
from .models import Action, Alert, AlertRule, RuleTest
from .rollup import Agg, aggregate_many, value_of

log = logging.getLogger(__name__)


@dataclass
class Verdict:
    fire: bool
    value: float | None
    limit: float | None
    centre: float | None


def judge(rule: AlertRule, ind: Indicator, agg: Agg, centre_agg: Agg | None) -> Verdict:
    """Whether ``agg`` (one member's sums) breaches the rule; pure, so it is tested alone."""
    if agg.n < max(1, rule.min_sample):
        return Verdict(False, None, None, None)
    value, _bound = value_of(ind, agg)
    if value is None:
        return Verdict(False, None, None, None)
    down = ind.direction == "down"
    sign = 1 if down else -1
    limit = centre = None
    if rule.test == RuleTest.THRESHOLD:
        limit = rule.threshold
    elif rule.test == RuleTest.FUNNEL:
        p0 = (rule.threshold or 0) / 100
        se = math.sqrt(max(p0 * (1 - p0), 0) / agg.n)
        limit = 100 * (p0 + sign * rule.sigma * se)
        centre = rule.threshold
    elif rule.test == RuleTest.P_CHART:
        if centre_agg is None or centre_agg.n == 0:
            return Verdict(False, value, None, None)
        p = centre_agg.num / centre_agg.n
        se = math.sqrt(p * (1 - p) / agg.n)
        limit = 100 * (p + sign * rule.sigma * se)
        centre = 100 * p
        if rule.threshold is not None:  # also beyond the target: not just worse than peers
            limit = max(limit, rule.threshold) if down else min(limit, rule.threshold)
    elif rule.test == RuleTest.U_CHART:
        if centre_agg is None or centre_agg.n == 0:
            return Verdict(False, value, None, None)
        u = centre_agg.num / centre_agg.n
        limit = 100 * (u + sign * rule.sigma * math.sqrt(u / agg.n))
        centre = 100 * u
    if limit is None:
        return Verdict(False, value, None, centre)
    fire = value > limit if down else value < limit
    return Verdict(fire, value, limit, centre)


def _region_of(scope: str, key: str) -> int | None:
    from .scopes import member_regions

    return member_regions(scope, [key])[key]


def _label(scope: str, key: str) -> str:
    from .scopes import label_of

    if scope == "region_fault":
        region, _sep, fault = key.partition("|")
        return f"{label_of('region', region)} · {fault}"
    return label_of(scope, key)


def fire(
    rule: AlertRule,
    *,
    scope: str,
    key: str,
    start: dt.date,
    end: dt.date,
    verdict: Verdict,
    n: int,
    now: dt.datetime,
    region_id: int | None = None,
    label: str | None = None,
) -> Alert | None:
    """Store the alert (once: a second firing for the same breach returns None) and act."""
    from . import actions

    label = label or _label(scope, key)
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                rule=rule,
                scope=scope,
                key=key,
                label=label[:200],
                period_start=start,
                period_end=end,
                value=verdict.value,
                n=n,
                limit=verdict.limit,
                centre=verdict.centre,
                region_id=region_id if region_id is not None else _region_of(scope, key),
                fired_at=now,
            )
    except IntegrityError:
        return None
    task = None
    ind = INDICATORS[rule.indicator]
    shown = f"{verdict.value:.1f}{ind.unit}" if verdict.value is not None else "—"
    if rule.action != Action.NOTIFY:
        task = actions.open_task(alert, at=now, title=f"{rule.name}：{label}（{shown}）")
    _notify(rule, alert, task, shown)
    return alert


def _notify(rule: AlertRule, alert: Alert, task: Any, shown: str) -> int:
    from django.db.models import Q

    from anxin.accounts.models import User
    from anxin.accounts.roles import NATIONAL_ROLES
    from anxin.commitments.handlers import staff_contact
    from anxin.notifications.api import notify

    roles = list(rule.notify_roles or [])
    people = User.objects.filter(is_active=True, role__in=roles)
    if alert.region_id is not None:
        people = people.filter(Q(region_id=alert.region_id) | Q(role__in=NATIONAL_ROLES))
    recipients = list(people.order_by("pk"))
    if task is not None and task.owner is not None and task.owner not in recipients:
        recipients.append(task.owner)
    due = (
        timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M") if task and task.due_at else "—"
    )
    sent = 0
    for user in recipients:
        channel, recipient = staff_contact(user)
        try:
            notify(
                job_ref=f"quality:{task.number if task else alert.pk}",
                purpose=f"quality.alert:{alert.pk}:user{user.pk}",
                template="quality.task_opened",
                recipient=recipient,
                channel=channel,
                context={
                    "rule": rule.name,
                    "scope": alert.label,
                    "value": shown,
                    "kind": task.get_kind_display() if task else _("alert"),
                    "number": task.number if task else "",
                    "due": due,
                },
            )
            sent += 1
        except LookupError:
            log.warning("no quality.task_opened template for %s", channel)
    return sent


def evaluate(now: dt.datetime | None = None, *, rules: Any = None) -> list[Alert]:
    """Run every active aggregate rule over the current month; returns the new alerts."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    start = today.replace(day=1)
    fired: list[Alert] = []
    query = rules if rules is not None else AlertRule.objects.filter(active=True)
    for rule in query.exclude(test=RuleTest.EACH).order_by("pk"):
        ind = INDICATORS.get(rule.indicator)
        if ind is None or ind.measure is None:
            continue
        measure = MEASURES[ind.measure]
        if not source_available(measure.source) or rule.scope not in measure.scopes:
            continue
        sums = aggregate_many([measure.code], rule.scope, None, start, today)
        members = {k: a for (_m, k), a in sums.items()}
        if rule.filter_fault:
            if rule.scope == "region_fault":
                members = {k: a for k, a in members.items() if k.endswith(f"|{rule.filter_fault}")}
            elif rule.scope == "fault":
                members = {k: a for k, a in members.items() if k == rule.filter_fault}
        centre = Agg()
        for a in members.values():
            centre.add(a.n, a.num, a.total, {})
        for key, agg in sorted(members.items()):
            verdict = judge(rule, ind, agg, centre)
            if verdict.fire:
                alert = fire(
                    rule, scope=rule.scope, key=key, start=start, end=today, verdict=verdict,
                    n=agg.n, now=now,
                )  # fmt: skip
                if alert is not None:
                    fired.append(alert)
    return fired


# Per-record checks of "each" rules: (source, indicator) -> fn(pk) returning
# (value: percent over the standard, label of the record, region id, day) or None.
RecordCheck = Callable[[int], tuple[float, str, int | None, dt.date] | None]
RECORD_CHECKS: dict[tuple[str, str], RecordCheck] = {}


def check_record(source: str, pk: int, now: dt.datetime | None = None) -> list[Alert]:
    """Apply the ``each`` rules of this record's source (called as the record changes)."""
    fired: list[Alert] = []
    rules = AlertRule.objects.filter(active=True, test=RuleTest.EACH)
    for rule in rules:
        check = RECORD_CHECKS.get((source, rule.indicator))
        if check is None:
            continue
        result = check(pk)
        if result is None:
            continue
        value, label, region_id, day = result
        if rule.threshold is None or value <= rule.threshold:
            continue
        # One alert per record, ever: a repair finished again on another day is the same breach.
        if Alert.objects.filter(rule=rule, scope=source, key=str(pk)).exists():
            continue
        verdict = Verdict(True, value, rule.threshold, None)
        alert = fire(
            rule, scope=source, key=str(pk), start=day, end=day, verdict=verdict, n=1,
            now=now or timezone.now(), region_id=region_id, label=label,
        )  # fmt: skip
        if alert is not None:
            fired.append(alert)
    return fired
