"""``/healthz``: what a load balancer and monitoring read, on a good and a lost database."""

from __future__ import annotations

import http.client
import os
from datetime import timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade

from roadshow.database import utcnow
from roadshow.extensions import db
from roadshow.mail.models import OutboxMessage, OutboxStatus
from tests.conftest import TEST_SECRET_KEY, make_app
from tests.fixtures_servers import gunicorn
from tests.test_backup import sqlite_app


def message(n: int, status: OutboxStatus, age: timedelta) -> OutboxMessage:
    return OutboxMessage(
        idempotency_key=f"health-{n}",
        message_id=f"<health-{n}@roadshow.example>",
        template="registrations/confirmation",
        recipient=f"person{n}@firma.example",
        subject="Anmeldung",
        text_body="Text",
        html_body="<p>Text</p>",
        status=status,
        created_at=utcnow() - age,
    )


def test_healthy_with_the_outbox_counts_and_no_personal_data(app, client, count_queries):
    db.session.add_all(
        [
            message(1, OutboxStatus.QUEUED, timedelta(minutes=2)),
            message(2, OutboxStatus.RETRY, timedelta(minutes=15)),
            message(3, OutboxStatus.SENDING, timedelta(minutes=1)),
            message(4, OutboxStatus.FAILED, timedelta(days=2)),
            message(5, OutboxStatus.SENT, timedelta(days=9)),
        ]
    )
    db.session.commit()

    with count_queries() as queries:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json
    data = response.get_json()
    assert data["status"] == "ok" and data["database"] == "ok"
    assert data["outbox"]["waiting"] == 3
    assert data["outbox"]["failed"] == 1
    assert 15 * 60 <= data["outbox"]["oldest_waiting_seconds"] < 16 * 60
    assert "person" not in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    assert len([q for q in queries if "outbox_message" in q]) == 1


def test_an_empty_outbox_waits_zero_seconds(client):
    data = client.get("/healthz").get_json()
    assert data["outbox"] == {"waiting": 0, "failed": 0, "oldest_waiting_seconds": 0}


def test_not_rate_limited_when_everything_else_is(tmp_path: Path):
    """In a server of its own: a default limit stays on the shared limiter once set."""
    instance = tmp_path / "instance"
    app = sqlite_app(instance)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "ROADSHOW_ENV": "testing",
        "ROADSHOW_SECRET_KEY": TEST_SECRET_KEY,
        "ROADSHOW_INSTANCE_PATH": str(instance),
        "ROADSHOW_RATELIMIT_DEFAULT": "2 per minute",
    }
    with gunicorn(env, options=("--workers=1",)) as (host, port):

        def status(path: str) -> int:
            connection = http.client.HTTPConnection(host, port, timeout=15)
            try:
                connection.request("GET", path)
                return connection.getresponse().status
            finally:
                connection.close()

        assert [status("/privacy") for _ in range(3)] == [200, 200, 429]  # the limit holds
        assert [status("/healthz") for _ in range(10)] == [200] * 10


@pytest.mark.parametrize(
    "database_url",
    [
        "postgresql://roadshow@127.0.0.1:9/roadshow?connect_timeout=5",  # nothing listens
        "sqlite:////nonexistent/folder/roadshow.sqlite",
    ],
    ids=["unreachable-postgresql", "broken-sqlite-path"],
)
def test_503_json_when_the_database_cannot_be_reached(database_url: str, tmp_path: Path):
    app = make_app(database_url, tmp_path / "instance")
    with app.app_context():
        response = app.test_client().get("/healthz")
        db.engine.dispose()
    assert response.status_code == 503
    assert response.is_json
    assert response.get_json() == {"status": "error", "database": "error"}
    assert "Set-Cookie" not in response.headers


def test_503_when_the_database_has_no_schema(tmp_path: Path):
    app = make_app(f"sqlite:///{tmp_path / 'empty.sqlite'}", tmp_path / "instance")
    with app.app_context():
        response = app.test_client().get("/healthz")
        db.engine.dispose()
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"
