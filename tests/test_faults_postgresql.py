"""PostgreSQL backends terminated under running requests.

``pg_terminate_backend`` ends a connection as a failover or a restart would. A request whose
connection dies runs once more when that cannot do anything twice (GET, HEAD, the
registration form with its submission key), else it answers 503 with Retry-After; no answer
is a 500 and nothing is half-written.

The first tests end the backend of one request at a chosen statement (an engine event
installed by the test, which terminates the connection's own backend from a second
connection just before the statement runs); the last one fires 35 registrations at a
gunicorn with four workers while another thread terminates every backend of the database
three times, and a control run serves the app without the replay (``tests/
wsgi_without_replay.py``), which must answer 500, proving that the storm hits requests.
"""

from __future__ import annotations

import http.client
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
import pytest
import sqlalchemy as sa
from flask import has_request_context

from roadshow.accounts.models import Role
from roadshow.events.models import Tour
from roadshow.extensions import db
from roadshow.mail.models import OutboxMessage
from roadshow.registrations.models import Attendee, Registration
from tests.conftest import backend_name, csrf_token_from
from tests.fixtures_pages import log_in
from tests.fixtures_registrations import form_fields
from tests.fixtures_servers import app_environment, gunicorn

pytestmark = [
    pytest.mark.postgresql_only,
    pytest.mark.skipif(backend_name() != "postgresql", reason="needs PostgreSQL"),
]

AGAIN = "running it once more"
GAVE_UP = "answered 503"
SUBMISSION_KEY = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"RATELIMIT_ENABLED": False}


def libpq_url(database_url: str) -> str:
    return database_url.replace("postgresql+psycopg://", "postgresql://", 1)


def terminate(database_url: str, *pids: int) -> None:
    """End these backends, as an operator or a failover would, and wait until they are gone."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as killer:
        for pid in pids:
            killer.execute("SELECT pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + 10
        while killer.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (list(pids),)
        ).fetchone() != (0,):
            assert time.monotonic() < deadline, "the backends did not end"
            time.sleep(0.01)


class Faults:
    """Kills the backend of the app's connection just before matching statements run."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.pattern: re.Pattern[str] | None = None
        self.remaining = 0
        self.ambiguous_commits = 0
        self.killed: list[str] = []

    def before_statement(self, statement: str, times: int = 1) -> None:
        self.pattern, self.remaining = re.compile(statement), times

    def after_commit(self, times: int = 1) -> None:
        """The COMMIT reaches the server and is applied; its answer is lost."""
        self.ambiguous_commits = times

    def _on_statement(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not has_request_context():
            return  # the test's own queries
        if self.remaining and self.pattern is not None and self.pattern.search(statement):
            self.remaining -= 1
            self.killed.append(statement.split("\n", 1)[0][:60])
            terminate(self.database_url, conn.connection.dbapi_connection.info.backend_pid)

    def _on_commit(self, conn: Any) -> None:
        if not self.ambiguous_commits or not has_request_context():
            return
        self.ambiguous_commits -= 1
        raw = conn.connection.dbapi_connection
        raw.commit()  # applied on the server
        raw.execute("SELECT 1")  # the driver now holds a transaction again ...
        self.killed.append("COMMIT")
        terminate(self.database_url, raw.info.backend_pid)  # ... whose COMMIT fails


@pytest.fixture
def faults(app, database_url) -> Iterator[Faults]:
    injected = Faults(database_url)
    sa.event.listen(db.engine, "before_cursor_execute", injected._on_statement)
    sa.event.listen(db.engine, "commit", injected._on_commit)
    try:
        yield injected
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", injected._on_statement)
        sa.event.remove(db.engine, "commit", injected._on_commit)
        db.session.remove()
        db.engine.dispose()


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "roadshow.resilience"]


def registration_page(client, event) -> dict[str, str]:
    page = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    return {
        "csrf_token": csrf_token_from(page),
        "submission_key": SUBMISSION_KEY.search(page).group(1),
        **form_fields(("Lena Maier", "lena@gasthof-post.example"), company_name="Gasthof Post"),
    }


