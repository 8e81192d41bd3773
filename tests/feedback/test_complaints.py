"""Complaints (FB-2, FB-3): intake with the classifier's proposal, deadlines from the
commitments, the lifecycle with stored transitions, 409 on races, region scope, labels."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from anxin.api.base import Conflict
from anxin.commitments.api import clocks_for
from anxin.feedback import actions
from anxin.feedback.choices import ComplaintClass, ComplaintState
from anxin.feedback.jobs import find
from anxin.feedback.models import ClassificationLabel, Complaint, ComplaintTransition

pytestmark = pytest.mark.django_db
AT = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
TECH = "修了三次还是有异响，刹车一踩就吱吱响"


def intake(actor, text=TECH, **kw) -> Complaint:
    return actions.create_complaint(actor=actor, channel="hotline", text=text, at=AT, **kw)


def clocks(complaint):
    return {v.clock.commitment.code: v for v in clocks_for("complaint", complaint.pk, now=AT)}


def test_intake_stores_the_proposal_and_starts_both_deadlines(service):
    complaint = intake(service)
    assert complaint.number.startswith("TS20261123-")
    assert complaint.state == ComplaintState.RECEIVED
    assert complaint.proposed_class == ComplaintClass.TECHNICAL
    assert 0 < complaint.proposed_confidence <= 1
    views = clocks(complaint)
    assert views["complaint-first-response"].due_at == AT + dt.timedelta(hours=2)
    assert views["complaint-solution"].due_at == AT + dt.timedelta(hours=48)
    first = complaint.transitions.get()
    assert first.to_state == ComplaintState.RECEIVED and first.data["proposal"]["class"]


def test_an_empty_complaint_is_refused(service):
    with pytest.raises(ValidationError):
        intake(service, text="   ")
    assert not Complaint.objects.exists()


def test_a_job_links_region_customer_and_vehicle(service, rescue_job):
    job = find("rescue", rescue_job.number, service)
    complaint = intake(service, job=job)
    assert complaint.region_id == rescue_job.region_id
    assert complaint.customer_id == rescue_job.customer_id
    assert complaint.vehicle_model == "汉"
    assert complaint.job_kind == "rescue" and complaint.job_number == rescue_job.number


def test_a_job_in_another_region_is_refused(manager, south_job):
    with pytest.raises(PermissionDenied, match="another region"):
        find("rescue", south_job.number, manager)


def test_a_regional_manager_cannot_file_for_another_regions_customer(manager, south):
    from anxin.customers.models import Customer

    other = Customer.objects.create(name="陈某", phone="13700001111", region=south)
    with pytest.raises(PermissionDenied):
        intake(manager, customer=other)
    assert not Complaint.objects.exists()


def test_a_dispatcher_may_not_take_complaints(dispatcher):
    with pytest.raises(PermissionDenied):
        intake(dispatcher)


def walk(complaint, service, until: str) -> Complaint:
    steps = [
        ("acknowledge", {"note": "已致电客户，承诺两天内给出方案"}),
        ("investigate", {}),
        ("find_root_cause", {"fields": {"root_cause": "刹车片装配不到位"}}),
        ("propose_solution", {"fields": {"solution": "免费更换刹车片并检查制动盘"}}),
        ("customer_confirms", {}),
        ("close", {}),
    ]
    for name, kw in steps:
        complaint = actions.perform(
            complaint, name, actor=service, at=AT + dt.timedelta(hours=1), **kw
        )
        if name == until:
            break
    return complaint


def test_the_whole_lifecycle_is_stored_and_stops_the_clocks(service):
    complaint = intake(service, category="technical")
    complaint = walk(complaint, service, until="close")
    assert complaint.state == ComplaintState.CLOSED and complaint.closed_at is not None
    names = list(complaint.transitions.values_list("name", flat=True))
    assert names == [
        "receive",
        "classify",
        "acknowledge",
        "investigate",
        "find_root_cause",
        "propose_solution",
        "customer_confirms",
        "close",
    ]
    views = clocks(complaint)
    assert views["complaint-first-response"].met is True
    assert views["complaint-solution"].met is True
    assert complaint.root_cause == "刹车片装配不到位"


def test_the_first_response_needs_what_the_customer_was_told(service):
    complaint = intake(service)
    with pytest.raises(ValidationError):
        actions.perform(complaint, "acknowledge", actor=service, note="")
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.RECEIVED and complaint.version == 1


def test_investigation_waits_for_the_confirmed_class(service):
    complaint = walk(intake(service), service, until="acknowledge")
    with pytest.raises(ValidationError, match="class"):
        actions.perform(complaint, "investigate", actor=service)
    actions.classify(complaint, "technical", actor=service)
    complaint.refresh_from_db()
    assert actions.perform(complaint, "investigate", actor=service).state == "investigating"


def test_a_root_cause_is_required(service):
    complaint = walk(intake(service, category="technical"), service, until="investigate")
    with pytest.raises(ValidationError):
        actions.perform(complaint, "find_root_cause", actor=service, fields={"root_cause": " "})


def test_a_proposed_solution_pauses_the_solution_clock(service):
    complaint = walk(intake(service, category="technical"), service, until="propose_solution")
    assert clocks(complaint)["complaint-solution"].paused


def test_a_rejected_solution_goes_back_to_investigation(service):
    complaint = walk(intake(service, category="technical"), service, until="propose_solution")
    complaint = actions.perform(complaint, "customer_rejects", actor=service, note="客户不接受")
    assert complaint.state == ComplaintState.INVESTIGATING
    assert not clocks(complaint)["complaint-solution"].paused


def test_reopening_restarts_a_48_hour_solution_clock(service):
    complaint = walk(intake(service, category="technical"), service, until="close")
    later = AT + dt.timedelta(days=5)
    complaint = actions.perform(complaint, "reopen", actor=service, note="异响又出现了", at=later)
    assert complaint.state == ComplaintState.INVESTIGATING and complaint.reopen_count == 1
    reopened = [
        v
        for v in clocks_for("complaint", complaint.pk, now=later)
        if v.clock.commitment.code == "complaint-solution-reopened"
    ]
    assert reopened and reopened[0].due_at == later + dt.timedelta(hours=48)


def test_a_withdrawn_complaint_cancels_its_clocks(service):
    complaint = actions.perform(intake(service), "withdraw", actor=service, note="客户撤诉")
    assert complaint.state == ComplaintState.CLOSED
    assert all(v.state == "cancelled" for v in clocks_for("complaint", complaint.pk, now=AT))


def test_an_illegal_transition_is_a_conflict_and_changes_nothing(service):
    complaint = intake(service)
    with pytest.raises(Conflict):
        actions.perform(complaint, "close", actor=service)
    assert ComplaintTransition.objects.filter(complaint=complaint).count() == 1


def test_of_two_agents_acting_on_the_same_version_one_wins(service):
    complaint = intake(service)
    stale = Complaint.objects.get(pk=complaint.pk)
    actions.perform(complaint, "acknowledge", actor=service, note="已回电")
    with pytest.raises(Conflict) as lost:
        actions.perform(stale, "withdraw", actor=service, note="撤诉")
    assert lost.value.current == {"state": "acknowledged", "version": 2}
    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.ACKNOWLEDGED


def test_a_regional_manager_cannot_move_another_regions_complaint(
    service, south_manager, rescue_job
):
    complaint = intake(service, job=find("rescue", rescue_job.number, service))
    with pytest.raises(PermissionDenied):
        actions.perform(complaint, "acknowledge", actor=south_manager, note="x")


def test_a_correction_is_kept_as_labelled_data(service):
    complaint = intake(service, text="前台小姑娘态度很差，说话很冲")
    assert complaint.proposed_class == ComplaintClass.ATTITUDE
    actions.classify(complaint, "process", actor=service)
    label = ClassificationLabel.objects.get(complaint=complaint)
    assert label.label == "process" and label.proposed == "attitude" and label.corrected
    actions.classify(complaint, "attitude", actor=service)
    label.refresh_from_db()
    assert label.label == "attitude" and not label.corrected
    assert ClassificationLabel.objects.count() == 1


def test_intake_goes_on_when_the_classifier_fails(service, monkeypatch):
    from anxin.feedback import classifier

    def broken():
        raise RuntimeError("model file corrupt")

    monkeypatch.setattr(classifier, "current_model", broken)
    complaint = intake(service)
    assert complaint.proposal_unsure and complaint.proposed_class == ""


def test_the_deadline_is_visible_as_time_passes(service):
    complaint = intake(service)
    with time_machine.travel(AT + dt.timedelta(hours=3), tick=False):
        views = {v.clock.commitment.code: v for v in clocks_for("complaint", complaint.pk)}
    assert views["complaint-first-response"].overdue == dt.timedelta(hours=1)
