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


def gunicorn_port(process: subprocess.Popen[str]) -> int:
    """The port gunicorn chose, once every worker has booted."""
    assert process.stderr is not None
    port, booted, wanted = 0, 0, os.cpu_count() or 1
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per HTTP run")
    parser.add_argument("--clients", type=int, default=4, help="concurrent connections")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for count in (1000, 10_000):
            measure_build(folder, count)
        measure_http(folder, min(args.requests, 2000), min(args.clients, 16))


if __name__ == "__main__":
    main()