def registrations_of(event) -> list[Registration]:
    db.session.expire_all()
    return list(
        db.session.scalars(sa.select(Registration).where(Registration.event_id == event.id))
    )


def test_a_page_whose_connection_dies_is_served_from_a_second_run(
    client, make_event, faults, caplog
):
    event = make_event(title="Digitalisierung im Handwerk")
    caplog.set_level(logging.WARNING, logger="roadshow.resilience")
    faults.before_statement(r"FROM event\b")
    page = client.get(f"/events/{event.slug}")
    assert page.status_code == 200
    assert "Digitalisierung im Handwerk" in page.get_data(as_text=True)
    assert faults.killed and faults.remaining == 0
    assert any(AGAIN in w and f"GET /events/{event.slug}" in w for w in warnings_of(caplog))


def test_a_page_that_loses_its_connection_twice_answers_503_with_a_page(
    client, make_event, faults, caplog
):
    event = make_event()
    faults.before_statement(r"FROM event\b", times=2)
    page = client.get(f"/events/{event.slug}")
    assert page.status_code == 503
    assert page.headers["Retry-After"].isdigit()
    assert page.mimetype == "text/html"
    assert "Bitte versuchen Sie es gleich noch einmal" in page.get_data(as_text=True)
    assert len(faults.killed) == 2

    english = client.get("/language/en")
    assert english.status_code == 302
    faults.before_statement(r"FROM event\b", times=2)
    page = client.get(f"/events/{event.slug}")
    assert page.status_code == 503
    assert "Please try again in a moment" in page.get_data(as_text=True)
    assert client.get(f"/events/{event.slug}").status_code == 200  # the database is back


def test_a_registration_whose_insert_dies_is_stored_once_by_the_second_run(
    client, make_event, faults, caplog
):
    event = make_event()
    data = registration_page(client, event)
    caplog.set_level(logging.WARNING, logger="roadshow.resilience")
    faults.before_statement(r"INSERT INTO registration\b")
    response = client.post(f"/events/{event.slug}/register", data=data)
    assert response.status_code == 303
    assert "/thanks" in response.headers["Location"]
    [registration] = registrations_of(event)
    assert [a.email for a in registration.attendees] == ["lena@gasthof-post.example"]
    assert any(AGAIN in w and "POST" in w for w in warnings_of(caplog))


def test_a_registration_whose_commit_answer_is_lost_is_found_not_made_twice(
    client, make_event, faults
):
    event = make_event()
    data = registration_page(client, event)
    faults.after_commit()
    response = client.post(f"/events/{event.slug}/register", data=data)
    assert faults.killed == ["COMMIT"]
    # The first run's commit went through: the second run finds it.
    assert response.status_code == 200
    assert "bereits eingegangen" in response.get_data(as_text=True)
    [registration] = registrations_of(event)
    confirmations = db.session.scalars(
        sa.select(OutboxMessage.template).where(OutboxMessage.registration_id == registration.id)
    ).all()
    assert sorted(confirmations) == ["registrations/confirmed", "registrations/invitation"]


def test_a_registration_that_loses_both_runs_answers_503_and_a_second_submit_stores_one(
    client, make_event, faults, caplog
):
    event = make_event()
    data = registration_page(client, event)
    caplog.set_level(logging.WARNING, logger="roadshow.resilience")
    faults.before_statement(r"INSERT INTO registration\b", times=2)
    response = client.post(f"/events/{event.slug}/register", data=data)
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert "Bitte versuchen Sie es gleich noch einmal" in text
    assert "ganz oder gar nicht gespeichert" in text
    assert registrations_of(event) == []  # nothing half-written
    assert any(GAVE_UP in w for w in warnings_of(caplog))

    again = client.post(f"/events/{event.slug}/register", data=data)
    assert again.status_code == 303
    assert len(registrations_of(event)) == 1
    third = client.post(f"/events/{event.slug}/register", data=data)  # and once more
    assert third.status_code == 200 and len(registrations_of(event)) == 1


