"""How fast feeds are built and served.

Builds feeds of 1,000 and 10,000 events from a SQLite file (loading the events alone; the
whole feed with the caches empty; an unchanged feed again, which comes from the cache after
one light query), then serves the 1,000-event feed from real
HTTP servers on 127.0.0.1 (werkzeug's threaded server, and gunicorn with one worker per
core when it is installed) and measures requests per second for the full answer and for
the 304 that a calendar app gets when nothing changed. Loads are bounded.

    .venv/bin/python bench/feeds.py [--requests 300] [--clients 4]
"""

from __future__ import annotations

import argparse
import http.client
import logging
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import insert
from werkzeug.serving import make_server

from roadshow import create_app
from roadshow.calendar.feeds import build_public_feed, select_feed_events
from roadshow.calendar.filters import FeedFilter
from roadshow.calendar.rendering import clear_caches
from roadshow.events.models import Event, EventKind, EventStatus, Venue
from roadshow.extensions import db

TOWNS = ["München", "Weilheim", "Mühldorf", "Ingolstadt", "Rosenheim"]


def make_app(folder: Path, name: str) -> Flask:
    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "bench-secret-key-0123456789abcdef",
            "DATABASE_URL": f"sqlite:///{folder / name}",
            "BASE_URL": "https://roadshow.example.org",
            "RATELIMIT_ENABLED": False,
        },
        instance_path=str(folder / "instance"),
    )
    with app.app_context():
        upgrade()
    # Migrations configure logging; the figures are what this script prints.
    for name in ("alembic", "werkzeug"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return app


def add_events(count: int) -> None:
    """``count`` published events over the next three years, a quarter of them webinars."""
    venues = [
        Venue(name=f"Stadthalle {town}", street="Marktplatz 1", postcode="80000", town=town)
        for town in TOWNS
    ]
    db.session.add_all(venues)
    db.session.flush()
    start = datetime.now(UTC).replace(hour=16, minute=0, second=0, microsecond=0)
    published = start - timedelta(days=30)
    rows = []
    for number in range(count):
        starts_at = start + timedelta(days=1 + number * 1095 // count, hours=number % 3)
        webinar = number % 4 == 0
        rows.append(
            {
                "uid": f"bench-{number}@roadshow",
                "sequence": number % 3,
                "kind": EventKind.WEBINAR if webinar else EventKind.STOP,
                "status": EventStatus.PUBLISHED,
                "slug": f"event-{number}",
                "title": f"Digital vor Ort: Veranstaltung {number}, mit Fragen; und Antworten",
                "description": "Vorträge, Praxisbeispiele und Beratung an den Ständen. " * 3,
                "venue_id": None if webinar else venues[number % len(venues)].id,
                "starts_at": starts_at,
                "ends_at": starts_at + timedelta(hours=2),
                "timezone": "Europe/Berlin",
                "capacity": 50,
                "published_at": published,
                "content_changed_at": published + timedelta(minutes=number),
            }
        )
    db.session.execute(insert(Event), rows)
    db.session.commit()


def best_of(runs: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return min(times)


def measure_build(folder: Path, count: int) -> None:
    app = make_app(folder, f"feeds-{count}.sqlite")
    with app.app_context():
        add_events(count)
        now = datetime.now(UTC)

        def query() -> object:
            db.session.expunge_all()
            return select_feed_events(db.session, FeedFilter(), now=now)

        def cold() -> object:
            clear_caches()
            db.session.expunge_all()
            return build_public_feed(
                db.session, FeedFilter(), name="Roadshow", language="de", now=now
            )

        def warm() -> object:
            db.session.expunge_all()
            return build_public_feed(
                db.session, FeedFilter(), name="Roadshow", language="de", now=now
            )

        runs = 3 if count <= 1000 else 2
        query_time = best_of(runs, query)
        cold_time = best_of(runs, cold)
        warm()
        warm_time = best_of(runs, warm)
        size = len(warm().body)  # type: ignore[attr-defined]
        print(
            f"feed of {count:>6} events: loading the events {query_time * 1000:7.1f} ms | "
            f"building, caches empty {cold_time * 1000:7.1f} ms | "
            f"unchanged, from the cache {warm_time * 1000:7.1f} ms | {size / 1e6:.1f} MB"
        )


def measure_http(folder: Path, requests: int, clients: int) -> None:
    """The 1,000-event feed through werkzeug's threaded server, then through gunicorn."""
    app = make_app(folder, "feeds-http.sqlite")
    with app.app_context():
        add_events(1000)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        measure_server("werkzeug, threads", server.server_port, requests, clients)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()

    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        print("gunicorn is not installed (pip install '.[production]'): skipped")
        return
    workers = os.cpu_count() or 1
    environment = {
        **os.environ,
        "ROADSHOW_ENV": "testing",
        "ROADSHOW_SECRET_KEY": "bench-secret-key-0123456789abcdef",
        "ROADSHOW_DATABASE_URL": f"sqlite:///{folder / 'feeds-http.sqlite'}",
        "ROADSHOW_BASE_URL": "https://roadshow.example.org",
        "ROADSHOW_INSTANCE_PATH": str(folder / "instance"),
    }
    process = subprocess.Popen(
        [str(gunicorn), "--workers", str(workers), "--bind", "127.0.0.1:0", "wsgi:app"],
        cwd=Path(__file__).resolve().parent.parent,
        env=environment,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = gunicorn_port(process)
        measure_server(f"gunicorn, {workers} workers", port, requests, clients)
    finally:
        process.terminate()
        process.wait(timeout=30)


def gunicorn_port(process: subprocess.Popen[str], workers: int | None = None) -> int:
    """The port gunicorn chose, once every worker has booted."""
    assert process.stderr is not None
    port, booted, wanted = 0, 0, workers or os.cpu_count() or 1
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and booted < wanted:
        line = process.stderr.readline()
        if not line:
            raise RuntimeError("gunicorn stopped")
        if match := re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line):
            port = int(match.group(1))
        booted += "Booting worker" in line
    if not port:
        raise RuntimeError("gunicorn did not start in time")
    # Let the last worker finish creating its app before the load starts.
    time.sleep(1)
    return port


def measure_server(label: str, port: int, requests: int, clients: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/calendar.ics")
    first = connection.getresponse()
    first.read()
    etag = first.getheader("ETag") or ""
    connection.close()
    # Every worker renders once before the figures count.
    load(port, clients * 4, clients, {}, 200)
    for what, headers, expected in (
        ("feed (1,000 events)", {}, 200),
        ("304 (If-None-Match)", {"If-None-Match": etag}, 304),
    ):
        rate, latencies = load(port, requests, clients, headers, expected)
        print(
            f"http {label:<22} {what:<20}: {rate:7.1f} requests/s, {clients} clients, "
            f"{requests} requests, median {statistics.median(latencies) * 1000:.1f} ms"
        )


def load(
    port: int, requests: int, clients: int, headers: dict[str, str], expected: int
) -> tuple[float, list[float]]:
    """``requests`` GETs spread over ``clients`` keep-alive connections."""
    share, rest = divmod(requests, clients)
    per_client = [share + (1 if i < rest else 0) for i in range(clients)]

    def client(count: int) -> list[float]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        latencies = []
        try:
            for _ in range(count):
                began = time.perf_counter()
                connection.request("GET", "/calendar.ics", headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status != expected:
                    raise RuntimeError(f"expected {expected}, got {response.status}")
                latencies.append(time.perf_counter() - began)
        finally:
            connection.close()
        return latencies

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(client, per_client))
    elapsed = time.perf_counter() - began
    return requests / elapsed, [latency for result in results for latency in result]


HELLO = """
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"
"""


def measure_wrk(folder: Path) -> None:
    """The demo's ``/calendar.ics`` (full and 304) and a bare Flask "hello", each served by
    gunicorn with two workers on 127.0.0.1 and loaded by ``wrk -t2 -c10 -d5s``, in turns."""
    wrk = shutil.which("wrk")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if wrk is None or not gunicorn.exists():
        print("wrk or gunicorn is not installed: the comparison with a bare Flask app skipped")
        return
    root = Path(__file__).resolve().parent.parent
    environment = {
        **os.environ,
        "PYTHONPATH": str(root),
        "ROADSHOW_ENV": "production",
        "ROADSHOW_SECRET_KEY": "bench-secret-key-0123456789abcdef",
        "ROADSHOW_DATABASE_URL": f"sqlite:///{folder / 'demo.sqlite'}",
        "ROADSHOW_BASE_URL": "https://roadshow.example.org",
        "ROADSHOW_INSTANCE_PATH": str(folder / "instance"),
    }
    flask = [sys.executable, "-m", "flask", "--app", "roadshow"]
    for command in (["db", "upgrade"], ["demo", "seed"]):
        # The demo is never seeded into a production database: the app then serves it so.
        subprocess.run(
            [*flask, *command],
            cwd=root,
            env={**environment, "ROADSHOW_ENV": "development"},
            check=True,
            capture_output=True,
        )
    (folder / "hello.py").write_text(HELLO)
    servers = {
        "hello": ([str(gunicorn), "-w", "2", "-b", "127.0.0.1:0", "hello:app"], folder),
        "roadshow": ([str(gunicorn), "-w", "2", "-b", "127.0.0.1:0", "wsgi:app"], root),
    }
    ports: dict[str, int] = {}
    processes = []
    try:
        for name, (command, cwd) in servers.items():
            process = subprocess.Popen(
                command, cwd=cwd, env=environment, stderr=subprocess.PIPE, text=True
            )
            processes.append(process)
            ports[name] = gunicorn_port(process, workers=2)
        feed = f"http://127.0.0.1:{ports['roadshow']}/calendar.ics"
        connection = http.client.HTTPConnection("127.0.0.1", ports["roadshow"], timeout=60)
        connection.request("GET", "/calendar.ics")
        answer = connection.getresponse()
        events = answer.read().count(b"BEGIN:VEVENT")
        etag = answer.getheader("ETag") or ""
        connection.close()
        runs = {
            "bare Flask hello": (f"http://127.0.0.1:{ports['hello']}/", []),
            f"feed ({events} events)": (feed, []),
            "feed, 304": (feed, ["-H", f"If-None-Match: {etag}"]),
        }
        rates: dict[str, list[float]] = {what: [] for what in runs}
        for _ in range(2):  # in turns: a load that comes and goes weighs on all alike
            for what, (url, headers) in runs.items():
                rates[what].append(wrk_rate(wrk, url, headers))
        hello = statistics.mean(rates["bare Flask hello"])
        for what, measured in rates.items():
            rate = statistics.mean(measured)
            print(
                f"wrk -t2 -c10 -d5s, gunicorn -w 2: {what:<20} {rate:8.0f} requests/s "
                f"({rate / hello:.2f} of the bare Flask hello)"
            )
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


def wrk_rate(wrk: str, url: str, headers: list[str]) -> float:
    result = subprocess.run(
        [wrk, "-t2", "-c10", "-d5s", *headers, url],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    if not match or "Non-2xx" in result.stdout and "304" not in " ".join(headers):
        raise RuntimeError(result.stdout)
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per HTTP run")
    parser.add_argument("--clients", type=int, default=4, help="concurrent connections")
    parser.add_argument(
        "--only", choices=("build", "http", "wrk"), help="one of the three measurements"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        if args.only in (None, "build"):
            for count in (1000, 10_000):
                measure_build(folder, count)
        if args.only in (None, "http"):
            measure_http(folder, min(args.requests, 2000), min(args.clients, 16))
        if args.only in (None, "wrk"):
            measure_wrk(folder)


if __name__ == "__main__":
    main()
