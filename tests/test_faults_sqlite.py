"""SQLite under concurrent writers: no "database is locked" reaches anyone.

For a few seconds, at once and against one database file: companies register through the
form and through the API of a gunicorn with two worker processes, a door checks people in
through the API, and ``flask mail deliver --loop`` delivers the confirmations to a real SMTP
server. Every answer is checked (no 5xx, no "locked"), the servers' and the worker's output
too, and the counts add up: every registration that was answered as stored is in the
database, every check-in once, every message delivered exactly once.
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from roadshow.attendance.models import CheckIn
from roadshow.extensions import db
from roadshow.mail.models import OutboxMessage, OutboxStatus
from roadshow.registrations.models import Registration
from tests.conftest import backend_name, csrf_token_from
from tests.fixtures_registrations import form_fields
from tests.fixtures_servers import ROOT, app_environment, gunicorn

pytestmark = pytest.mark.skipif(backend_name() != "sqlite", reason="the SQLite file database")

LOAD_SECONDS = 4.0
SUBMISSION_KEY = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"RATELIMIT_ENABLED": False}


def environment(database_url: str, tmp_path: Path, smtp_port: int) -> dict[str, str]:
    return app_environment(
        database_url,
        tmp_path,
        ROADSHOW_MAIL_SERVER="127.0.0.1",
        ROADSHOW_MAIL_PORT=str(smtp_port),
    )


class Browser:
    """One HTTP client with its cookie; records every answer."""

    def __init__(self, host: str, port: int, answers: list[tuple[str, int, str]]) -> None:
        self.host, self.port, self.cookie, self.answers = host, port, "", answers

    def request(self, method: str, path: str, body: str = "", **headers: str) -> tuple[int, str]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        if self.cookie:
            headers["Cookie"] = self.cookie
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
        if response.getheader("Set-Cookie"):
            self.cookie = response.getheader("Set-Cookie", "").split(";", 1)[0]
        connection.close()
        self.answers.append((f"{method} {path}", response.status, text))
        return response.status, text


def until(deadline: float, step: Callable[[int], None]) -> Callable[[], None]:
    def run() -> None:
        n = 0
        while time.monotonic() < deadline:
            step(n)
            n += 1

    return run


def test_a_savepoint_before_the_first_write_stays_inside_the_transaction(
    app, make_event, register_company
):
    """A check-in writes its row inside a savepoint (it may lose a race for the row). Were
    the savepoint the start of its own transaction, its RELEASE would commit the row, and a
    request rolled back later would leave the check-in behind."""
    from roadshow.attendance import checkin
    from roadshow.attendance.models import CheckInMethod

    event = make_event()
    attendee = register_company(event, "Lena Maier").registration.attendees[0]
    checkin.check_in(db.session, event, attendee, method=CheckInMethod.MANUAL, by=None)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(CheckIn.id))) == 0


def test_form_api_mail_worker_and_check_in_at_once_never_see_a_locked_database(
    app, make_event, register_company, api_token, smtp_sink, database_url, tmp_path, capfd
):
    assert database_url.startswith("sqlite:///")
    event = make_event(capacity=10_000)
    at_the_door = [register_company(event, f"Gast {n}").registration for n in range(30)]
    codes = [r.attendees[0].check_in_code for r in at_the_door]
    _user, token = api_token()
    event_id, slug = event.id, event.slug
    db.session.remove()

    answers: list[tuple[str, int, str]] = []
    stored = Counter[str]()
    checked_in: set[str] = set()
    env = environment(database_url, tmp_path, smtp_sink.port)
    worker_log = tmp_path / "mail-worker.log"
    options = ("--workers=2", "--worker-class=gthread", "--threads=4")
    with gunicorn(env, options=options) as (host, port), worker_log.open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi:app", "mail", "deliver", "--loop"]
            + ["--interval", "0.2", "--batch", "5"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started = time.monotonic() + 60
        while "Delivering mail" not in worker_log.read_text():
            assert worker.poll() is None and time.monotonic() < started, worker_log.read_text()
            time.sleep(0.1)
        deadline = time.monotonic() + LOAD_SECONDS

        def through_the_form(prefix: str) -> Callable[[int], None]:
            browser = Browser(host, port, answers)

            def step(n: int) -> None:
                status, page = browser.request("GET", f"/events/{slug}/register")
                assert status == 200, page[:300]
                body = urlencode(
                    {
                        "csrf_token": csrf_token_from(page),
                        "submission_key": SUBMISSION_KEY.search(page).group(1),
                        **form_fields(
                            (f"Form {prefix}{n}", f"form.{prefix}{n}@sqlite.example"),
                            company_name=f"Form {prefix}{n}",
                        ),
                    }
                )
                status, _text = browser.request(
                    "POST",
                    f"/events/{slug}/register",
                    body,
                    **{"Content-Type": "application/x-www-form-urlencoded"},
                )
                if status == 303:
                    stored[f"Form {prefix}{n}"] += 1

            return step

        def through_the_api(prefix: str) -> Callable[[int], None]:
            client = Browser(host, port, answers)

            def step(n: int) -> None:
                email = f"api.{prefix}{n}@sqlite.example"
                body = {
                    "company": {
                        "name": f"API {prefix}{n}",
                        "size": "1-9",
                        "industry": "it",
                        "postcode": "82362",
                        "town": "Weilheim",
                    },
                    "contact": {"name": f"API {prefix}{n}", "email": email},
                    "attendees": [{"name": f"API {prefix}{n}", "email": email}],
                    "privacy_consent": True,
                }
                status, _text = client.request(
                    "POST",
                    f"/api/v1/events/{event_id}/registrations",
                    json.dumps(body),
                    **{"Content-Type": "application/json"},
                )
                if status == 201:
                    stored[f"API {prefix}{n}"] += 1

            return step

        def at_the_door_step(n: int) -> None:
            code = codes[n % len(codes)]
            status, _text = Browser(host, port, answers).request(
                "POST",
                f"/api/v1/events/{event_id}/check-ins",
                json.dumps({"code": code}),
                **{"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            )
            if status in (200, 201):
                checked_in.add(code)

        threads = [
            threading.Thread(target=until(deadline, step))
            for step in (
                through_the_form("a"),
                through_the_form("b"),
                through_the_api("a"),
                through_the_api("b"),
                at_the_door_step,
            )
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0

    # One last batch for what the worker had not reached yet.
    drain = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi:app", "mail", "deliver"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = capfd.readouterr()
    logs = output.out + output.err + worker_log.read_text() + drain.stdout + drain.stderr
    by_status = Counter(status for _what, status, _text in answers)
    print(f"\n{len(answers)} requests in {LOAD_SECONDS:.0f} s: {dict(by_status)}")
    print(f"stored {sum(stored.values())} registrations, checked in {len(checked_in)} people")
    assert drain.returncode == 0, logs[-2000:]

    assert [(what, status) for what, status, _text in answers if status >= 500] == []
    assert [what for what, _status, text in answers if "locked" in text.lower()] == []
    assert "locked" not in logs.lower(), logs[-2000:]
    assert "Traceback" not in logs, logs[-2000:]
    assert by_status[201] and by_status[303], "no registration went through"

    db.session.expire_all()
    names = Counter(
        db.session.scalars(
            sa.select(Registration.company_name).where(
                Registration.company_name.like("Form %") | Registration.company_name.like("API %")
            )
        )
    )
    assert names == stored
    rows = db.session.scalars(sa.select(CheckIn).where(CheckIn.event_id == event_id)).all()
    assert len(rows) == len({r.attendee_id for r in rows}) == len(checked_in)
    statuses = Counter(db.session.scalars(sa.select(OutboxMessage.status)))
    assert set(statuses) == {OutboxStatus.SENT}, statuses
    delivered = Counter(m.message_id for m in smtp_sink.messages)
    assert set(delivered.values()) == {1}
    assert sum(delivered.values()) == statuses[OutboxStatus.SENT]
    # Per registration: the company's confirmation and the attendee's invitation.
    assert statuses[OutboxStatus.SENT] == 2 * (len(at_the_door) + sum(stored.values()))