def test_a_back_office_post_is_not_run_twice_and_answers_503(
    client, submit_form, make_user, faults, caplog
):
    log_in(submit_form, make_user(role=Role.ORGANISER))
    caplog.set_level(logging.WARNING, logger="roadshow.resilience")
    page = client.get("/organiser/tours/new").get_data(as_text=True)
    faults.before_statement(r"INSERT INTO tour\b")
    response = client.post(
        "/organiser/tours/new",
        data={
            "csrf_token": csrf_token_from(page),
            "title": "Herbsttour",
            "slug": "",
            "description": "",
        },
    )
    assert response.status_code == 503
    assert "Bitte versuchen Sie es gleich noch einmal" in response.get_data(as_text=True)
    assert len(faults.killed) == 1  # not replayed
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Tour.id))) == 0
    assert any(GAVE_UP in w and "POST /organiser/tours/new" in w for w in warnings_of(caplog))


def test_the_api_answers_503_in_json_with_retry_after(client, make_event, faults):
    event = make_event()
    faults.before_statement(r"FROM event\b", times=2)
    listing = client.get("/api/v1/events")
    assert listing.status_code == 503
    assert listing.headers["Retry-After"].isdigit()
    assert "noch einmal" in listing.get_json()["error"]

    faults.before_statement(r"FROM event\b")
    assert client.get("/api/v1/events").status_code == 200  # one loss: the second run serves

    body = {
        "company": {
            "name": "Gasthof Post",
            "size": "10-49",
            "industry": "gastgewerbe",
            "postcode": "82418",
            "town": "Murnau",
        },
        "contact": {"name": "Lena Maier", "email": "lena@gasthof-post.example"},
        "attendees": [{"name": "Lena Maier", "email": "lena@gasthof-post.example"}],
        "privacy_consent": True,
    }
    faults.before_statement(r"INSERT INTO registration\b")
    created = client.post(f"/api/v1/events/{event.id}/registrations", json=body)
    # The client decides whether to send it again (with its Idempotency-Key): not replayed.
    assert created.status_code == 503 and "error" in created.get_json()
    assert len(faults.killed) == 4
    assert registrations_of(event) == []


def test_only_a_lost_connection_counts_as_unavailable_a_wrong_statement_stays_an_error(
    app, database_url
):
    from roadshow.errors import database_unavailable

    with pytest.raises(sa.exc.DBAPIError) as wrong:
        db.session.execute(sa.text("SELECT * FROM no_such_table"))
    db.session.rollback()
    assert not database_unavailable(wrong.value)

    pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    terminate(database_url, pid)
    with pytest.raises(sa.exc.DBAPIError) as lost:
        db.session.execute(sa.text("SELECT 1"))
    db.session.rollback()
    assert database_unavailable(lost.value)

    refused = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:1/nothing")
    with pytest.raises(sa.exc.DBAPIError) as unreachable:
        refused.connect()
    refused.dispose()
    assert database_unavailable(unreachable.value)


# --- the storm: 35 companies, four workers, every backend terminated three times ----------

COMPANIES = 35
KILLS = 3


class Company:
    """One browser: the form fetched once (cookie, CSRF token, submission key), posted."""

    def __init__(self, host: str, port: int, path: str, n: int) -> None:
        self.address, self.path, self.name = (host, port), path, f"Firma {n}"
        connection = http.client.HTTPConnection(host, port, timeout=60)
        connection.request("GET", path)
        response = connection.getresponse()
        page = response.read().decode()
        assert response.status == 200, page
        self.cookie = response.getheader("Set-Cookie", "").split(";", 1)[0]
        self.body = urlencode(
            {
                "csrf_token": csrf_token_from(page),
                "submission_key": SUBMISSION_KEY.search(page).group(1),
                **form_fields((f"Person {n}", f"person{n}@storm.example"), company_name=self.name),
            }
        )
        connection.close()

    def submit(self) -> tuple[int, str]:
        connection = http.client.HTTPConnection(*self.address, timeout=60)
        connection.request(
            "POST",
            self.path,
            body=self.body,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie},
        )
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
        connection.close()
        return response.status, text


