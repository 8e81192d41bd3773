"""The demo city's assurance history: last month's manager-callback draw per region with
results, improvement actions in every state, a volunteer supervisor with mystery checks.

Runs after the rescue history; uses the action functions (as the worker would on the 1st),
dated at the demo's ``as_of``, with seeds from the demo's random source: the same seed gives
the same draw, the same calls and the same answers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.hashers import make_password

from anxin.accounts.models import User
from anxin.accounts.roles import Role
from anxin.demo import catalog
from anxin.demo.context import Demo, persist

from . import periods
from .actions import callbacks as cb_actions
from .actions import improvements as imp
from .actions import mystery
from .actions.draws import draw_callbacks
from .choices import CallbackPurpose, IssueTag
from .models import Callback, ChecklistTemplate

COMPLAINTS = ["等待时间太长，没人告知进度", "救援人员态度一般", "拖车到店后没人接待"]


def build_assurance(demo: Demo) -> None:
    at = demo.as_of
    rng = demo.rng
    users = {
        u.username: u for u in User.objects.filter(username__in=["manager", "auditor", "advisor"])
    }
    manager, auditor = users.get("manager"), users.get("auditor")
    if manager is None or auditor is None:
        return
    supervisor = persist(
        demo,
        [
            User(
                username="supervisor",
                password=make_password(catalog.DEMO_PASSWORD),
                role=Role.VOLUNTEER_SUPERVISOR,
                region=manager.region,
                last_name="周",
                first_name="建国",
                email="supervisor@demo.anxin.invalid",
                date_joined=at - dt.timedelta(days=56),
            )
        ],
    )[0]
    month = periods.previous_month(at)
    for region in sorted(demo.regions.values(), key=lambda r: r.code):
        draw_callbacks(region, month, seed=rng.randrange(2**31), at=at)
    east_calls = list(
        Callback.objects.filter(purpose=CallbackPurpose.MANAGER, region=manager.region).order_by(
            "pk"
        )
    )
    unhappy: list[Callback] = []
    # Two thirds are called within the first days; the rest stay on the worklist.
    for n, cb in enumerate(east_calls[: len(east_calls) * 2 // 3]):
        when = at + dt.timedelta(hours=1 + n)
        if rng.random() < 0.15:
            for k in range(cb_actions.MIN_ATTEMPTS_UNREACHED - 1):
                cb = cb_actions.record_attempt(
                    cb, actor=manager, outcome="no_answer", at=when + dt.timedelta(minutes=k)
                )
            cb_actions.complete(cb, actor=manager, reached=False, at=when + dt.timedelta(hours=2))
            continue
        satisfied = rng.random() < 0.85
        answers: dict[str, Any] = {"overall": rng.randint(4, 5) if satisfied else rng.randint(1, 3)}
        if cb.job_kind == "rescue":
            answers["arrived_on_time"] = satisfied or rng.random() < 0.5
        else:
            answers["fixed_first_time"] = satisfied
        cb = cb_actions.complete(
            cb,
            actor=manager,
            reached=True,
            satisfied=satisfied,
            at=when,
            answers=answers,
            issues="" if satisfied else rng.choice(COMPLAINTS),
            issue_tags=[] if satisfied else [rng.choice([IssueTag.WAITING, IssueTag.ATTITUDE])],
        )
        if not satisfied:
            unhappy.append(cb)
    advisor = users.get("advisor")
    for n, cb in enumerate(unhappy[:2]):
        owner = advisor if advisor is not None and advisor.region_id == cb.region_id else manager
        action = imp.create_action(
            actor=auditor,
            source_kind="callback",
            source_id=str(cb.pk),
            title=cb.issues or "回访不满意",
            owner=owner,
            due_date=demo.today + dt.timedelta(days=14),
            change_plan="每 30 分钟主动告知客户进度；班前会强调服务用语",
            success_measure="下月回访同一服务点客户：无同类抱怨",
            at=at + dt.timedelta(hours=30),
        )
        if n == 0:
            imp.perform(
                action,
                "implement",
                actor=owner,
                note="已在班前会培训并张贴提示",
                at=at + dt.timedelta(hours=40),
            )
    # The bad-review review of two months ago left an action that is now overdue.
    earlier = at - dt.timedelta(days=25)
    imp.create_action(
        actor=auditor,
        source_kind="review",
        source_id=periods.previous_month(earlier),
        title="差评集中：交车时未讲解维修内容",
        owner=manager,
        region=manager.region,
        due_date=(earlier + dt.timedelta(days=20)).date(),
        change_plan="交车时按电子工单逐项讲解，并请客户签字确认",
        success_measure="回访“维修内容是否说明”满意率达到 95%",
        at=earlier,
    )
    visit = ChecklistTemplate.objects.filter(code="visit-outlet").first()
    outlets = sorted(
        (o for o in demo.outlets.values() if o.region_id == supervisor.region_id),
        key=lambda o: o.code,
    )
    if visit is not None and outlets:
        for k in range(3):
            results = {i["code"]: "fail" if rng.random() < 0.15 else "pass" for i in visit.items}
            mystery.file_report(
                actor=supervisor,
                template=visit,
                results=results,
                outlet=outlets[k % len(outlets)],
                summary="报价单未经客户签字即开始施工" if "fail" in results.values() else "",
                visited_at=at - dt.timedelta(days=5 + 7 * k),
                channel="到店",
                at=at,
            )
    mystery.ensure_quarter_reports(periods.quarter_of(at))
