"""Mystery checks (暗访, CB-3): reports against a checklist; quarterly reports tracked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from anxin.accounts.roles import Role
from anxin.api.base import Conflict
from anxin.assurance.actions import mystery
from anxin.assurance.models import ChecklistTemplate, MysteryReport, SupervisorReport
from tests.conftest import make_user

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit():
    return ChecklistTemplate.objects.get(code="visit-outlet")


def all_pass(template, **override):
    return {**{i["code"]: "pass" for i in template.items}, **override}


def test_a_supervisor_files_a_visit_and_it_is_scored_by_weight(supervisor, visit, outlet):
    results = all_pass(visit, quote_first="fail", old_parts="na")
    report = mystery.file_report(
        actor=supervisor,
        template=visit,
        results=results,
        outlet=outlet,
        summary="施工前未出示报价",
        visited_at=at(2026, 11, 20),
        at=at(2026, 11, 21),
    )
    # weights: 1+2+2+1+1+2 applicable (old_parts n.a.) = 9; quote_first (2) failed -> 7/9
    assert report.score == Decimal("77.8")
    assert report.failed_items == ["quote_first"]
    assert report.region == outlet.region and report.kind == "visit"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"results": {"greeting": "pass"}}, "results.entry_check"),
        ({"results": "extra"}, "results.bogus"),
        ({"outlet": None}, "outlet"),
        ({"visited_at": at(2027, 1, 1)}, "visited_at"),
        ({"summary": ""}, "summary"),
    ],
)
def test_bad_reports_are_refused_with_the_field(supervisor, visit, outlet, change, field):
    kwargs = dict(
        actor=supervisor,
        template=visit,
        results=all_pass(visit, quote_first="fail"),
        outlet=outlet,
        summary="x",
        visited_at=at(2026, 11, 20),
        at=at(2026, 11, 21),
    )
    if change.get("results") == "extra":
        change = {"results": {**all_pass(visit), "bogus": "pass"}}
    kwargs.update(change)
    with pytest.raises(ValidationError) as err:
        mystery.file_report(**kwargs)
    assert field in err.value.message_dict
    assert not MysteryReport.objects.exists()


def test_an_outlet_in_another_region_is_refused(supervisor, visit, south, guangzhou):
    from anxin.network.models import Outlet

    gz = Outlet.objects.create(
        code="GZ-1", name="广州天河服务站", region=south, city=guangzhou, lat=23.1, lon=113.3
    )
    with pytest.raises(ValidationError) as err:
        mystery.file_report(
            actor=supervisor,
            template=visit,
            results=all_pass(visit),
            outlet=gz,
            summary="",
            visited_at=at(2026, 11, 20),
            at=at(2026, 11, 21),
        )
    assert "outlet" in err.value.message_dict


def test_only_supervisors_and_quality_file_reports(dispatcher, visit, outlet):
    with pytest.raises(PermissionDenied):
        mystery.file_report(
            actor=dispatcher,
            template=visit,
            results=all_pass(visit),
            outlet=outlet,
            summary="",
            visited_at=at(2026, 11, 20),
        )


def test_a_supervisor_sees_only_their_own_reports(supervisor, visit, outlet, east, quality):
    other = make_user("supervisor2", Role.VOLUNTEER_SUPERVISOR, east)
    for who in (supervisor, other):
        mystery.file_report(
            actor=who,
            template=visit,
            results=all_pass(visit),
            outlet=outlet,
            summary="",
            visited_at=at(2026, 11, 20),
            at=at(2026, 11, 21),
        )
    assert MysteryReport.objects.restrict(supervisor).count() == 1
    assert MysteryReport.objects.restrict(quality).count() == 2


def test_quarterly_reports_are_expected_due_submitted_and_overdue(supervisor, east):
    other = make_user("supervisor2", Role.VOLUNTEER_SUPERVISOR, east)
    assert mystery.ensure_quarter_reports("2026-Q4") == 2
    assert mystery.ensure_quarter_reports("2026-Q4") == 0
    mine = SupervisorReport.objects.get(supervisor=supervisor)
    assert mine.due_date == dt.date(2027, 1, 10)
    assert mine.status(dt.date(2026, 12, 20)) == "due"
    assert mine.status(dt.date(2027, 1, 11)) == "overdue"
    with pytest.raises(ValidationError):
        mystery.submit_quarterly(mine, actor=supervisor, summary=" ")
    theirs = SupervisorReport.objects.get(supervisor=other)
    with pytest.raises((ValidationError, PermissionDenied)):
        mystery.submit_quarterly(theirs, actor=supervisor, summary="代交")
    mystery.submit_quarterly(mine, actor=supervisor, summary="本季度暗访 3 次", at=at(2026, 12, 28))
    mine.refresh_from_db()
    assert mine.status(dt.date(2027, 2, 1)) == "submitted"
    with pytest.raises(Conflict):
        mystery.submit_quarterly(mine, actor=supervisor, summary="again")


def test_supervisors_see_none_of_the_internal_records(supervisor, outlet, quality):
    from anxin.assurance.models import Callback, Draw, ImprovementAction
    from anxin.core.events import job_state_changed
    from anxin.workshop.models import WorkOrder

    from .conftest import delivered_order

    order = delivered_order(outlet, at(2026, 11, 3))
    job_state_changed.send(
        sender=WorkOrder,
        kind="workorder",
        job=order,
        state="delivered",
        previous="ready",
        at=at(2026, 11, 3),
        actor=None,
    )
    assert Callback.objects.restrict(quality).count() == 1
    for model in (Callback, Draw, ImprovementAction):
        assert not model.objects.restrict(supervisor).exists()
