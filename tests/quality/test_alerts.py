"""Alert rules as data: control limits for small samples, one firing per breach, review tasks
with owners, deadline clocks and outcomes (KPI-3)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from anxin.accounts.roles import Role
from anxin.commitments.models import Clock
from anxin.notifications.models import Message
from anxin.quality import actions, alerts
from anxin.quality.catalog import INDICATORS
from anxin.quality.models import Alert, AlertRule, ReviewTask, RuleTest
from anxin.quality.rollup import Agg

from ..conftest import make_user
from .helpers import make_units, rescue

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 10, 28, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def rule(**kw):
    defaults = dict(code="r", name="r", indicator="rework_rate", scope="region", test=RuleTest.FUNNEL,
                    threshold=5.0, sigma=2.0, min_sample=20)  # fmt: skip
    defaults.update(kw)
    return AlertRule(**defaults)


def test_a_small_sample_above_the_threshold_stays_inside_the_funnel():
    r, ind = rule(min_sample=5), INDICATORS["rework_rate"]
    # 1 of 8 is 12.5%, but a 5% process gives that by chance: no alarm.
    assert not alerts.judge(r, ind, Agg(n=8, num=1), None).fire
    # 30 of 300 (10%) is far beyond 5% + 2σ for n=300 (≈7.5%).
    verdict = alerts.judge(r, ind, Agg(n=300, num=30), None)
    assert verdict.fire and 7 < verdict.limit < 8


def test_below_the_minimum_sample_nothing_fires_whatever_the_rate():
    assert not alerts.judge(
        rule(min_sample=20), INDICATORS["rework_rate"], Agg(n=19, num=19), None
    ).fire


def test_a_p_chart_flags_a_member_only_against_its_peers():
    r, ind = (
        rule(test=RuleTest.P_CHART, threshold=None, sigma=3.0, min_sample=10),
        INDICATORS["rework_rate"],
    )
    network = Agg(n=1000, num=50)  # 5%
    assert not alerts.judge(r, ind, Agg(n=40, num=4), network).fire  # 10% of 40: within 3σ
    assert alerts.judge(r, ind, Agg(n=200, num=30), network).fire  # 15% of 200: beyond


def test_for_higher_is_better_the_lower_limit_counts():
    r = rule(indicator="rescue_within_15", test=RuleTest.P_CHART, threshold=None, min_sample=10)
    ind, network = INDICATORS["rescue_within_15"], Agg(n=1000, num=800)
    assert alerts.judge(r, ind, Agg(n=100, num=50), network).fire
    assert not alerts.judge(r, ind, Agg(n=100, num=95), network).fire


def test_rules_with_a_wrong_threshold_or_unknown_indicator_are_refused():
    with pytest.raises(ValidationError) as e:
        rule(threshold="5%").full_clean()
    assert "threshold" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        rule(indicator="happiness").full_clean()
    assert "indicator" in e.value.message_dict
    with pytest.raises(ValidationError):
        rule(scope="planet").full_clean()


def test_the_seeds_rules_are_shipped():
    codes = set(AlertRule.objects.values_list("code", flat=True))
    assert {"repair-over-standard", "battery-rework-region"} <= codes
    battery = AlertRule.objects.get(code="battery-rework-region")
    assert (battery.threshold, battery.action, battery.scope) == (
        5.0,
        "investigation",
        "region_fault",
    )


def test_a_slow_unit_opens_one_review_with_an_owner_and_a_deadline(
    admin_user, east, hangzhou, base
):
    manager = make_user("mgr", Role.REGIONAL_MANAGER, east)
    slow, quick1, quick2 = make_units(base, 3)
    start = NOW - dt.timedelta(days=10)
    for i in range(8):
        at = start + dt.timedelta(hours=3 * i)
        rescue(admin_user, east, hangzhou, slow, at, 28)
        rescue(admin_user, east, hangzhou, quick1, at + dt.timedelta(minutes=30), 9)
        rescue(admin_user, east, hangzhou, quick2, at + dt.timedelta(minutes=60), 11)
    r = AlertRule.objects.get(code="response-time-unit")
    r.min_sample = 8
    r.save()
    with time_machine.travel(NOW, tick=False):
        fired = alerts.evaluate(NOW)
        again = alerts.evaluate(NOW + dt.timedelta(hours=1))
    assert [a.key for a in fired] == [str(slow.pk)] and again == []
    alert = Alert.objects.get()
    assert alert.value == 0.0 and alert.n == 8 and alert.region_id == east.pk
    task = ReviewTask.objects.get()
    assert task.owner == manager and task.kind == "review" and task.due_at > NOW
    assert Clock.objects.filter(job_kind="quality_review", job_id=str(task.pk)).exists()
    assert Message.objects.filter(job_ref=f"quality:{task.number}").exists()


def test_closing_a_confirmed_review_needs_its_improvement_action(admin_user, east):
    r = AlertRule.objects.get(code="battery-rework-region")
    alert = Alert.objects.create(
        rule=r, scope="region_fault", key=f"{east.pk}|battery_replacement", period_start=NOW.date(),
        period_end=NOW.date(), value=9.0, n=100, region=east, fired_at=NOW,
    )  # fmt: skip
    task = actions.open_task(alert, at=NOW, title="电池更换返修率")
    assert task.kind == "investigation" and task.due_at is not None
    with pytest.raises(ValidationError):
        actions.close_task(task, actor=admin_user, outcome="confirmed", findings="批次问题")
    task.refresh_from_db()
    assert task.state == "open"
    actions.close_task(
        task, actor=admin_user, outcome="confirmed", findings="批次问题", improvement_ref="IA-7"
    )
    task.refresh_from_db()
    assert (task.state, task.improvement_ref) == ("closed", "IA-7")
    clock = Clock.objects.get(job_kind="quality_review", job_id=str(task.pk))
    assert clock.state == "stopped"
