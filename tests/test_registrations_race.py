"""Never overbooked: many companies race for five seats, in threads and in worker processes.

Each run fires simultaneous registrations (one attendee each) through the real form at an
event with five seats, then counts from the database. With the lock, exactly five seats are
confirmed and every other registration waits, with no error response. The control run
takes the lock away from the test side (``lock_event`` patched to a plain read: with
``monkeypatch`` for threads, with ``tests/wsgi_without_lock.py`` for gunicorn), so seats are
counted and inserted the naive way, and must overbook, which proves that the test can see
an overbooking. Figures are printed; run with ``pytest -s`` to read them.
"""

from __future__ import annotations

import http.client
import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from roadshow.registrations import services
from roadshow.registrations.models import Registration, RegistrationStatus
from roadshow.registrations.services import recount_seats, seats_taken
from tests.conftest import backend_name, csrf_token_from
from tests.fixtures_registrations import form_fields, read_event_without_lock
from tests.fixtures_servers import app_environment, gunicorn

SEATS = 5
RACERS = 24
MODES = pytest.mark.parametrize("locked", [True, False], ids=["locked", "control-without-lock"])


@pytest.fixture
def app_config() -> dict[str, object]:
    # The racers all come from 127.0.0.1: the rate limit would stop them first.
    return {"RATELIMIT_ENABLED": False}


@dataclass
class Figures:
    confirmed_seats: int
    confirmed: int
    waitlisted: int
    errors: int
    statuses: Counter[int]
    racers: int = RACERS
    seats: int = SEATS

    def line(self, label: str) -> str:
        return (
            f"{label} [{backend_name()}]: {self.racers} simultaneous registrations for "
            f"{self.seats} seats -> "
            f"{self.confirmed_seats} seats confirmed, {self.waitlisted} waitlisted, "
            f"{self.errors} error responses (HTTP {dict(self.statuses)})"
        )


def figures(db, event, statuses: list[int], already_taken: int = 0) -> Figures:
    db.session.expire_all()
    by_status = dict(
        db.session.execute(
            select(Registration.status, func.count(Registration.id))
            .where(Registration.event_id == event.id)
            .group_by(Registration.status)
        ).all()
    )
    return Figures(
        confirmed_seats=seats_taken(db.session, event.id) - already_taken,
        confirmed=by_status.get(RegistrationStatus.CONFIRMED, 0) - already_taken,
        waitlisted=by_status.get(RegistrationStatus.WAITLISTED, 0),
        errors=sum(1 for s in statuses if s != 303),
        statuses=Counter(statuses),
        racers=len(statuses),
        seats=event.capacity - already_taken,
    )


def check(db, event, result: Figures, locked: bool) -> None:
    if not locked:
        # Without the lock the stored count is as wrong as the bookings; set it right for
        # the check that runs after every test.
        recount_seats(db.session, db.session.get(type(event), event.id))
        db.session.commit()
        assert result.confirmed_seats > result.seats, "the control run did not overbook"
    else:
        assert result.confirmed_seats == result.seats
        assert result.confirmed == result.seats
        assert result.waitlisted == result.racers - result.seats
        assert result.errors == 0


def race(posts: list) -> list[int]:
    """Run the prepared POSTs at once, each in its own thread; their HTTP statuses."""
    statuses = [0] * len(posts)
    start = threading.Barrier(len(posts))

    def run(index: int) -> None:
        start.wait()
        statuses[index] = posts[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(posts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


@MODES
def test_threads_racing_through_the_form(app, db, client, make_event, locked, monkeypatch):
    if not locked:
        monkeypatch.setattr(services, "lock_event", read_event_without_lock)
    event = make_event(capacity=SEATS)
    url = f"/events/{event.slug}/register"
    posts = []
    for n in range(RACERS):
        racer = app.test_client()  # its own cookies, CSRF token and submission key
        page = racer.get(url).get_data(as_text=True)
        key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)
        data = {
            "csrf_token": csrf_token_from(page),
            "submission_key": key,
            **form_fields((f"Racer {n}", f"racer{n}@race.example"), company_name=f"Firma {n}"),
        }
        posts.append(lambda racer=racer, data=data: racer.post(url, data=data).status_code)
    result = figures(db, event, race(posts))
    label = "locked" if locked else "control without lock"
    print("\n" + result.line(f"{RACERS} threads, {label}"))
    check(db, event, result, locked)


@contextmanager
def worker_processes(
    database_url: str, tmp_path: Path, *, app: str = "wsgi:app"
) -> Iterator[tuple[str, int]]:
    """gunicorn with 4 worker processes (8 threads each) on 127.0.0.1, on a free port."""
    environment = app_environment(database_url, tmp_path)
    with gunicorn(environment, app=app) as address:
        yield address


def prepared_post(host: str, port: int, path: str, n: int):
    """GET the form like a browser (cookie, CSRF token, submission key); return the POST."""
    connection = http.client.HTTPConnection(host, port, timeout=60)
    connection.request("GET", path)
    response = connection.getresponse()
    page = response.read().decode()
    assert response.status == 200, page
    cookie = response.getheader("Set-Cookie", "").split(";", 1)[0]
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)
    body = urlencode(
        {
            "csrf_token": csrf_token_from(page),
            "submission_key": key,
            **form_fields((f"Racer {n}", f"racer{n}@race.example"), company_name=f"Firma {n}"),
        }
    )
    connection.close()

    def post() -> int:
        connection = http.client.HTTPConnection(host, port, timeout=60)
        connection.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        )
        status = connection.getresponse().status
        connection.close()
        return status

    return post


@MODES
def test_worker_processes_racing_through_the_form(
    app, db, make_event, database_url, tmp_path, locked
):
    event = make_event(capacity=SEATS)
    served = "wsgi:app" if locked else "tests.wsgi_without_lock:app"
    with worker_processes(database_url, tmp_path, app=served) as (host, port):
        path = f"/events/{event.slug}/register"
        posts = [prepared_post(host, port, path, n) for n in range(RACERS)]
        statuses = race(posts)
    result = figures(db, event, statuses)
    label = "locked" if locked else "control without lock"
    print("\n" + result.line(f"4 gunicorn worker processes, {label}"))
    check(db, event, result, locked)


LAST_SEATS_RACERS = 50


@MODES
def test_50_clients_race_for_the_last_5_seats_of_a_4_worker_gunicorn(
    app, db, make_event, register_company, database_url, tmp_path, locked
):
    """The event is nearly full (15 of 20 seats taken) when 50 companies submit at once."""
    event = make_event(capacity=15 + SEATS)
    for n in range(15):
        register_company(event, f"Frühbucher {n}")
    served = "wsgi:app" if locked else "tests.wsgi_without_lock:app"
    with worker_processes(database_url, tmp_path, app=served) as (host, port):
        path = f"/events/{event.slug}/register"
        posts = [prepared_post(host, port, path, n) for n in range(LAST_SEATS_RACERS)]
        statuses = race(posts)
    result = figures(db, event, statuses, already_taken=15)
    label = "locked" if locked else "control without lock"
    print("\n" + result.line(f"4 gunicorn worker processes, last seats, {label}"))
    assert result.racers == LAST_SEATS_RACERS and result.seats == SEATS
    check(db, event, result, locked)
