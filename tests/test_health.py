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
