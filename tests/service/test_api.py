"""The polls API through Flask's test client, on a migrated real database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from flask.testing import FlaskClient

from service.polls.app import create_app
from service.polls.config import Settings, load_settings

from .conftest import closed_port, env_for


def create(client: FlaskClient, question: str = "Tea or coffee?", options: list[str] | None = None) -> Any:
    response = client.post("/polls", json={"question": question, "options": options or ["tea", "coffee"]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_create_and_get_poll(client: FlaskClient) -> None:
    # When
    response = client.post("/polls", json={"question": " Best editor? ", "options": ["vim", "emacs", "nano"]})

    # Then
    assert response.status_code == 201
    poll = response.get_json()
    assert response.headers["Location"] == f"/polls/{poll['id']}"
    assert poll["question"] == "Best editor?"
    assert [o["text"] for o in poll["options"]] == ["vim", "emacs", "nano"]
    assert client.get(f"/polls/{poll['id']}").get_json() == poll


def test_vote_and_results(client: FlaskClient) -> None:
    # Given
    poll = create(client, options=["tea", "coffee", "water"])
    tea, coffee, water = (o["id"] for o in poll["options"])

    # When
    for option_id in (tea, coffee, tea, tea):
        response = client.post(f"/polls/{poll['id']}/votes", json={"option_id": option_id})
        assert response.status_code == 201
        assert response.get_json()["option_id"] == option_id

    # Then
    results = client.get(f"/polls/{poll['id']}/results").get_json()
    assert results == {
        "poll_id": poll["id"],
        "question": "Tea or coffee?",
        "total_votes": 4,
        "options": [
            {"id": tea, "text": "tea", "votes": 3},
            {"id": coffee, "text": "coffee", "votes": 1},
            {"id": water, "text": "water", "votes": 0},
        ],
    }


def test_votes_are_counted_per_poll(client: FlaskClient) -> None:
    first, second = create(client), create(client, question="Cats or dogs?", options=["cats", "dogs"])
    client.post(f"/polls/{first['id']}/votes", json={"option_id": first["options"][0]["id"]})
    assert client.get(f"/polls/{second['id']}/results").get_json()["total_votes"] == 0


def test_vote_for_another_polls_option_is_rejected(client: FlaskClient) -> None:
    first, second = create(client), create(client, question="Cats or dogs?", options=["cats", "dogs"])
    response = client.post(f"/polls/{first['id']}/votes", json={"option_id": second["options"][0]["id"]})
    assert response.status_code == 400
    assert response.get_json()["field"] == "option_id"
    assert client.get(f"/polls/{first['id']}/results").get_json()["total_votes"] == 0


def test_list_is_newest_first_and_paged(client: FlaskClient) -> None:
    ids = [create(client, question=f"Question {i}?")["id"] for i in range(5)]

    first = client.get("/polls?limit=2").get_json()
    second = client.get(f"/polls?limit=2&before={first['next_before']}").get_json()
    last = client.get(f"/polls?limit=2&before={second['next_before']}").get_json()

    assert [p["id"] for p in first["polls"]] == ids[::-1][:2]
    assert [p["id"] for p in second["polls"]] == ids[::-1][2:4]
    assert [p["id"] for p in last["polls"]] == ids[:1]
    assert last["next_before"] is None


@pytest.mark.parametrize("path", ["/polls/999999", "/polls/999999/results", "/polls/99999999999999999999999"])
def test_unknown_poll_is_404(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json()["error"] == "poll not found"


def test_vote_on_unknown_poll_is_404(client: FlaskClient) -> None:
    response = client.post("/polls/999999/votes", json={"option_id": 1})
    assert response.status_code == 404
    assert response.get_json()["error"] == "poll not found"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"json": {"question": "q", "options": ["only one"]}}, "options"),
        ({"json": {"question": "", "options": ["a", "b"]}}, "question"),
        ({"data": "not json", "content_type": "application/json"}, "body"),
        ({"data": "question=q", "content_type": "application/x-www-form-urlencoded"}, "body"),
    ],
)
def test_invalid_poll_is_400_json(client: FlaskClient, kwargs: dict[str, Any], field: str) -> None:
    response = client.post("/polls", **kwargs)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid request"
    assert body["field"] == field
    assert body["request_id"] == response.headers["X-Request-Id"]


def test_invalid_vote_is_400(client: FlaskClient) -> None:
    poll = create(client)
    response = client.post(f"/polls/{poll['id']}/votes", json={"option_id": "tea"})
    assert response.status_code == 400
    assert response.get_json()["field"] == "option_id"


def test_invalid_page_is_400(client: FlaskClient) -> None:
    response = client.get("/polls?limit=1000")
    assert response.status_code == 400
    assert response.get_json()["field"] == "limit"


def test_errors_are_json(client: FlaskClient) -> None:
    assert client.get("/nowhere").get_json()["error"] == "not found"
    response = client.delete("/polls")
    assert response.status_code == 405
    assert response.get_json()["error"] == "method not allowed"
    response = client.post("/polls", data="x" * (65 * 1024), content_type="application/json")
    assert response.status_code == 413
    assert response.is_json


def test_request_id_is_echoed_when_plain_and_replaced_otherwise(client: FlaskClient) -> None:
    assert client.get("/healthz", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"
    for unsafe in ("two words", "x" * 129, '{"level": "ERROR"}'):
        replaced = client.get("/healthz", headers={"X-Request-Id": unsafe}).headers["X-Request-Id"]
        assert len(replaced) == 32
        assert replaced.isalnum()


def test_health_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    response = client.get("/readyz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ready"})


def test_not_ready_before_migrations(empty_db: str, settings: Settings) -> None:
    app = create_app(settings)
    try:
        response = app.test_client().get("/readyz")
        assert response.status_code == 503
        assert response.get_json() == {"status": "unavailable", "reason": "schema not migrated"}
    finally:
        app.extensions["polls.pool"].close()


@pytest.fixture
def client_without_database(db_env: dict[str, str]) -> Iterator[FlaskClient]:
    # The database "host" is a local port where nothing listens: every connection is refused.
    settings = load_settings(
        env_for("postgresql://x:y@127.0.0.1/z", DB_PORT=str(closed_port()), DB_CONNECT_TIMEOUT="1")
    )
    app = create_app(settings)
    try:
        yield app.test_client()
    finally:
        app.extensions["polls.pool"].close()


def test_database_down_liveness_ok_readiness_fails(client_without_database: FlaskClient) -> None:
    assert client_without_database.get("/healthz").status_code == 200
    response = client_without_database.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "reason": "database unreachable"}


def test_database_down_requests_are_503_json(client_without_database: FlaskClient) -> None:
    response = client_without_database.get("/polls")
    assert response.status_code == 503
    body = response.get_json()
    assert body["error"] == "database unavailable, retry later"
    assert "Traceback" not in response.get_data(as_text=True)


def test_unexpected_error_is_500_without_details(client: FlaskClient, migrated_db: str) -> None:
    # Given a schema broken behind the service's back
    with psycopg.connect(migrated_db, autocommit=True) as conn:
        conn.execute("ALTER TABLE polls RENAME COLUMN question TO prompt")

    response = client.get("/polls")

    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert response.get_json()["error"] == "internal error"
    assert "prompt" not in text
    assert "question" not in text
