"""The assurance API: lists through the permission filter, writes through the actions, bad
input answered with field messages and nothing changed."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from anxin.assurance.actions.draws import draw_callbacks
from anxin.assurance.models import Callback, Draw, ImprovementAction, MysteryReport
from anxin.core.events import job_state_changed
from tests.conftest import logged_in

from .conftest import at, delivered_order

pytestmark = pytest.mark.django_db
API = "/api/v1/assurance"


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def callback(outlet):
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
    return Callback.objects.get()


def test_callbacks_are_listed_in_the_users_region_only(callback, service, south_manager):
    res = logged_in(service).get(f"{API}/callbacks")
    assert res.status_code == 200 and res.json()["count"] == 1
    item = res.json()["items"][0]
    assert item["contact_phone"].count("*") == 4  # masked
    assert logged_in(south_manager).get(f"{API}/callbacks").json()["count"] == 0
    assert logged_in(south_manager).get(f"{API}/callbacks/{callback.pk}").status_code == 404


def test_worklist_views(callback, service):
    client = logged_in(service)
    assert client.get(f"{API}/callbacks?view=overdue").json()["count"] == 1  # due 2026-11-10
    assert client.get(f"{API}/callbacks?view=mine").json()["count"] == 1  # customer service pool
    assert client.get(f"{API}/callbacks?view=nonsense").status_code == 422


def test_recording_a_result_and_bad_input(callback, service):
    client = logged_in(service)
    bad = post(
        client,
        f"{API}/callbacks/{callback.pk}/result",
        {"reached": True, "answers": {"overall": 7}},
    )
    assert bad.status_code == 422
    fields = {tuple(d["loc"])[-1] for d in bad.json()["detail"]}
    assert {"satisfied", "answers.overall"} <= fields
    callback.refresh_from_db()
    assert callback.state == "open"
    assert (
        post(
            client,
            f"{API}/callbacks/{callback.pk}/result",
            {"reached": True, "issue_tags": ["made_up"]},
        ).status_code
        == 422
    )
    ok = post(
        client,
        f"{API}/callbacks/{callback.pk}/result",
        {
            "reached": True,
            "satisfied": True,
            "answers": {"overall": 5, "fixed_first_time": True},
            "expected_version": 1,
        },
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["state"] == "completed" and ok.json()["satisfied"] is True
    again = post(
        client,
        f"{API}/callbacks/{callback.pk}/result",
        {"reached": True, "satisfied": True, "answers": {"overall": 5}},
    )
    assert again.status_code == 409


def test_attempts_and_a_stale_version(callback, service):
    client = logged_in(service)
    res = post(client, f"{API}/callbacks/{callback.pk}/attempts", {"outcome": "no_answer"})
    assert res.status_code == 200 and res.json()["attempts"] == 1
    stale = post(
        client,
        f"{API}/callbacks/{callback.pk}/attempts",
        {"outcome": "busy", "expected_version": 1},
    )
    assert stale.status_code == 409 and stale.json()["current"]["version"] == 2
    assert (
        post(client, f"{API}/callbacks/{callback.pk}/attempts", {"outcome": "reached"}).status_code
        == 422
    )


def test_draws_by_api_and_their_verification(east, outlet, quality, manager):
    for i in range(12):
        delivered_order(outlet, at(2026, 10, 1 + i))
    client = logged_in(quality)
    res = post(
        client,
        f"{API}/draws",
        {"purpose": "callback", "region_id": east.pk, "period": "2026-10", "seed": 5},
    )
    assert res.status_code == 201, res.content
    body = res.json()
    assert body["seed"] == 5 and body["population_size"] == 12 and len(body["sample"]) == 2
    check = client.get(f"{API}/draws/{body['id']}/verify").json()
    assert check["ok"] is True
    assert (
        post(
            client,
            f"{API}/draws",
            {"purpose": "callback", "region_id": east.pk, "period": "2026-10", "seed": 6},
        ).status_code
        == 409
    )
    assert (
        post(
            client,
            f"{API}/draws",
            {"purpose": "callback", "region_id": east.pk, "period": "2026-Q4"},
        ).status_code
        == 422
    )
    audit = post(
        client,
        f"{API}/draws",
        {"purpose": "audit", "region_id": east.pk, "period": "2026-Q3", "seed": 1},
    )
    assert audit.status_code == 201
    assert Draw.objects.count() == 2
    assert (
        post(
            logged_in(manager),
            f"{API}/draws",
            {"purpose": "audit", "region_id": east.pk, "period": "2026-Q2"},
        ).status_code
        == 403
    )


def test_improvement_crud_implement_and_verify(east, outlet, quality, manager):
    for i in range(12):
        delivered_order(outlet, at(2026, 11, 1 + i))
    client = logged_in(quality)
    bad = post(
        client,
        f"{API}/improvements",
        {
            "source_kind": "review",
            "source_id": "2026-11",
            "owner_id": manager.pk,
            "due_date": "2020-01-01",
            "change_plan": "x",
            "success_measure": "y",
        },
    )
    assert bad.status_code == 422
    assert {d["loc"][-1] for d in bad.json()["detail"]} >= {"region", "due_date"}
    assert not ImprovementAction.objects.exists()
    res = post(
        client,
        f"{API}/improvements",
        {
            "source_kind": "review",
            "source_id": "2026-11",
            "owner_id": manager.pk,
            "region_id": east.pk,
            "outlet_id": outlet.pk,
            "title": "交车等待时间长",
            "due_date": "2099-12-31",
            "change_plan": "增设快速交车通道",
            "success_measure": "回访客户确认等待缩短",
        },
    )
    assert res.status_code == 201, res.content
    action_id = res.json()["id"]
    patched = client.patch(
        f"{API}/improvements/{action_id}",
        json.dumps({"due_date": "2099-12-30"}),
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["version"] == 2
    assert (
        post(
            client, f"{API}/improvements/{action_id}/transitions", {"name": "implement"}
        ).status_code
        == 422
    )
    done = post(
        logged_in(manager),
        f"{API}/improvements/{action_id}/transitions",
        {"name": "implement", "note": "已增设通道"},
    )
    assert done.json()["state"] == "implemented"
    draw_callbacks(east, "2026-11", seed=1, at=dt.datetime.now(dt.UTC))
    cb = Callback.objects.filter(draw__isnull=False).first()
    # The callback has not reached the customer yet: the verification is refused.
    early = post(
        client, f"{API}/improvements/{action_id}/verify", {"callback_id": cb.pk, "answer": "worked"}
    )
    assert early.status_code == 422
    res = post(
        logged_in(manager),
        f"{API}/callbacks/{cb.pk}/result",
        {
            "reached": True,
            "satisfied": True,
            "answers": {"overall": 5, "fixed_first_time": True},
            "verifications": [{"action_id": action_id, "answer": "worked", "note": "快多了"}],
        },
    )
    assert res.status_code == 200, res.content
    detail = client.get(f"{API}/improvements/{action_id}").json()
    assert detail["state"] == "closed"
    assert detail["verifications"][0]["answer"] == "worked"
    assert client.get(f"{API}/improvements?state=closed").json()["count"] == 1


def test_audit_workspace_api(east, outlet, quality, manager, unit):
    from .conftest import served_rescue

    for i in range(5):
        served_rescue(east, at(2026, 8, 1 + i), unit=unit)
    audit = post(
        logged_in(quality),
        f"{API}/draws",
        {"purpose": "audit", "region_id": east.pk, "period": "2026-Q3", "seed": 2},
    )
    assert audit.status_code == 201
    audit_id = logged_in(quality).get(f"{API}/audits").json()["items"][0]["id"]
    detail = logged_in(quality).get(f"{API}/audits/{audit_id}").json()
    finding = detail["records"][0]["findings"][0]
    assert finding["state"] == "proposed"
    url = f"{API}/audits/{audit_id}/findings/{finding['id']}"
    assert post(logged_in(manager), f"{url}/override", {"reason": "x"}).status_code == 403
    res = post(
        logged_in(quality),
        f"{url}/confirm",
        {
            "owner_id": manager.pk,
            "due_date": "2099-01-31",
            "change_plan": "补拍现场照片",
            "success_measure": "下季度抽查无缺照片",
        },
    )
    assert res.status_code == 200, res.content
    assert res.json()["state"] == "confirmed" and res.json()["action_id"]


def test_mystery_reports_by_api(supervisor, outlet, quality):
    from anxin.assurance.models import ChecklistTemplate

    template = ChecklistTemplate.objects.get(code="simulated-complaint")
    client = logged_in(supervisor)
    results = {i["code"]: "pass" for i in template.items}
    bad = post(
        client,
        f"{API}/mystery/reports",
        {
            "template_id": template.pk,
            "outlet_id": outlet.pk,
            "visited_at": "2026-11-20T10:00:00+08:00",
            "results": {**results, "recorded": "maybe"},
        },
    )
    assert bad.status_code == 422 and not MysteryReport.objects.exists()
    res = post(
        client,
        f"{API}/mystery/reports",
        {
            "template_id": template.pk,
            "outlet_id": outlet.pk,
            "visited_at": "2026-11-20T10:00:00+08:00",
            "channel": "hotline",
            "results": results,
        },
    )
    assert res.status_code == 201, res.content
    assert res.json()["score"] == 100.0
    assert logged_in(quality).get(f"{API}/mystery/reports").json()["count"] == 1
