"""Fixtures every test builds on.

The backend comes from ``ROADSHOW_TEST_DATABASE_URL``: unset means a SQLite file in a
temporary folder; a PostgreSQL URL runs the same suite on PostgreSQL. The schema is made
once per run by the Alembic migrations (never by ``create_all``), and every test starts
from empty tables: what a test commits is deleted after it, so tests may commit for real,
use threads, worker processes and live servers, and still not see each other's rows.
"""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade

from roadshow import create_app
from roadshow.extensions import db as _db

pytest_plugins = [
    "tests.factories",
    "tests.fixtures_mail",
    "tests.fixtures_registrations",
    "tests.fixtures_feeds",
    "tests.fixtures_browser",
    "tests.fixtures_backoffice_registrations",
    "tests.fixtures_access",
    "tests.fixtures_reports",
]

TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"


def pytest_report_header() -> str:
    return f"roadshow database: {backend_name()}"


def backend_name() -> str:
    url = os.environ.get("ROADSHOW_TEST_DATABASE_URL", "")
    return "postgresql" if url.startswith("postgres") else "sqlite"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("ROADSHOW_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'roadshow-test.sqlite'}"


def make_app(database_url: str, instance_path: Path, **overrides: Any) -> Flask:
    config = {
        "ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET_KEY,
        "DATABASE_URL": database_url,
        "SERVER_NAME": None,
        "BASE_URL": "http://roadshow.example",
        "ORGANIZER_EMAIL": "organiser@roadshow.example",
        "MAIL_DEFAULT_SENDER": "Roadshow <noreply@roadshow.example>",
    }
    config.update(overrides)
    return create_app(config, instance_path=str(instance_path))


@pytest.fixture(scope="session")
def _migrated_database(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Run every migration once on an empty database."""
    app = make_app(database_url, tmp_path_factory.mktemp("migrate-instance"))
    with app.app_context():
        _drop_everything(_db.engine)
        upgrade()
        _db.engine.dispose()
    return database_url


def _drop_everything(engine: sa.Engine) -> None:
    """Start from an empty database, even if an earlier run was killed half-way."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
        else:
            metadata = sa.MetaData()
            metadata.reflect(connection)
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for table in reversed(metadata.sorted_tables):
                connection.execute(sa.schema.DropTable(table))


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Per-test overrides of the app configuration (override this fixture or mutate it)."""
    return {}


@pytest.fixture
def app(_migrated_database: str, tmp_path: Path, app_config: dict[str, Any]) -> Iterator[Flask]:
    app = make_app(_migrated_database, tmp_path / "instance", **app_config)
    with app.app_context():
        yield app
        _db.session.remove()
        try:
            _check_seat_counts()
        finally:
            _empty_tables(_db.engine)
            _db.engine.dispose()
            app.extensions["roadshow_pagecache"].dispose()


def _check_seat_counts() -> None:
    """Whatever a test did, every event's stored ``seats_taken`` is what its rows say:
    every change of seats recounts them (``registrations.services.recount_seats``)."""
    from roadshow.events.models import Event
    from roadshow.registrations.models import Attendee, AttendeeStatus, Registration
    from roadshow.registrations.models import RegistrationStatus as Status

    counted = (
        sa.select(Attendee.event_id, sa.func.count(Attendee.id).label("taken"))
        .join(Registration, Registration.id == Attendee.registration_id)
        .where(Registration.status == Status.CONFIRMED, Attendee.status == AttendeeStatus.ACTIVE)
        .group_by(Attendee.event_id)
        .subquery()
    )
    wrong = _db.session.execute(
        sa.select(Event.id, Event.seats_taken, sa.func.coalesce(counted.c.taken, 0))
        .outerjoin(counted, counted.c.event_id == Event.id)
        .where(Event.seats_taken != sa.func.coalesce(counted.c.taken, 0))
    ).all()
    _db.session.remove()
    assert not wrong, f"seats_taken differs from the rows (event, stored, counted): {wrong}"


def _empty_tables(engine: sa.Engine) -> None:
    tables = _db.metadata.sorted_tables
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            return
        for table in reversed(tables):
            connection.execute(table.delete())
        if connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'"
        ).first():
            connection.exec_driver_sql("DELETE FROM sqlite_sequence")


@pytest.fixture
def another_app(_migrated_database: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """``another_app(**config)``: one more app on the test database, as a second worker
    process would be; its connections are closed after the test."""
    made: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        made.append(make_app(_migrated_database, tmp_path / f"worker-{len(made)}", **overrides))
        return made[-1]

    yield make
    for other in made:
        with other.app_context():
            _db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Any:
    """The Flask-SQLAlchemy extension, bound to this test's app and database."""
    return _db


class IsolatedClient(FlaskClient):
    """A test client whose requests run in their own app context, as in production.

    The test itself holds an app context (for factories and queries); without this, Flask
    would reuse it for every request, sharing ``g``, the database session and the logged-in
    user between requests. After each request the test's session forgets what it had
    loaded, so the next query sees what the request committed.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            _db.session.expire_all()
        return response


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


CSRF_INPUT = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'type="hidden" name="csrf_token" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def csrf_token_from(html: str) -> str:
    """The CSRF token of the first form in a page, as a browser would send it."""
    match = CSRF_INPUT.search(html)
    assert match, "the page has no CSRF token"
    return next(group for group in match.groups() if group)


@pytest.fixture
def submit_form(client: FlaskClient) -> Callable[..., Any]:
    """GET a page, then POST ``data`` to ``action`` (default: the same URL) with its token."""

    def submit(url: str, data: dict[str, Any], action: str | None = None, **kwargs: Any) -> Any:
        page = client.get(url)
        assert page.status_code == 200, page.status_code
        data = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), **data}
        return client.post(action or url, data=data, **kwargs)

    return submit


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], Any]:
    """``with count_queries() as queries: ...``; then ``len(queries)`` SQL statements ran."""
    from contextlib import contextmanager

    @contextmanager
    def counting() -> Iterator[list[str]]:
        statements: list[str] = []

        def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        # Every engine: kept pages read their content version through one of their own.
        sa.event.listen(sa.Engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            sa.event.remove(sa.Engine, "before_cursor_execute", before)

    return counting
