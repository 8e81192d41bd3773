"""The assurance pages: worklist, callback, draws, board, new action, audit workspace,
mystery form; each through the permission filter, each write through its action."""

from __future__ import annotations

import pytest

from anxin.assurance.actions.audits import draw_audit
from anxin.assurance.models import (
    AuditFinding,
    Callback,
    ChecklistTemplate,
    ImprovementAction,
    MysteryReport,
)
from anxin.audit.models import PersonalDataAccess
from anxin.core.events import job_state_changed
from tests.conftest import logged_in

from .conftest import at, delivered_order, served_rescue

pytestmark = pytest.mark.django_db


@pytest.fixture
def callback(outlet, manager):
    from anxin.workshop.models import WorkOrder

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
    cb = Callback.objects.get()
    Callback.objects.filter(pk=cb.pk).update(assignee=manager)
    cb.refresh_from_db()
    return cb


def test_the_worklist_shows_my_overdue_calls_and_hides_other_regions(
    callback, manager, south_manager
):
    page = logged_in(manager).get("/assurance/callbacks/?view=overdue")
    assert page.status_code == 200
    assert callback.job_number in page.content.decode()
    assert callback.contact_phone not in page.content.decode()  # masked
    other = logged_in(south_manager).get("/assurance/callbacks/?view=all")
    assert callback.job_number not in other.content.decode()
    assert logged_in(south_manager).get(f"/assurance/callbacks/{callback.pk}/").status_code == 404


def test_the_assignee_may_reveal_the_number_and_it_is_logged(callback, manager):
    client = logged_in(manager)
    res = client.post(f"/assurance/callbacks/{callback.pk}/", {"what": "reveal"})
    assert callback.contact_phone in res.content.decode()
    assert PersonalDataAccess.objects.filter(user=manager, object_pk=str(callback.pk)).exists()


def test_recording_a_result_on_the_page(callback, manager):
    client = logged_in(manager)
    page = client.get(f"/assurance/callbacks/{callback.pk}/").content.decode()
    assert "q_overall" in page and "q_fixed_first_time" in page
    bad = client.post(f"/assurance/callbacks/{callback.pk}/", {"what": "result", "reached": "yes"})
    assert bad.status_code == 422
    callback.refresh_from_db()
    assert callback.state == "open"
    ok = client.post(
        f"/assurance/callbacks/{callback.pk}/",
        {
            "what": "result",
            "reached": "yes",
            "satisfied": "yes",
            "q_overall": "5",
            "q_fixed_first_time": "yes",
        },
    )
    assert ok.status_code == 302
    callback.refresh_from_db()
    assert callback.state == "completed" and callback.satisfied is True
    assert callback.answers["overall"] == 5


def test_attempts_on_the_page(callback, manager):
    client = logged_in(manager)
    res = client.post(
        f"/assurance/callbacks/{callback.pk}/", {"what": "attempt", "outcome": "busy"}
    )
    assert res.status_code == 302
    callback.refresh_from_db()
    assert callback.attempts == 1


def test_draw_page_and_its_verification(east, outlet, quality):
    for i in range(3):
        delivered_order(outlet, at(2026, 10, 2 + i))
    client = logged_in(quality)
    res = client.post("/assurance/draws/", {"region": east.pk, "month": "2026-10", "seed": "8"})
    assert res.status_code == 302
    page = client.get(res["Location"] + "?verify=1").content.decode()
    assert "verify-result" in page and "✓" in page
    bad = client.post("/assurance/draws/", {"region": east.pk, "month": "2026-10", "seed": "9"})
    assert bad.status_code == 422


def test_new_action_from_a_source_link_and_the_board(east, outlet, quality, manager, callback):
    client = logged_in(quality)
    url = f"/assurance/improvements/new/?source=callback:{callback.pk}"
    assert client.get(url).status_code == 200
    bad = client.post(
        url,
        {
            "title": "x",
            "owner": manager.pk,
            "due_date": "2020-01-01",
            "change_plan": "a",
            "success_measure": "b",
        },
    )
    assert bad.status_code == 422 and not ImprovementAction.objects.exists()
    res = client.post(
        url,
        {
            "title": "交车慢",
            "owner": manager.pk,
            "due_date": "2099-01-01",
            "change_plan": "增加交车岗",
            "success_measure": "回访确认",
        },
    )
    assert res.status_code == 302, res.content.decode()[:2000]
    action = ImprovementAction.objects.get()
    assert action.source_ref == f"callback:{callback.pk}" and action.outlet == outlet
    board = client.get("/assurance/improvements/").content.decode()
    assert action.number in board
    assert client.get("/assurance/improvements/new/?source=complaint:9999").status_code == 200
    res = logged_in(manager).post(
        f"/assurance/improvements/{action.pk}/", {"what": "implement", "note": "已增加交车岗"}
    )
    assert res.status_code == 302
    action.refresh_from_db()
    assert action.state == "implemented"


def test_the_audit_workspace(east, unit, quality, manager):
    for i in range(5):
        served_rescue(east, at(2026, 8, 1 + i), unit=unit)
    audit = draw_audit(east, "2026-Q3", seed=1, actor=quality, at=at(2026, 10, 2))
    client = logged_in(quality)
    page = client.get(f"/assurance/audits/{audit.pk}/").content.decode()
    finding = AuditFinding.objects.filter(record__audit=audit).first()
    assert finding.rule in page
    res = client.post(
        f"/assurance/audits/{audit.pk}/", {"what": "override", "finding": finding.pk, "reason": ""}
    )
    assert res.status_code == 422
    res = client.post(
        f"/assurance/audits/{audit.pk}/",
        {
            "what": "confirm",
            "finding": finding.pk,
            "owner": manager.pk,
            "due_date": "2099-01-01",
            "change_plan": "补拍照片",
            "success_measure": "下季度无缺照片",
        },
    )
    assert res.status_code == 302
    finding.refresh_from_db()
    assert finding.state == "confirmed"
    assert logged_in(manager).get("/assurance/audits/").status_code == 200


def test_the_supervisors_form(supervisor, outlet, quality):
    client = logged_in(supervisor)
    assert client.get("/assurance/mystery/").status_code == 200
    template = ChecklistTemplate.objects.get(code="visit-outlet")
    form = client.get("/assurance/mystery/new/?template=visit-outlet").content.decode()
    assert "item_greeting" in form
    data = {
        "template": "visit-outlet",
        "place": f"outlet:{outlet.pk}",
        "visited_at": "2026-11-20T10:00",
    }
    bad = client.post("/assurance/mystery/new/", data)
    assert bad.status_code == 422 and not MysteryReport.objects.exists()
    data.update({f"item_{i['code']}": "pass" for i in template.items})
    assert client.post("/assurance/mystery/new/", data).status_code == 302
    assert MysteryReport.objects.get().score == 100
    tracking = logged_in(quality).get("/assurance/mystery/").content.decode()
    assert "supervisor" in tracking