def kill_backends_while(database_url: str, running: threading.Event, kills: int) -> list[int]:
    """Terminate every other backend of the database ``kills`` times, each time as soon as
    one of them is inside a transaction; how many in-transaction backends each kill ended."""
    ended = []
    with psycopg.connect(libpq_url(database_url), autocommit=True) as killer:
        for _ in range(kills):
            deadline = time.monotonic() + 10
            while running.is_set() and time.monotonic() < deadline:
                busy = killer.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
                ).fetchone()[0]
                if busy:
                    break
                time.sleep(0.002)
            if not running.is_set():
                break
            ended.append(
                killer.execute(
                    "SELECT count(*) FROM ("
                    " SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND xact_start IS NOT NULL) AS ended"
                ).fetchone()[0]
            )
            killer.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            time.sleep(0.15)
    return ended


@contextmanager
def serving(database_url: str, tmp_path: Path, app: str) -> Iterator[tuple[str, int]]:
    with gunicorn(app_environment(database_url, tmp_path), app=app) as address:
        yield address


def storm(database_url: str, host: str, port: int, path: str) -> tuple[list[Company], list, list]:
    companies = [Company(host, port, path, n) for n in range(COMPANIES)]
    answers: list[tuple[int, str]] = [(0, "")] * COMPANIES
    start = threading.Barrier(COMPANIES + 1)
    running = threading.Event()
    running.set()
    ended: list[int] = []

    def company(index: int) -> None:
        start.wait()
        answers[index] = companies[index].submit()

    def killer() -> None:
        start.wait()
        ended.extend(kill_backends_while(database_url, running, KILLS))

    threads = [threading.Thread(target=company, args=(i,)) for i in range(COMPANIES)]
    chaos = threading.Thread(target=killer)
    for thread in [*threads, chaos]:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    running.clear()
    chaos.join(timeout=30)
    return companies, answers, ended


def test_terminated_backends_under_35_registrations_give_no_500_and_no_half_registration(
    app, make_event, database_url, tmp_path
):
    event = make_event(capacity=30)  # some confirmed, some waiting
    path = f"/events/{event.slug}/register"
    db.session.rollback()  # the test holds no transaction the storm would count or end
    with serving(database_url, tmp_path, "wsgi:app") as (host, port):
        companies, answers, ended = storm(database_url, host, port, path)
        statuses = Counter(status for status, _text in answers)
        print(
            f"\n{COMPANIES} registrations, backends in a transaction ended per kill: {ended};"
            f" answers {dict(statuses)}"
        )
        assert sum(ended) > 0, "no kill hit a request: the test proved nothing"
        for status, text in answers:
            assert status in (303, 200, 503), (status, text[:300])
            if status == 200:
                assert "bereits eingegangen" in text
            if status == 503:
                assert "Bitte versuchen Sie es gleich noch einmal" in text
        # Whoever got 503 submits again, as the page asks.
        for company, (status, _text) in zip(companies, answers, strict=True):
            if status == 503:
                assert company.submit()[0] in (200, 303)

    db.session.expire_all()
    registrations = registrations_of(event)
    per_company = Counter(r.company_name for r in registrations)
    assert per_company == Counter({c.name: 1 for c in companies})
    outbox = Counter(
        (row.registration_id, row.template) for row in db.session.scalars(sa.select(OutboxMessage))
    )
    for registration in registrations:
        assert len(registration.attendees) == 1, registration.company_name
        kind = "confirmed" if registration.is_confirmed else "waitlisted"
        assert outbox[(registration.id, f"registrations/{kind}")] == 1, registration.company_name
    assert db.session.scalar(sa.select(sa.func.count(Attendee.id))) == COMPANIES


def test_control_without_the_replay_the_same_storm_answers_500(
    app, make_event, database_url, tmp_path
):
    event = make_event(capacity=30)
    path = f"/events/{event.slug}/register"
    db.session.rollback()
    with serving(database_url, tmp_path, "tests.wsgi_without_replay:app") as (host, port):
        _companies, answers, ended = storm(database_url, host, port, path)
    statuses = Counter(status for status, _text in answers)
    print(f"\ncontrol without the replay: ended per kill {ended}; answers {dict(statuses)}")
    assert sum(ended) > 0
    assert statuses[500] > 0, "the storm hit no request: the main test proves nothing"
