from unittest import mock

from django.db.utils import OperationalError


def test_health_answers_200_when_the_database_answers(client, db):
    response = client.get("/health/")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_health_answers_503_when_a_fresh_connection_fails(client, db):
    with mock.patch(
        "django.db.backends.base.base.BaseDatabaseWrapper.cursor",
        side_effect=OperationalError("down"),
    ):
        response = client.get("/health/")
    assert response.status_code == 503 and response.json()["status"] == "unavailable"


def test_a_nul_character_in_a_query_is_refused_before_any_view(client, db):
    assert client.get("/network/outlets/?q=a%00b").status_code == 400
    api = client.get("/api/v1/network/outlets?q=a%00b")
    assert api.status_code == 422 and api.json()["detail"][0]["loc"] == ["query", "q"]


def test_a_nul_character_in_a_json_body_is_refused_with_its_path(client, dispatcher):
    from anxin.rescue.models import RescueJob

    client.force_login(dispatcher)
    body = '{"positions": [{"unit": "T\\u00001", "lat": 30.2, "lon": 120.1}]}'
    response = client.post("/api/v1/rescue/positions", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "positions[0].unit"]
    assert not RescueJob.objects.exists()


def test_a_multipart_body_without_a_boundary_is_a_400_not_a_500(client, db):
    response = client.generic(
        "POST", "/api/v1/rescue/positions", b"x", content_type="multipart/form-data"
    )
    assert response.status_code == 400


def test_a_repeated_api_query_parameter_is_refused_not_silently_narrowed(client, dispatcher):
    client.force_login(dispatcher)
    response = client.get("/api/v1/network/outlets?q=a&q=b")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "q"]


def test_an_explicit_null_for_a_required_text_field_is_a_422_and_changes_nothing(
    client, admin_user, outlet
):
    client.force_login(admin_user)
    response = client.patch(
        f"/api/v1/network/outlets/{outlet.pk}", {"phone": None}, content_type="application/json"
    )
    assert response.status_code == 422
    assert "phone" in str(response.json()["detail"])
    outlet.refresh_from_db()
    assert outlet.phone is not None
