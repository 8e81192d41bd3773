"""The workshop API: the same refusals as the pages, with field-level messages."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from anxin.core.validators import make_vin
from anxin.workshop.models import Appointment, WorkOrder
from tests.conftest import logged_in, make_user

pytestmark = pytest.mark.django_db
API = "/api/v1/workshop"


def post(client, url, body=None, **headers):
    return client.post(url, json.dumps(body or {}), content_type="application/json", **headers)


def fields(response) -> set[str]:
    return {d["loc"][-1] for d in response.json()["detail"]}


def test_booking_by_api_checks_the_vin_and_assigns_an_outlet(advisor, shop, car):
    client = logged_in(advisor)
    when = (timezone.now() + dt.timedelta(days=1)).isoformat()
    body = {
        "vin": "LAX1C2A3P40000203",
        "contact_phone": "13812345678",
        "job_type": "maintenance",
        "preferred_at": when,
        "lat": 30.26,
        "lon": 120.13,
    }
    bad = post(client, f"{API}/appointments", body)
    assert bad.status_code == 422 and "vin" in fields(bad)
    assert not Appointment.objects.exists()
    body["vin"] = car.vin
    made = post(client, f"{API}/appointments", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert made.status_code == 201, made.content
    data = made.json()
    assert data["outlet"] == shop.pk and data["assignments"][0]["candidates"]
    assert data["contact_phone"] == "138****5678"
    again = post(client, f"{API}/appointments", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.json()["id"] == data["id"] and Appointment.objects.count() == 1
    answered = post(client, f"{API}/appointments/{data['id']}/respond", {"kind": "confirm"})
    assert answered.status_code == 200 and answered.json()["state"] == "confirmed"
    opened = post(client, f"{API}/appointments/{data['id']}/work-order", {"mileage_km": 15000})
    assert opened.status_code == 201 and opened.json()["state"] == "reception"


def test_a_work_order_through_the_api_refuses_bad_input_with_the_field(
    advisor, shop, car, walk, hv_tech_staff
):
    client = logged_in(advisor)
    made = post(
        client,
        f"{API}/work-orders",
        {"outlet_id": shop.pk, "vehicle_id": car.pk, "job_type": "fault_repair"},
    )
    assert made.status_code == 201
    wo = WorkOrder.objects.get(pk=made.json()["id"])
    early = post(client, f"{API}/work-orders/{wo.pk}/transitions", {"name": "start_diagnosis"})
    assert early.status_code == 422 and "requires" in fields(early)
    missing_photo = post(
        client,
        f"{API}/work-orders/{wo.pk}/inspections/entry",
        {
            "results": {
                "exterior": True,
                "mileage": 100,
                "fuel_charge": 50,
                "warning_lights": True,
                "valuables": True,
                "seat_covers": True,
            },
            "responsible_id": hv_tech_staff.pk,
        },
    )
    assert missing_photo.status_code == 422 and "photos.damage_photos" in fields(missing_photo)
    wo = walk(wo, "diagnosis")
    unknown = post(client, f"{API}/work-orders/{wo.pk}/part-lines", {"part": "P-FAKE-001"})
    assert unknown.status_code == 422 and "part" in fields(unknown)
    ok = post(client, f"{API}/work-orders/{wo.pk}/part-lines", {"part": "P-BRK-PAD-F"})
    assert ok.status_code == 201 and ok.json()["unit_price"] in ("420.00", 420.0, "420")
    stale = post(
        client,
        f"{API}/work-orders/{wo.pk}/transitions",
        {"name": "prepare_quote", "expected_version": 1},
    )
    assert stale.status_code == 409 and stale.json()["current"]["state"] == "diagnosis"
    early_delivery = post(client, f"{API}/work-orders/{wo.pk}/transitions", {"name": "deliver"})
    assert early_delivery.status_code == 409
    assert WorkOrder.objects.get(pk=wo.pk).state == "diagnosis"


def test_the_customer_approves_once_by_the_personal_link(advisor, car, open_order, walk):
    wo = walk(open_order(car), "approval")
    client = logged_in(advisor)
    client.logout()
    seen = client.get(f"{API}/quotes/{wo.quote_token}")
    assert seen.status_code == 200 and seen.json()["quote"]["lines"]
    first = post(client, f"{API}/quotes/{wo.quote_token}/approve", {"signer_name": "刘先生"})
    assert first.status_code == 200 and first.json()["state"] == "approved"
    second = post(client, f"{API}/quotes/{wo.quote_token}/approve", {"signer_name": "刘先生"})
    assert second.status_code == 409
    unknown = post(client, f"{API}/quotes/{'x' * 32}/approve", {"signer_name": "刘先生"})
    assert unknown.status_code == 422 and "token" in fields(unknown)


def test_hv_work_is_refused_by_the_api_with_the_reason(advisor, ev, open_order, walk, plain_staff):
    wo = walk(open_order(ev, high_voltage=True), "approved", lines=("L-HV-CONTACTOR",))
    client = logged_in(advisor)
    refused = post(client, f"{API}/work-orders/{wo.pk}/transitions", {"name": "start_work"})
    assert refused.status_code == 422
    assert "discharge" in refused.json()["detail"][0]["msg"]
    uncertified = post(
        client,
        f"{API}/work-orders/{wo.pk}/hv-check",
        {
            "technician_id": plain_staff.pk,
            "discharged": True,
            "residual_voltage": "2",
            "insulation_mohm": "500",
        },
    )
    assert uncertified.status_code == 422 and "technician" in fields(uncertified)
    assert WorkOrder.objects.get(pk=wo.pk).state == "approved"


def test_lists_are_restricted_by_region_and_outlet(advisor, car, open_order, south, east, shop):
    open_order(car)
    assert logged_in(advisor).get(f"{API}/work-orders").json()["count"] == 1
    stranger = make_user("sa_south", "service_advisor", south)
    assert logged_in(stranger).get(f"{API}/work-orders").json()["count"] == 0
    from anxin.network.models import Outlet

    other = Outlet.objects.create(
        code="HZ-077", name="另一网点", region=east, city=shop.city, lat=30.3, lon=120.2
    )
    neighbour = make_user("sa_077", "service_advisor", east, outlet=other)
    assert logged_in(neighbour).get(f"{API}/work-orders").json()["count"] == 0
    manager = make_user("rm_east", "regional_manager", east)
    assert logged_in(manager).get(f"{API}/work-orders").json()["count"] == 1


def test_expert_requests_and_the_archive_by_api(advisor, ev, open_order, east):
    wo = open_order(ev, fault_codes=["P0AA6"])
    client = logged_in(advisor)
    made = post(
        client,
        f"{API}/work-orders/{wo.pk}/expert-requests",
        {"question": "绝缘故障怎么查？", "fault_codes": ["P0AA6"]},
    )
    assert made.status_code == 201 and made.json()["state"] == "open"
    expert_user = make_user("expert", "technical_expert", east)
    queue = logged_in(expert_user).get(f"{API}/expert-requests").json()
    assert queue["count"] == 1
    answered = post(
        logged_in(expert_user),
        f"{API}/expert-requests/{made.json()['id']}/messages",
        {"body": "先测绝缘"},
    )
    assert answered.json()["state"] == "answered"
    assert answered.json()["first_response_seconds"] is not None
    archive = client.get(f"{API}/vehicles/{ev.pk}/archive").json()
    assert {e["kind"] for e in archive} >= {"work_order", "fault", "expert"}


def test_the_catalog_is_searchable(advisor):
    client = logged_in(advisor)
    found = client.get(f"{API}/catalog/parts", {"q": "制动"}).json()
    assert found["count"] >= 3
    assert all("制动" in p["name"] or "制动" in p["code"] for p in found["items"])
    assert client.get(f"{API}/catalog/labour", {"system": "hv_battery"}).json()["count"] >= 3


def test_creating_a_work_order_by_a_vin_that_fails_its_check_digit(advisor, shop, car):
    bad_vin = make_vin("LAX1C2A3P4", "000202")
    bad_vin = bad_vin[:8] + ("1" if bad_vin[8] != "1" else "2") + bad_vin[9:]
    response = post(
        logged_in(advisor),
        f"{API}/work-orders",
        {"outlet_id": shop.pk, "vin": bad_vin, "job_type": "maintenance"},
    )
    assert response.status_code == 422 and "vin" in fields(response)
    assert not WorkOrder.objects.exists()
