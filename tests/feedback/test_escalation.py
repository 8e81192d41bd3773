"""Escalation to R&D (FB-4): the third consecutive technical complaint about the same model and
the same fault code, part or system opens one engineering case linking all three."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from anxin.feedback import actions, escalation
from anxin.feedback.choices import CaseState
from anxin.feedback.models import EngineeringCase

pytestmark = pytest.mark.django_db
AT = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


def technical(service, n: int, model="汉", category="technical", **problem):
    problem = problem or {"system": "battery", "fault_code": "P1A00"}
    return actions.create_complaint(
        actor=service,
        channel="hotline",
        text="电池包报故障，车辆限功率",
        at=AT + dt.timedelta(hours=n),
        category=category,
        vehicle_model=model,
        **problem,
    )


def test_two_are_not_enough(service):
    technical(service, 1)
    technical(service, 2)
    assert not EngineeringCase.objects.exists()


def test_the_third_opens_one_case_linking_all_three(service):
    first, second, third = (technical(service, n) for n in (1, 2, 3))
    case = EngineeringCase.objects.get()
    assert case.vehicle_model == "汉"
    assert (case.problem_kind, case.problem) == ("fault_code", "P1A00")  # most specific key
    assert set(case.complaints.values_list("pk", flat=True)) == {first.pk, second.pk, third.pk}


def test_the_fourth_joins_the_open_case_instead_of_opening_another(service):
    for n in range(1, 5):
        technical(service, n)
    assert EngineeringCase.objects.count() == 1
    assert EngineeringCase.objects.get().complaints.count() == 4


def test_escalating_again_changes_nothing(service):
    complaints = [technical(service, n) for n in (1, 2, 3)]
    for c in complaints:
        escalation.escalate(c, at=AT)
    assert EngineeringCase.objects.count() == 1


def test_other_models_or_problems_do_not_count(service):
    technical(service, 1, model="汉")
    technical(service, 2, model="海豚")
    technical(service, 3, model="汉", system="brakes")
    technical(service, 4, model="汉", category="process")
    assert not EngineeringCase.objects.exists()


def test_the_same_part_counts_without_a_code(service):
    for n in (1, 2, 3):
        technical(service, n, model="朗逸", part="水泵")
    case = EngineeringCase.objects.get()
    assert (case.problem_kind, case.problem, case.vehicle_model) == ("part", "水泵", "朗逸")


def test_after_a_case_is_closed_a_new_run_of_three_is_needed(service):
    for n in (1, 2, 3):
        technical(service, n)
    case = EngineeringCase.objects.get()
    case.state, case.closed_at = CaseState.CLOSED, AT + dt.timedelta(hours=10)
    case.save()
    technical(service, 11)
    technical(service, 12)
    assert EngineeringCase.objects.count() == 1
    technical(service, 13)
    assert EngineeringCase.objects.count() == 2
    assert EngineeringCase.objects.exclude(pk=case.pk).get().complaints.count() == 3


def test_only_one_open_case_per_problem_can_exist(service):
    """The database settles two simultaneous third complaints: the second insert fails."""
    EngineeringCase.objects.create(
        number="EC202611-001",
        vehicle_model="汉",
        problem_kind="system",
        problem="battery",
        opened_at=AT,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        EngineeringCase.objects.create(
            number="EC202611-002",
            vehicle_model="汉",
            problem_kind="system",
            problem="battery",
            opened_at=AT,
        )


def test_a_lost_race_joins_the_winners_case(service, monkeypatch):
    complaints = [technical(service, n, model="海豚", system="motor") for n in (1, 2)]
    winner = EngineeringCase.objects.create(
        number="EC202611-050",
        vehicle_model="海豚",
        problem_kind="system",
        problem="motor",
        opened_at=AT,
    )
    # This worker did not see the winner's case when it looked (it was not committed yet).
    real_open_case = escalation._open_case
    calls = {"n": 0}

    def late(*args):
        calls["n"] += 1
        return None if calls["n"] == 1 else real_open_case(*args)

    monkeypatch.setattr(escalation, "_open_case", late)
    third = technical(service, 3, model="海豚", system="motor")
    assert EngineeringCase.objects.count() == 1
    third.refresh_from_db()
    assert third.engineering_case == winner
    assert winner.complaints.count() == 3 and complaints[0].pk in set(
        winner.complaints.values_list("pk", flat=True)
    )


def test_rnd_closes_a_case_with_findings_and_the_desk_may_not(service, auditor):
    from django.core.exceptions import PermissionDenied, ValidationError

    for n in (1, 2, 3):
        technical(service, n)
    case = EngineeringCase.objects.get()
    with pytest.raises(PermissionDenied):
        escalation.update_case(case, actor=service, state="closed", findings="x")
    with pytest.raises(ValidationError):
        escalation.update_case(case, actor=auditor, state="closed", findings=" ")
    escalation.update_case(case, actor=auditor, state="closed", findings="BMS 软件 V2.3 修复")
    case.refresh_from_db()
    assert case.state == "closed" and case.closed_at is not None
