"""Requests per second of Roadshow under gunicorn, beside a bare Flask app served the same way.

    make bench                                    # SQLite, then PostgreSQL if it answers
    .venv/bin/python bench/pages.py [--duration 10] [--databases sqlite,postgresql]
                                    [--postgres-admin-url URL] [--output docs/benchmarks.md]

For each database: a fresh database is migrated, seeded with the demo tour and then filled up
to 500 events and 20,000 registrations; Roadshow and ``bench/bare.py`` are served by gunicorn
with 2 sync workers on 127.0.0.1, one after the other. Debian's ``wrk`` (2 threads, 10
connections, a bounded run per line) measures the pages; a Python client of 1, 4 and 16
threads completes registrations through the real form (GET the form, POST it, follow to the
thank-you page). Every line is printed beside the bare app's figure of the same run and as a
ratio to it. PostgreSQL gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
EVENTS = 500
REGISTRATIONS = 20_000
WORKERS = 2
CONNECTIONS = 10
CLIENTS = (1, 4, 16)
SECRET_KEY = "bench-secret-key-0123456789abcdef0123456789"
CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|value="([^"]+)" name="csrf_token"'
)
KEY = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')


# -- the data set --------------------------------------------------------------------------


def prepare_database(environment: dict[str, str]) -> dict[str, str]:
    """Migrate, seed the demo, fill up to EVENTS events and REGISTRATIONS registrations.
    Returns the paths that the lines measure."""
    flask = [sys.executable, "-m", "flask", "--app", "roadshow"]
    for command in (["db", "upgrade"], ["demo", "seed"]):
        subprocess.run(
            [*flask, *command],
            env=environment,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    script = "from bench.pages import fill; fill()"
    output = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(line.split("=", 1) for line in output.split() if "=" in line)


def fill() -> None:
    """Run inside the app's environment: bulk rows beside the demo's, as an organiser's
    second year would hold them (half of the events past)."""
    import sqlalchemy as sa
    from sqlalchemy import func, insert, select

    from roadshow import create_app
    from roadshow.events.models import (
        Event,
        EventKind,
        EventPartner,
        EventStatus,
        PartnerRole,
        Tour,
        Venue,
    )
    from roadshow.extensions import db
    from roadshow.partners.models import Partner
    from roadshow.registrations.models import (
        Attendee,
        AttendeeStatus,
        Registration,
        RegistrationStatus,
    )
    from roadshow.tokens import new_check_in_code

    app = create_app()
    with app.app_context():
        session = db.session
        now = datetime.now(UTC).replace(microsecond=0)
        tours = list(session.scalars(select(Tour).order_by(Tour.id)))
        partners = list(session.scalars(select(Partner).order_by(Partner.id)))
        venues = list(session.scalars(select(Venue).order_by(Venue.id)))
        first_id = (session.scalar(select(func.max(Event.id))) or 0) + 1
        missing = EVENTS - session.scalar(select(func.count(Event.id)))
        events = []
        for n in range(missing):
            kind = [EventKind.STOP, EventKind.WEBINAR, EventKind.WORKSHOP][n % 3]
            starts = (now + timedelta(days=(n * 730) // missing - 365)).replace(
                hour=9, minute=0, second=0
            )
            events.append(
                {
                    "id": first_id + n,
                    "uid": f"bench-{n}@roadshow.example",
                    "kind": kind,
                    "status": EventStatus.PUBLISHED,
                    "slug": f"bench-{n}",
                    "title": f"Digitalisierung im Mittelstand, Teil {n}",
                    "description": "Praxisberichte, Förderprogramme und ein offener Austausch.",
                    "tour_id": tours[n % len(tours)].id if n % 4 else None,
                    "venue_id": None if kind is EventKind.WEBINAR else venues[n % len(venues)].id,
                    "starts_at": starts,
                    "ends_at": starts + timedelta(hours=3),
                    "capacity": 1_000_000 if n == missing - 1 else 120,
                    "seats_taken": 0,
                    "published_at": now - timedelta(days=400),
                }
            )
        session.execute(insert(Event), events)
        session.execute(
            insert(EventPartner),
            [
                {
                    "event_id": e["id"],
                    "partner_id": partners[i % len(partners)].id,
                    "role": PartnerRole.HOST if i % 2 else PartnerRole.SPEAKER,
                }
                for i, e in enumerate(events)
            ],
        )
        registrations, attendees = [], []
        first_registration = (session.scalar(select(func.max(Registration.id))) or 0) + 1
        first_attendee = (session.scalar(select(func.max(Attendee.id))) or 0) + 1
        for n in range(REGISTRATIONS):
            event = events[n % (len(events) - 1)]
            registration_id = first_registration + n
            made = now - timedelta(minutes=26 * n)  # over the last year
            registrations.append(
                {
                    "id": registration_id,
                    "event_id": event["id"],
                    "status": RegistrationStatus.CONFIRMED,
                    "token_hash": f"bench{n:059x}",
                    "company_name": f"Firma {n}",
                    "town": "Weilheim",
                    "contact_name": "Kontakt",
                    "contact_email": f"kontakt{n}@firma.example",
                    "privacy_consent_at": now,
                    "confirmed_at": made,
                    "created_at": made,
                    "updated_at": made,
                }
            )
            attendees.append(
                {
                    "id": first_attendee + n,
                    "registration_id": registration_id,
                    "event_id": event["id"],
                    "name": f"Person {n}",
                    "email": f"person{n}@firma.example",
                    "email_normalized": f"person{n}@firma.example",
                    "status": AttendeeStatus.ACTIVE,
                    "check_in_code": new_check_in_code(),
                    "created_at": now,
                    "updated_at": now,
                }
            )
        for start in range(0, REGISTRATIONS, 5_000):
            session.execute(insert(Registration), registrations[start : start + 5_000])
            session.execute(insert(Attendee), attendees[start : start + 5_000])
        taken = (
            select(func.count(Attendee.id))
            .join(Registration, Registration.id == Attendee.registration_id)
            .where(
                Attendee.event_id == Event.id,
                Registration.status == RegistrationStatus.CONFIRMED,
                Attendee.status == AttendeeStatus.ACTIVE,
            )
            .scalar_subquery()
        )
        session.execute(sa.update(Event).values(seats_taken=taken))
        if db.engine.dialect.name == "postgresql":
            session.execute(
                sa.text(
                    "SELECT setval(pg_get_serial_sequence('event', 'id'), "
                    "(SELECT max(id) FROM event))"
                )
            )
            session.execute(
                sa.text(
                    "SELECT setval(pg_get_serial_sequence('registration', 'id'), "
                    "(SELECT max(id) FROM registration))"
                )
            )
            session.execute(
                sa.text(
                    "SELECT setval(pg_get_serial_sequence('attendee', 'id'), "
                    "(SELECT max(id) FROM attendee))"
                )
            )
        session.commit()
        if db.engine.dialect.name == "postgresql":
            session.execute(sa.text("ANALYZE"))
            session.commit()
        upcoming = session.scalar(
            select(Event.slug)
            .where(Event.starts_at > now, Event.venue_id.is_not(None))
            .order_by(Event.starts_at)
            .limit(1)
        )
        town = session.scalar(select(Venue.town).order_by(Venue.id).limit(1))
        print(f"event=/events/{upcoming}")
        print(f"register=/events/{events[-1]['slug']}/register")
        print(f"town={town}")


# -- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(app: str, environment: dict[str, str], chdir: Path) -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            f"--workers={WORKERS}",
            "--worker-class=sync",
            f"--bind=127.0.0.1:{port}",
            f"--chdir={chdir}",
            "--log-level=warning",
            app,
        ],
        env=environment,
        cwd=chdir,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _, _ = request(base, "GET", "/")
                if status < 500:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn for {app} did not start")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def request(
    base: str,
    method: str,
    path: str,
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], str]:
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text
    finally:
        connection.close()


# -- measurements ----------------------------------------------------------------------------


@dataclass
class Figure:
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(base: str, path: str, duration: float, headers: dict[str, str] | None = None) -> Figure:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{max(1, round(duration))}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, base + path], capture_output=True, text=True, check=True
    ).stdout

    def latency(percent: str) -> float:
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        assert found, output
        return float(found.group(1)) * UNITS[found.group(2)]

    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert rate, output
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return Figure(float(rate.group(1)), latency("50"), latency("99"), errors)


def register_once(base: str, form_path: str, name: str) -> None:
    """One company's registration as a browser makes it; raises on anything unexpected."""
    status, headers, page = request(base, "GET", form_path)
    if status != 200:
        raise RuntimeError(f"form: {status}")
    cookie = headers.get("set-cookie", "").split(";", 1)[0]
    token, key = CSRF.search(page), KEY.search(page)
    if not token or not key:
        raise RuntimeError("form without token")
    fields = {
        "csrf_token": token.group(1) or token.group(2),
        "submission_key": key.group(1),
        "company_name": f"Firma {name}",
        "company_size": "10-49",
        "industry": "handwerk",
        "postcode": "82362",
        "town": "Weilheim",
        "contact_name": f"Kontakt {name}",
        "contact_email": f"{name}@firma.example",
        "language": "de",
        "privacy_consent": "y",
        "attendees-0-name": f"Person {name}",
        "attendees-0-email": f"{name}@firma.example",
    }
    status, headers, page = request(
        base,
        "POST",
        form_path,
        urlencode(fields),
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    if status not in (302, 303):
        raise RuntimeError(f"post: {status} {page[:200]}")
    status, _, _ = request(
        base,
        "GET",
        urlsplit(headers["location"]).path + "?" + urlsplit(headers["location"]).query,
        headers={"Cookie": cookie},
    )
    if status != 200:
        raise RuntimeError(f"thanks: {status}")


def flows(base: str, form_path: str, clients: int, duration: float) -> Figure:
    """Completed registrations per second with ``clients`` browsers at once, closed loop."""
    latencies: list[float] = []
    errors = [0]
    stop = time.monotonic() + duration
    lock = threading.Lock()
    run = f"{random.randrange(16**6):06x}"

    def client(number: int) -> None:
        n = 0
        while time.monotonic() < stop:
            n += 1
            started = time.perf_counter()
            try:
                register_once(base, form_path, f"b{run}c{number}n{n}")
            except Exception:  # noqa: BLE001 - counted, and the run goes on
                with lock:
                    errors[0] += 1
                continue
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    if not latencies:
        return Figure(0.0, 0.0, 0.0, errors[0])
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return Figure(len(latencies) / elapsed, cuts[49], cuts[98], errors[0])


def login_cookie(base: str, email: str, password: str) -> str:
    status, headers, page = request(base, "GET", "/login")
    cookie = headers.get("set-cookie", "").split(";", 1)[0]
    token = CSRF.search(page)
    assert status == 200 and token, "login page"
    body = urlencode(
        {"csrf_token": token.group(1) or token.group(2), "email": email, "password": password}
    )
    status, headers, _ = request(
        base,
        "POST",
        "/login",
        body,
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    assert status in (302, 303), f"login answered {status}"
    return headers["set-cookie"].split(";", 1)[0]


# -- one database ------------------------------------------------------------------------------


@dataclass
class Line:
    name: str
    app: Figure
    bare: Figure

    @property
    def ratio(self) -> float:
        return self.app.per_second / self.bare.per_second if self.bare.per_second else 0.0


def measure(label: str, database_url: str, folder: Path, duration: float) -> list[Line]:
    environment = {
        **os.environ,
        "ROADSHOW_ENV": "development",
        "ROADSHOW_SECRET_KEY": SECRET_KEY,
        "ROADSHOW_DATABASE_URL": database_url,
        "ROADSHOW_INSTANCE_PATH": str(folder / "instance"),
        "ROADSHOW_BASE_URL": "http://127.0.0.1",
        "ROADSHOW_RATELIMIT_ENABLED": "false",
        # As in production: the mail worker sends, not the request that wrote the mail.
        "ROADSHOW_MAIL_DELIVER_AFTER_REQUEST": "false",
        "PYTHONPATH": str(ROOT),
    }
    started = time.perf_counter()
    paths = prepare_database(environment)
    print(
        f"[{label}] seeded {EVENTS} events, {REGISTRATIONS:,} registrations "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    lines: list[Line] = []
    with served("bare:app", environment, ROOT / "bench") as bare_base:
        bare = wrk(bare_base, "/", duration)
        bare_flows = {n: flows(bare_base, "/form", n, duration) for n in CLIENTS}
    with served("wsgi:app", environment, ROOT) as base:
        _, headers, _ = request(base, "GET", "/calendar.ics")
        etag = headers.get("etag", "")
        cookie = login_cookie(base, "organisator@roadshow.example", "roadshow-demo-2027")
        pages = [
            ("start page", "/", {}),
            ("event page", paths["event"], {}),
            ("filtered listing", f"/?{urlencode({'town': paths['town'], 'kind': 'stop'})}", {}),
            ("feed /calendar.ics", "/calendar.ics", {}),
            ("feed, If-None-Match → 304", "/calendar.ics", {"If-None-Match": etag}),
            ("API /api/v1/events", "/api/v1/events", {}),
            ("back-office dashboard", "/organiser/", {"Cookie": cookie}),
        ]
        for name, path, headers in pages:
            lines.append(Line(name, wrk(base, path, duration, headers), bare))
            print(f"[{label}] {format_line(lines[-1])}", flush=True)
        for clients in CLIENTS:
            figure = flows(base, paths["register"], clients, duration)
            lines.append(
                Line(
                    f"registrations, {clients} client{'s' * (clients > 1)}",
                    figure,
                    bare_flows[clients],
                )
            )
            print(f"[{label}] {format_line(lines[-1])}", flush=True)
    return lines


def format_line(line: Line) -> str:
    return (
        f"{line.name}: {line.app.per_second:,.0f}/s (p50 {line.app.p50_ms:.1f} ms, "
        f"p99 {line.app.p99_ms:.1f} ms, errors {line.app.errors}) vs bare "
        f"{line.bare.per_second:,.0f}/s = {line.ratio:.2f}"
    )


# -- PostgreSQL, the report --------------------------------------------------------------------


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str | None]:
    try:
        import psycopg
    except ImportError:
        yield None
        return
    name = f"roadshow_bench_{os.getpid()}"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as connection:
            connection.execute(f"CREATE DATABASE {name}")
    except psycopg.Error as error:
        print(f"PostgreSQL not measured: {error}".strip(), file=sys.stderr)
        yield None
        return
    address = urlsplit(admin_url)
    try:
        yield address._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def versions(postgres_url: str | None) -> list[str]:
    import sqlite3

    names = [
        "flask",
        "werkzeug",
        "jinja2",
        "sqlalchemy",
        "flask-sqlalchemy",
        "gunicorn",
        "psycopg",
        "icalendar",
    ]
    found = [f"{n} {metadata.version(n)}" for n in names if _installed(n)]
    found.insert(0, f"Python {platform.python_version()}")
    found.append(f"SQLite {sqlite3.sqlite_version}")
    if postgres_url:
        import psycopg

        with psycopg.connect(postgres_url) as connection:
            row = connection.execute("SHOW server_version").fetchone()
            found.append(f"PostgreSQL {row[0].split()[0] if row else '?'}")
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    found.append((wrk_version.stdout or wrk_version.stderr).split("[")[0].strip())
    return found


def _installed(name: str) -> bool:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory = int(Path("/proc/meminfo").read_text().split()[1]) / 1024**2
    except OSError:
        memory = 0.0
    return f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB, {platform.platform()}"


# The goals (issue "fast at the limit"): a ratio to the bare app in the same run for pages;
# for registrations through the form, completed ones per second with a p99 and no error.
RATIO_TARGETS = {
    "start page": 0.3,
    "event page": 0.5,
    "filtered listing": 0.3,
    "feed /calendar.ics": 0.5,
    "feed, If-None-Match → 304": 0.8,
    "API /api/v1/events": 0.3,
}


def target(label: str, line: Line) -> str:
    if line.name in RATIO_TARGETS:
        goal = RATIO_TARGETS[line.name]
        return f"≥ {goal} {'met' if line.ratio >= goal and not line.app.errors else 'not met'}"
    if line.name == "registrations, 16 clients" and label == "PostgreSQL":
        met = line.app.per_second >= 100 and line.app.p99_ms < 500 and not line.app.errors
        return f"≥ 100/s, p99 < 500 ms, no error: {'met' if met else 'not met'}"
    if line.name.startswith("registrations") and label == "SQLite":
        return f"no error: {'met' if not line.app.errors else 'not met'}"
    return ""


def table(results: dict[str, list[Line]]) -> str:
    rows = [
        "| | database | per second | p50 ms | p99 ms | errors | bare Flask, same run | ratio "
        "| target |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for label, lines in results.items():
        for line in lines:
            rows.append(
                f"| {line.name} | {label} | {line.app.per_second:,.0f} | {line.app.p50_ms:.1f} | "
                f"{line.app.p99_ms:.1f} | {line.app.errors} | {line.bare.per_second:,.0f} | "
                f"{line.ratio:.2f} | {target(label, line)} |"
            )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per line")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres-admin-url",
        default=os.environ.get(
            "ROADSHOW_BENCH_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--output", help="also write the report (Markdown) to this file")
    arguments = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2
    wanted = arguments.databases.split(",")
    results: dict[str, list[Line]] = {}
    postgres_url = None
    with tempfile.TemporaryDirectory() as folder:
        if "sqlite" in wanted:
            path = Path(folder) / "sqlite"
            path.mkdir()
            results["SQLite"] = measure(
                "SQLite", f"sqlite:///{path / 'bench.sqlite'}", path, arguments.duration
            )
        if "postgresql" in wanted:
            with postgres_database(arguments.postgres_admin_url) as url:
                if url:
                    path = Path(folder) / "postgresql"
                    path.mkdir()
                    results["PostgreSQL"] = measure("PostgreSQL", url, path, arguments.duration)
                    postgres_url = url
                    report_versions = versions(url)
        if postgres_url is None:
            report_versions = versions(None)
    report = "\n".join(
        [
            "# Benchmarks",
            "",
            "Written by `make bench`; see bench/README.md.",
            "",
            "## Pages, feed, API, back office and registrations beside a bare Flask app",
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}.",
            "",
            "Versions: " + ", ".join(report_versions) + ".",
            "",
            f"gunicorn with {WORKERS} sync workers on 127.0.0.1; {EVENTS} events, "
            f"{REGISTRATIONS:,} registrations; wrk -t2 -c{CONNECTIONS} "
            f"-d{arguments.duration:g}s per page; registrations are completed form flows (GET, "
            "POST, thank-you page) by 1, 4 or 16 clients in a closed loop, beside the same three "
            "requests to the bare app.",
            "",
            table(results),
            "",
        ]
    )
    print()
    print(report)
    if arguments.output:
        Path(arguments.output).parent.mkdir(parents=True, exist_ok=True)
        Path(arguments.output).write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
