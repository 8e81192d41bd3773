"""Improvement actions (整改, FB-5/FB-6): opened from a complaint, rating, finding or review,
verified at the next month's callbacks, closed only when the customer says it worked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from anxin.accounts.roles import Role
from anxin.api.base import Conflict
from anxin.assurance.actions import callbacks as cb_actions
from anxin.assurance.actions import improvements as imp
from anxin.assurance.actions.draws import draw_callbacks
from anxin.assurance.choices import ActionState
from anxin.assurance.models import Callback, ImprovementAction, ImprovementTransition
from anxin.feedback import actions as feedback_actions
from anxin.feedback import jobs as feedback_jobs
from anxin.notifications.models import Message
from tests.conftest import make_user

from .conftest import at, delivered_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(outlet):
    return delivered_order(outlet, at(2026, 11, 2))


@pytest.fixture
def complaint(order, service):
    return feedback_actions.create_complaint(
        actor=service,
        channel="hotline",
        text="保养后车辆仍有异响，服务站说是正常现象",
        job=feedback_jobs.info("workorder", order),
        category="technical",
        at=at(2026, 11, 5),
    )


@pytest.fixture
def owner(east, outlet):
    return make_user(
        "advisor_hz", Role.SERVICE_ADVISOR, east, outlet=outlet, email="adv@example.cn"
    )


def new_action(actor, owner, complaint, **kw):
    fields = dict(
        actor=actor,
        source_kind="complaint",
        source_id=str(complaint.pk),
        title="保养后异响未排查",
        owner=owner,
        due_date=dt.date(2026, 11, 30),
        change_plan="交车前增加路试，异响必须查明原因",
        success_measure="下月回访客户确认无异响",
        at=at(2026, 11, 6),
    )
    fields.update(kw)
    return imp.create_action(**fields)


def test_an_action_from_a_complaint_takes_its_region_outlet_and_customer(
    quality, owner, complaint, outlet, order
):
    action = new_action(quality, owner, complaint)
    assert action.number == "ZG202611-0001"
    assert action.state == ActionState.OPEN
    assert action.source_ref == f"complaint:{complaint.pk}"
    assert action.source_label == complaint.number
    assert (action.region, action.outlet, action.customer) == (
        outlet.region,
        outlet,
        order.customer,
    )
    assert ImprovementTransition.objects.filter(action=action, to_state="open").exists()
    assert Message.objects.filter(
        job_ref=f"improvement:{action.pk}", recipient=owner.email
    ).exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"change_plan": " "}, "change_plan"),
        ({"success_measure": ""}, "success_measure"),
        ({"due_date": dt.date(2020, 1, 1)}, "due_date"),
        ({"owner": None}, "owner"),
        ({"source_id": "999999"}, "source_id"),
        ({"source_kind": "gossip"}, "source_kind"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_nothing_stored(
    quality, owner, complaint, change, field
):
    if "owner" in change:
        owner = change.pop("owner")
    with pytest.raises(ValidationError) as err:
        new_action(quality, owner, complaint, **change)
    assert field in err.value.message_dict
    assert not ImprovementAction.objects.exists()


def test_the_owner_must_work_in_the_actions_region(quality, complaint, south_manager):
    with pytest.raises(ValidationError) as err:
        new_action(quality, south_manager, complaint)
    assert "owner" in err.value.message_dict


def test_a_complaint_of_another_region_is_out_of_reach(south_manager, complaint):
    with pytest.raises(ValidationError) as err:
        new_action(south_manager, south_manager, complaint)
    assert "source_id" in err.value.message_dict


def test_a_review_source_needs_the_region_named(quality, owner, east):
    with pytest.raises(ValidationError) as err:
        imp.create_action(
            actor=quality,
            source_kind="review",
            source_id="2026-11",
            title="差评集中：等待时间长",
            owner=owner,
            due_date=dt.date(2026, 12, 31),
            change_plan="增加预约时段",
            success_measure="等待时间投诉减半",
            at=at(2026, 12, 3),
        )
    assert "region" in err.value.message_dict
    action = imp.create_action(
        actor=quality,
        source_kind="review",
        source_id="2026-11",
        title="差评集中：等待时间长",
        owner=owner,
        due_date=dt.date(2026, 12, 31),
        change_plan="增加预约时段",
        success_measure="等待时间投诉减半",
        region=east,
        at=at(2026, 12, 3),
    )
    assert action.source_label.endswith("2026-11")


def test_implementing_needs_a_note_and_the_owner_or_a_manager(
    quality, owner, complaint, dispatcher
):
    action = new_action(quality, owner, complaint)
    with pytest.raises(ValidationError):
        imp.perform(action, "implement", actor=owner, note="")
    with pytest.raises(PermissionDenied):
        imp.perform(action, "implement", actor=dispatcher, note="done")
    with pytest.raises(PermissionDenied):
        imp.perform(action, "close", actor=quality, note="looks fine")  # only a callback closes
    action.refresh_from_db()
    assert action.state == ActionState.OPEN
    imp.perform(action, "implement", actor=owner, note="增加交车前路试", at=at(2026, 11, 20))
    action.refresh_from_db()
    assert action.state == ActionState.IMPLEMENTED
    assert action.implemented_at == at(2026, 11, 20)


def _month_callbacks(east, outlet, when):
    """December: the November draw and a fresh delivery at the same outlet."""
    for i in range(12):
        delivered_order(outlet, at(2026, 11, 10 + i))
    draw_callbacks(east, "2026-11", seed=3, at=when)
    return list(Callback.objects.filter(draw__isnull=False))


def test_the_next_months_callback_verifies_it_and_worked_closes_it(
    quality, owner, complaint, east, outlet, manager
):
    action = new_action(quality, owner, complaint)
    imp.perform(action, "implement", actor=owner, note="增加交车前路试", at=at(2026, 11, 20))
    callbacks = _month_callbacks(east, outlet, at(2026, 12, 1, 2))
    assert callbacks and all(c.verifications.filter(action=action).exists() for c in callbacks)
    cb = callbacks[0]
    base = {"overall": 5, "fixed_first_time": "yes"}
    with pytest.raises(ValidationError) as err:
        cb_actions.complete(cb, actor=manager, reached=True, satisfied=True, answers=base)
    assert f"verifications.{action.pk}" in err.value.message_dict
    cb_actions.complete(
        cb,
        actor=manager,
        reached=True,
        satisfied=True,
        answers=base,
        verifications={action.pk: {"answer": "worked", "note": "现在没有异响了"}},
        at=at(2026, 12, 3),
    )
    action.refresh_from_db()
    assert action.state == ActionState.CLOSED and action.closed_at == at(2026, 12, 3)
    last = action.transitions.last()
    assert last.to_state == "closed" and last.callback == cb
    # A later callback's answer no longer changes a closed action.
    other = callbacks[1]
    cb_actions.complete(
        other,
        actor=manager,
        reached=True,
        satisfied=True,
        answers=base,
        verifications={action.pk: {"answer": "not_worked"}},
    )
    action.refresh_from_db()
    assert action.state == ActionState.CLOSED


def test_not_worked_sends_it_back_to_its_owner_with_the_finding(
    quality, owner, complaint, east, outlet, manager
):
    action = new_action(quality, owner, complaint)
    imp.perform(action, "implement", actor=owner, note="增加交车前路试", at=at(2026, 11, 20))
    cb = _month_callbacks(east, outlet, at(2026, 12, 1, 2))[0]
    cb_actions.complete(
        cb,
        actor=manager,
        reached=True,
        satisfied=False,
        issues="异响依旧",
        answers={"overall": 2, "fixed_first_time": "no"},
        verifications={action.pk: {"answer": "not_worked", "note": "客户说异响依旧"}},
    )
    action.refresh_from_db()
    assert action.state == ActionState.REOPENED
    assert action.last_finding == "客户说异响依旧" and action.reopen_count == 1
    assert Message.objects.filter(
        job_ref=f"improvement:{action.pk}", purpose="improvement_reopened", recipient=owner.email
    ).exists()
    # The owner acts again; the next callback at the outlet asks again.
    imp.perform(action, "implement", actor=owner, note="更换减震块并路试", at=at(2026, 12, 10))
    order = delivered_order(outlet, at(2026, 12, 12))
    from anxin.core.events import job_state_changed
    from anxin.workshop.models import WorkOrder

    job_state_changed.send(
        sender=WorkOrder,
        kind="workorder",
        job=order,
        state="delivered",
        previous="ready",
        at=at(2026, 12, 12),
        actor=None,
    )
    post = Callback.objects.get(job_kind="workorder", job_id=order.pk)
    assert post.verifications.filter(action=action).exists()


def test_an_action_implemented_now_is_asked_in_the_callbacks_still_open(
    quality, owner, complaint, east, outlet
):
    callbacks = _month_callbacks(east, outlet, at(2026, 12, 1, 2))
    action = new_action(
        quality, owner, complaint, due_date=dt.date(2026, 12, 20), at=at(2026, 12, 2)
    )
    assert not callbacks[0].verifications.exists()
    imp.perform(action, "implement", actor=owner, note="已整改", at=at(2026, 12, 4))
    assert all(c.verifications.filter(action=action).exists() for c in callbacks)


def test_callbacks_of_other_outlets_do_not_ask_about_it(quality, owner, complaint, east, hangzhou):
    from anxin.network.models import Outlet

    action = new_action(quality, owner, complaint)
    imp.perform(action, "implement", actor=owner, note="已整改", at=at(2026, 11, 20))
    elsewhere = Outlet.objects.create(
        code="HZ-009", name="杭州萧山服务站", region=east, city=hangzhou, lat=30.1, lon=120.3
    )
    for i in range(3):
        delivered_order(elsewhere, at(2026, 11, 22 + i))
    draw_callbacks(east, "2026-11", seed=3, at=at(2026, 12, 1, 2))
    askers = Callback.objects.filter(outlet=elsewhere)
    assert askers.exists() and not any(c.verifications.exists() for c in askers)


def test_editing_and_cancelling(quality, owner, complaint):
    action = new_action(quality, owner, complaint)
    imp.update_action(action, actor=quality, due_date=dt.date(2026, 12, 15))
    assert action.due_date == dt.date(2026, 12, 15) and action.version == 2
    with pytest.raises(ValidationError):
        imp.update_action(action, actor=quality, number="X")
    with pytest.raises(ValidationError):
        imp.perform(action, "cancel", actor=quality, note="")
    imp.perform(action, "cancel", actor=quality, note="与另一整改合并")
    action.refresh_from_db()
    assert action.state == ActionState.CANCELLED
    with pytest.raises(Conflict):
        imp.update_action(action, actor=quality, title="x")


def test_overdue_means_open_past_its_due_date(quality, owner, complaint):
    action = new_action(quality, owner, complaint)
    assert not action.is_overdue(dt.date(2026, 11, 30))
    assert action.is_overdue(dt.date(2026, 12, 1))
