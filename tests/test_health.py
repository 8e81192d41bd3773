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
