"""The REST API: authentication, region filter, 422 field errors, Idempotency-Key, 409."""

import json

import pytest
from django.test import Client

from anxin.accounts.models import ApiToken
from anxin.audit.models import ChangeLogEntry, PersonalDataAccess
from anxin.core.validators import make_vin
from anxin.customers.models import Customer, Vehicle
from anxin.network.models import Outlet

from .conftest import logged_in


def bearer(user):
    _token, key = ApiToken.issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def post(client, url, body, **headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def vehicle_body(east):
    return {
        "vin": make_vin("LSVAB2BM2N", "123456"),
        "plate": "浙A12345",
        "brand": "大众",
        "model": "朗逸",
        "powertrain": "ice",
        "region_id": east.pk,
    }


def test_the_openapi_document_is_served(client):
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["info"]["title"] == "Anxin API"
    assert "/api/v1/network/outlets" in doc["paths"]


def test_without_credentials_the_api_answers_401(client, outlet):
    assert client.get("/api/v1/network/outlets").status_code == 401


def test_a_bad_token_is_refused(db):
    assert (
        Client(HTTP_AUTHORIZATION="Bearer nope").get("/api/v1/network/outlets").status_code == 401
    )


def test_lists_are_paginated_and_filtered_by_region(dispatcher, outlet, south, guangzhou):
    Outlet.objects.create(
        code="GZ-1", name="广州天河服务站", region=south, city=guangzhou, lat=23.13, lon=113.32
    )
    page = bearer(dispatcher).get("/api/v1/network/outlets").json()
    assert page["count"] == 1 and [o["code"] for o in page["items"]] == ["HZ-001"]


def test_filters_narrow_the_list(auditor, outlet, east, hangzhou):
    Outlet.objects.create(
        code="HZ-002", name="杭州滨江服务站", region=east, city=hangzhou, lat=30.21, lon=120.21
    )
    page = bearer(auditor).get("/api/v1/network/outlets?ev_high_voltage=true").json()
    assert [o["code"] for o in page["items"]] == ["HZ-001"]


def test_another_regions_record_is_not_found(south_technician, outlet):
    assert bearer(south_technician).get(f"/api/v1/network/outlets/{outlet.pk}").status_code == 404


def test_customers_come_masked_and_the_contact_endpoint_logs_the_full_view(
    dispatcher, east, hangzhou
):
    customer = Customer.objects.create(
        name="刘德华", phone="13812345678", region=east, city=hangzhou
    )
    api = bearer(dispatcher)
    listed = api.get("/api/v1/customers/customers").json()["items"][0]
    assert listed["phone"] == "138****5678" and listed["name"] == "刘**"
    contact = api.get(
        f"/api/v1/customers/customers/{customer.pk}/contact?purpose=rescue call"
    ).json()
    assert contact["phone"] == "13812345678"
    assert (
        PersonalDataAccess.objects.filter(user=dispatcher, object_pk=str(customer.pk)).count() == 1
    )


def test_a_malformed_vin_is_a_422_naming_the_field_and_nothing_is_saved(dispatcher, vehicle_body):
    changes = ChangeLogEntry.objects.count()
    vehicle_body["vin"] = (
        vehicle_body["vin"][:8]
        + ("0" if vehicle_body["vin"][8] != "0" else "1")
        + vehicle_body["vin"][9:]
    )
    response = post(bearer(dispatcher), "/api/v1/customers/vehicles", vehicle_body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert any(d["loc"][-1] == "vin" and "check digit" in d["msg"] for d in detail)
    assert not Vehicle.objects.exists() and ChangeLogEntry.objects.count() == changes


def test_coordinates_outside_china_are_a_422(admin_user, east, hangzhou):
    body = {
        "code": "X-1",
        "name": "斯德哥尔摩",
        "region_id": east.pk,
        "city_id": hangzhou.pk,
        "lat": 59.33,
        "lon": 18.07,
    }
    response = post(bearer(admin_user), "/api/v1/network/outlets", body)
    assert response.status_code == 422
    assert {tuple(d["loc"][-1:]) for d in response.json()["detail"]} == {("lat",), ("lon",)}
    assert not Outlet.objects.filter(code="X-1").exists()


def test_a_phone_that_is_not_a_number_is_a_422_from_model_validation(admin_user, outlet):
    response = bearer(admin_user).patch(
        f"/api/v1/network/outlets/{outlet.pk}",
        data=json.dumps({"phone": "call me"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "phone"]
    outlet.refresh_from_db()
    assert outlet.phone == ""


def test_a_role_without_change_right_gets_403_and_nothing_changes(dispatcher, outlet):
    response = bearer(dispatcher).patch(
        f"/api/v1/network/outlets/{outlet.pk}",
        data=json.dumps({"daily_capacity": 1}),
        content_type="application/json",
    )
    assert response.status_code == 403
    outlet.refresh_from_db()
    assert outlet.daily_capacity == 20


def test_the_same_idempotency_key_and_body_replays_the_first_response(dispatcher, vehicle_body):
    api = bearer(dispatcher)
    first = post(api, "/api/v1/customers/vehicles", vehicle_body, HTTP_IDEMPOTENCY_KEY="k-1")
    again = post(api, "/api/v1/customers/vehicles", vehicle_body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Vehicle.objects.count() == 1


def test_the_same_key_with_another_body_is_a_422_and_nothing_is_saved(dispatcher, vehicle_body):
    api = bearer(dispatcher)
    post(api, "/api/v1/customers/vehicles", vehicle_body, HTTP_IDEMPOTENCY_KEY="k-2")
    other = dict(vehicle_body, vin=make_vin("LSVAB2BM2N", "654321"))
    response = post(api, "/api/v1/customers/vehicles", other, HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert Vehicle.objects.count() == 1


def test_keys_belong_to_their_user(dispatcher, admin_user, vehicle_body):
    post(
        bearer(dispatcher),
        "/api/v1/customers/vehicles",
        vehicle_body,
        HTTP_IDEMPOTENCY_KEY="shared",
    )
    other = dict(vehicle_body, vin=make_vin("LSVAB2BM2N", "777777"))
    assert (
        post(
            bearer(admin_user), "/api/v1/customers/vehicles", other, HTTP_IDEMPOTENCY_KEY="shared"
        ).status_code
        == 201
    )


def test_a_duplicate_vin_is_a_422(dispatcher, vehicle_body):
    api = bearer(dispatcher)
    post(api, "/api/v1/customers/vehicles", vehicle_body)
    response = post(api, "/api/v1/customers/vehicles", vehicle_body)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "vin"


def test_two_dispatchers_changing_one_unit_one_wins_the_other_gets_409(dispatcher, unit, east):
    from .conftest import make_user

    second = make_user("dispatcher_two", "dispatcher", east)
    body = {"status": "assigned", "expected_status": "available"}
    first = post(bearer(dispatcher), f"/api/v1/network/units/{unit.pk}/status", body)
    loser = post(bearer(second), f"/api/v1/network/units/{unit.pk}/status", body)
    assert first.status_code == 200
    assert loser.status_code == 409 and loser.json()["current"]["status"] == "assigned"
    assert ChangeLogEntry.objects.filter(model="network.rescueunit", action="update").count() == 1


def test_session_auth_needs_csrf_for_writes(dispatcher, vehicle_body):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(dispatcher)
    assert post(browser, "/api/v1/customers/vehicles", vehicle_body).status_code in (401, 403)
    assert not Vehicle.objects.exists()


def test_session_reads_work(dispatcher, outlet):
    assert logged_in(dispatcher).get("/api/v1/network/outlets").status_code == 200


def test_late_position_fixes_never_move_a_unit_backwards(dispatcher, unit):
    api = bearer(dispatcher)
    post(
        api,
        f"/api/v1/network/units/{unit.pk}/position",
        {"lat": 30.30, "lon": 120.20, "seen_at": "2026-11-23T10:05:00+08:00"},
    )
    post(
        api,
        f"/api/v1/network/units/{unit.pk}/position",
        {"lat": 30.10, "lon": 120.00, "seen_at": "2026-11-23T10:00:00+08:00"},
    )
    unit.refresh_from_db()
    assert (unit.last_lat, unit.last_lon) == (30.30, 120.20)
