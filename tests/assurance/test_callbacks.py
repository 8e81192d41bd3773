"""Callbacks: one per delivered work order within a week (WS-8); attempts; the result."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from anxin.api.base import Conflict
from anxin.assurance.actions import callbacks as cb_actions
from anxin.assurance.choices import CallbackPurpose, CallbackState
from anxin.assurance.models import Callback, CallbackAttempt
from anxin.commitments.models import Clock
from anxin.core.events import job_state_changed
from anxin.workshop.models import WorkOrder

from .conftest import at, delivered_order

pytestmark = pytest.mark.django_db


def deliver(order, when):
    job_state_changed.send(
        sender=WorkOrder,
        kind="workorder",
        job=order,
        state="delivered",
        previous="ready",
        at=when,
        actor=None,
    )


def test_a_delivered_work_order_gets_one_callback_due_within_a_week(outlet):
    when = at(2026, 11, 3)
    order = delivered_order(outlet, when)
    deliver(order, when)
    deliver(order, when)  # the signal twice (a retried transition): still one callback
    callbacks = Callback.objects.filter(job_kind="workorder", job_id=order.pk)
    assert callbacks.count() == 1
    cb = callbacks.get()
    assert cb.purpose == CallbackPurpose.POST_REPAIR
    assert cb.due_at == when + dt.timedelta(days=7)
    assert cb.outlet == outlet and cb.region == outlet.region
    assert cb.customer == order.customer
    assert cb.contact_phone == order.customer.phone
    clock = Clock.objects.get(job_kind="callback", job_id=str(cb.pk))
    assert clock.due_at == cb.due_at


def test_other_transitions_and_rescue_completions_make_no_post_repair_callback(outlet):
    order = delivered_order(outlet, at(2026, 11, 3))
    job_state_changed.send(
        sender=WorkOrder,
        kind="workorder",
        job=order,
        state="ready",
        previous="quality_check",
        at=at(2026, 11, 3),
        actor=None,
    )
    assert not Callback.objects.exists()


def test_the_outlets_own_customer_service_gets_the_call(outlet, east):
    from anxin.accounts.roles import Role
    from tests.conftest import make_user

    agent = make_user("cs_hz001", Role.CUSTOMER_SERVICE, east, outlet=outlet)
    order = delivered_order(outlet, at(2026, 11, 3))
    deliver(order, at(2026, 11, 3))
    cb = Callback.objects.get()
    assert cb.assignee == agent and cb.assignee_role == Role.CUSTOMER_SERVICE


@pytest.fixture
def callback(outlet):
    order = delivered_order(outlet, at(2026, 11, 3))
    deliver(order, at(2026, 11, 3))
    return Callback.objects.get()


def test_closing_as_not_reached_needs_three_tries(callback, service):
    with pytest.raises(ValidationError) as err:
        cb_actions.complete(callback, actor=service, reached=False)
    assert "reached" in err.value.message_dict
    callback.refresh_from_db()
    assert callback.state == CallbackState.OPEN and callback.attempts == 0
    cb_actions.record_attempt(callback, actor=service, outcome="no_answer", at=at(2026, 11, 4))
    cb_actions.record_attempt(callback, actor=service, outcome="busy", at=at(2026, 11, 5))
    callback.refresh_from_db()
    assert callback.state == CallbackState.IN_PROGRESS and callback.attempts == 2
    done = cb_actions.complete(callback, actor=service, reached=False, at=at(2026, 11, 6))
    assert done.state == CallbackState.COMPLETED and done.reached is False
    assert done.satisfied is None and done.attempts == 3
    assert CallbackAttempt.objects.filter(callback=done).count() == 3
    clock = Clock.objects.get(job_kind="callback", job_id=str(done.pk))
    assert clock.state == "stopped" and clock.met is True


def test_a_reached_customer_needs_satisfaction_and_the_required_answers(callback, service):
    with pytest.raises(ValidationError) as err:
        cb_actions.complete(callback, actor=service, reached=True, answers={"overall": 9})
    fields = err.value.message_dict
    assert "satisfied" in fields and "answers.overall" in fields
    assert "answers.fixed_first_time" in fields
    with pytest.raises(ValidationError) as err:
        cb_actions.complete(
            callback,
            actor=service,
            reached=True,
            satisfied=False,
            answers={"overall": 2, "fixed_first_time": "no"},
        )
    assert "issues" in err.value.message_dict  # unhappy but no issue noted
    callback.refresh_from_db()
    assert callback.state == CallbackState.OPEN and callback.version == 1
    done = cb_actions.complete(
        callback,
        actor=service,
        reached=True,
        satisfied=False,
        issues="更换机油后仍有异响",
        issue_tags=["technical", "rework"],
        answers={"overall": 2, "fixed_first_time": "no", "suggestions": "希望准时交车"},
    )
    assert done.reached is True and done.satisfied is False
    assert done.answers == {"overall": 2, "fixed_first_time": False, "suggestions": "希望准时交车"}
    assert done.issue_tags == ["technical", "rework"]


def test_a_completed_callback_cannot_be_completed_again(callback, service):
    answers = {"overall": 5, "fixed_first_time": "yes"}
    cb_actions.complete(callback, actor=service, reached=True, satisfied=True, answers=answers)
    with pytest.raises(Conflict):
        cb_actions.complete(callback, actor=service, reached=True, satisfied=True, answers=answers)


def test_a_stale_version_loses_with_409(callback, service):
    stale = Callback.objects.get(pk=callback.pk)
    cb_actions.record_attempt(callback, actor=service, outcome="no_answer")
    with pytest.raises(Conflict):
        cb_actions.record_attempt(stale, actor=service, outcome="busy")


def test_unknown_issue_categories_and_questions_are_refused(callback, service):
    with pytest.raises(ValidationError) as err:
        cb_actions.complete(
            callback,
            actor=service,
            reached=True,
            satisfied=True,
            issue_tags=["nonsense"],
            answers={"overall": 5, "fixed_first_time": "yes", "made_up": "x"},
        )
    assert {"issue_tags", "answers.made_up"} <= set(err.value.message_dict)


def test_someone_from_another_region_may_not_work_the_callback(callback, south_manager, dispatcher):
    with pytest.raises(PermissionDenied):
        cb_actions.record_attempt(callback, actor=south_manager, outcome="no_answer")
    with pytest.raises(PermissionDenied):  # a dispatcher does not make callbacks
        cb_actions.record_attempt(callback, actor=dispatcher, outcome="no_answer")
    callback.refresh_from_db()
    assert callback.attempts == 0


def test_cancelling_needs_a_reason_and_cancels_the_clock(callback, service):
    with pytest.raises(ValidationError):
        cb_actions.cancel(callback, actor=service, reason=" ")
    cb_actions.cancel(callback, actor=service, reason="客户已投诉，转投诉处理")
    callback.refresh_from_db()
    assert callback.state == CallbackState.CANCELLED
    assert Clock.objects.get(job_kind="callback", job_id=str(callback.pk)).state == "cancelled"
