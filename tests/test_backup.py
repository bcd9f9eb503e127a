"""``flask backup`` and ``flask restore``: a running SQLite database and its instance folder.

The main test registers companies through the API in a thread while ``flask backup`` runs
in a process of its own, as an operator's cron job would; the restored copy must hold
every registration that was committed before the backup began, each whole.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from roadshow import create_app
from roadshow.events.models import Event, EventKind, EventStatus, Venue
from roadshow.extensions import db
from tests.conftest import TEST_SECRET_KEY, backend_name

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = "http://roadshow.example"


def sqlite_app(instance: Path) -> Flask:
    """An app on the default database: ``roadshow.sqlite`` in its instance folder."""
    return create_app(
        {
            "ENV": "testing",
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET_KEY,
            "DATABASE_URL": None,
            "BASE_URL": PUBLIC,
            "RATELIMIT_ENABLED": False,
        },
        instance_path=str(instance),
    )


def flask_command(instance: Path, *args: str, **run: Any) -> subprocess.CompletedProcess[str]:
    """``flask --app roadshow …`` in a process of its own, configured by its environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROADSHOW_")}
    env.update(
        ROADSHOW_ENV="testing",
        ROADSHOW_SECRET_KEY=TEST_SECRET_KEY,
        ROADSHOW_INSTANCE_PATH=str(instance),
    )
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "roadshow", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        **run,
    )


def migrated_instance(instance: Path) -> tuple[Flask, int]:
    """A migrated SQLite instance with one published stop of 100,000 seats."""
    app = sqlite_app(instance)
    with app.app_context():
        upgrade()
        starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
        event = Event(
            kind=EventKind.STOP,
            status=EventStatus.PUBLISHED,
            slug="weilheim",
            title="Digitalisierung vor Ort: Weilheim",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=3),
            capacity=100_000,
            timezone="Europe/Berlin",
            venue=Venue(
                name="Stadthalle", street="Marktplatz 1", postcode="82362", town="Weilheim"
            ),
        )
        db.session.add(event)
        db.session.commit()
        event_id = event.id
        db.session.remove()
    return app, event_id


def registration_body(n: int) -> dict[str, Any]:
    return {
        "company": {
            "name": f"Schreinerei {n}",
            "size": "10-49",
            "industry": "handwerk",
            "postcode": "82362",
            "town": "Weilheim",
        },
        "contact": {"name": f"Anna {n}", "email": f"anna{n}@firma{n}.example"},
        "attendees": [
            {"name": f"Max {n}", "email": f"max{n}@firma{n}.example"},
            {"name": f"Eva {n}", "email": f"eva{n}@firma{n}.example"},
        ],
        "privacy_consent": True,
        "language": "de",
    }


class Registering(threading.Thread):
    """Registers companies one after another until told to stop (at most 3,000, 90 s)."""

    def __init__(self, app: Flask, event_id: int) -> None:
        super().__init__(daemon=True)
        self.client = app.test_client()
        self.event_id = event_id
        self.stop = threading.Event()
        self.done: list[tuple[int, str, float]] = []  # id, manage URL, when the answer came
        self.error: BaseException | None = None

    def run(self) -> None:
        deadline = time.monotonic() + 90
        try:
            for n in range(3000):
                if self.stop.is_set() or time.monotonic() > deadline:
                    return
                response = self.client.post(
                    f"/api/v1/events/{self.event_id}/registrations", json=registration_body(n)
                )
                assert response.status_code == 201, response.get_data(as_text=True)
                data = response.get_json()
                self.done.append((data["id"], data["manage_url"], time.monotonic()))
        except BaseException as error:  # reported by the test
            self.error = error


def rows(path: Path, query: str) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(query).fetchall()
    finally:
        connection.close()


PER_REGISTRATION = (
    "SELECT r.id, (SELECT count(*) FROM attendee a WHERE a.registration_id = r.id), "
    "(SELECT count(*) FROM outbox_message m WHERE m.registration_id = r.id) FROM registration r"
)


def test_a_backup_taken_while_companies_register_restores_every_finished_registration(
    tmp_path: Path,
):
    live = tmp_path / "live"
    app, event_id = migrated_instance(live)
    (live / "logos").mkdir()
    (live / "logos" / "alpentel.png").write_bytes(b"\x89PNG logo")
    (live / "mail").mkdir()
    (live / "mail" / "confirmation.eml").write_text("Subject: Anmeldung\n")
    archive = tmp_path / "backups" / "roadshow.tar.gz"
    archive.parent.mkdir()

    registering = Registering(app, event_id)
    registering.start()
    try:
        while len(registering.done) < 10 and registering.is_alive():
            time.sleep(0.05)
        began = time.monotonic()
        finished_before = list(registering.done)
        made = flask_command(live, "backup", str(archive))
        ended = time.monotonic()
        time.sleep(0.3)
    finally:
        registering.stop.set()
        registering.join(timeout=30)
    assert registering.error is None, registering.error
    assert made.returncode == 0, made.stderr
    assert "Sicherung geschrieben" in made.stdout
    during = [r for r in registering.done if began <= r[2] <= ended]
    assert during, "no registration was committed while the backup ran"

    restored = tmp_path / "restored"
    answer = flask_command(restored, "restore", "--yes", str(archive))
    assert answer.returncode == 0, answer.stderr
    database = restored / "roadshow.sqlite"
    assert rows(database, "PRAGMA integrity_check") == [("ok",)]

    live_counts = {r[0]: r for r in rows(live / "roadshow.sqlite", PER_REGISTRATION)}
    restored_counts = {r[0]: r for r in rows(database, PER_REGISTRATION)}
    for registration_id, _url, _when in finished_before:
        assert restored_counts.get(registration_id) == live_counts[registration_id]
    for registration_id, attendees, messages in restored_counts.values():
        # Nothing half-written: each registration with both attendees and all its mail.
        assert (attendees, messages) == live_counts[registration_id][1:]
        assert attendees == 2 and messages >= 1
    (seats,) = rows(database, "SELECT seats_taken FROM event")
    assert seats == (2 * len(restored_counts),)
    assert len(restored_counts) < len(live_counts)  # what came after the backup is not in it

    assert (restored / "logos" / "alpentel.png").read_bytes() == b"\x89PNG logo"
    assert not (restored / "mail").exists()
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert names[0] == "manifest.json"
    assert "instance/roadshow.sqlite" not in names and "instance/roadshow.sqlite-wal" not in names

    served = sqlite_app(restored)
    with served.app_context():
        registration_id, manage_url, _when = finished_before[0]
        page = served.test_client().get(manage_url.removeprefix(PUBLIC))
        assert page.status_code == 200
        assert "Max 0" in page.get_data(as_text=True)
        health = served.test_client().get("/healthz").get_json()
        (waiting,) = rows(database, "SELECT count(*) FROM outbox_message")[0]
        assert health["outbox"]["waiting"] == waiting
        db.engine.dispose()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """A backup of an instance with one event and a logo."""
    live = tmp_path / "live"
    app, _event_id = migrated_instance(live)
    with app.app_context():
        db.engine.dispose()
    (live / "logos").mkdir()
    (live / "logos" / "logo.png").write_bytes(b"logo")
    path = tmp_path / "roadshow.tar.gz"
    made = flask_command(live, "backup", str(path))
    assert made.returncode == 0, made.stderr
    return path


def rewritten(archive: Path, target: Path, change: Any) -> Path:
    """A copy of ``archive`` whose manifest ``change(document)`` altered."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as out:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "manifest.json":
                document = json.loads(data)
                change(document)
                data = json.dumps(document).encode()
                member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return target


def test_restore_asks_first_and_a_no_changes_nothing(archive: Path, tmp_path: Path):
    target = tmp_path / "target"
    target.mkdir()
    (target / "roadshow.sqlite").write_bytes(b"the old database")
    answer = flask_command(target, "restore", str(archive), input="n\n")
    assert answer.returncode == 1
    assert "ersetzen?" in answer.stdout
    assert "Abgebrochen, nichts geändert." in answer.stderr
    assert (target / "roadshow.sqlite").read_bytes() == b"the old database"

    (target / "roadshow.sqlite-wal").write_bytes(b"a stale write-ahead log")
    answer = flask_command(target, "restore", str(archive), input="y\n")
    assert answer.returncode == 0, answer.stderr
    assert "flask db upgrade" in answer.stdout
    assert not (target / "roadshow.sqlite-wal").exists()
    assert rows(target / "roadshow.sqlite", "SELECT slug FROM event") == [("weilheim",)]
    assert (target / "logos" / "logo.png").read_bytes() == b"logo"


def test_restore_refuses_what_is_not_ours(archive: Path, tmp_path: Path):
    plain = tmp_path / "notes.tar.gz"
    plain.write_text("not an archive")
    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz") as tar:
        tar.add(archive, arcname="database/roadshow.sqlite")
    for path, message in (
        (plain, "keine Sicherung von Roadshow (kein .tar.gz)"),
        (foreign, "keine Sicherung von Roadshow (manifest.json fehlt)"),
    ):
        answer = flask_command(tmp_path / "target", "restore", "--yes", str(path))
        assert answer.returncode == 1
        assert message in answer.stderr
    assert not (tmp_path / "target" / "roadshow.sqlite").exists()


def test_restore_refuses_a_schema_newer_than_the_code(archive: Path, tmp_path: Path):
    newer = rewritten(
        archive, tmp_path / "newer.tar.gz", lambda d: d.update(alembic_revision="f00dfeedcafe")
    )
    answer = flask_command(tmp_path / "target", "restore", "--yes", str(newer))
    assert answer.returncode == 1
    assert "f00dfeedcafe" in answer.stderr and "neueren Version" in answer.stderr
    assert not (tmp_path / "target" / "roadshow.sqlite").exists()


def test_restore_refuses_a_damaged_file_and_keeps_the_old_database(archive: Path, tmp_path: Path):
    def damage(document: dict[str, Any]) -> None:
        document["files"]["database/roadshow.sqlite"]["sha256"] = "0" * 64

    damaged = rewritten(archive, tmp_path / "damaged.tar.gz", damage)
    target = tmp_path / "target"
    target.mkdir()
    (target / "roadshow.sqlite").write_bytes(b"the old database")
    answer = flask_command(target, "restore", "--yes", str(damaged))
    assert answer.returncode == 1
    assert "beschädigt" in answer.stderr
    assert (target / "roadshow.sqlite").read_bytes() == b"the old database"
    assert sorted(p.name for p in target.iterdir()) == ["roadshow.sqlite"]


def test_a_folder_as_path_gets_a_dated_archive_and_no_backup_holds_the_earlier_ones(
    tmp_path: Path,
):
    live = tmp_path / "live"
    app, _event_id = migrated_instance(live)
    with app.app_context():
        db.engine.dispose()
    folder = live / "backups"
    folder.mkdir()
    made = flask_command(live, "backup", str(folder))
    assert made.returncode == 0, made.stderr
    (written,) = folder.iterdir()
    assert written.name.startswith(f"roadshow-{datetime.now(UTC):%Y%m%d}-")
    assert written.name.endswith(".tar.gz")

    in_the_instance = live / "second.tar.gz"
    made = flask_command(live, "backup", str(in_the_instance))
    assert made.returncode == 0, made.stderr
    with tarfile.open(in_the_instance) as tar:
        assert tar.getnames() == ["manifest.json", "database/roadshow.sqlite"]

    nowhere = flask_command(live, "backup", str(tmp_path / "missing" / "x.tar.gz"))
    assert nowhere.returncode == 1
    assert "gibt es nicht" in nowhere.stderr


def test_on_postgresql_backup_prints_the_pg_dump_command_without_the_password(tmp_path: Path):
    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": TEST_SECRET_KEY,
            "DATABASE_URL": "postgresql://roadshow:geheim@db.internal:5433/roadshow",
        },
        instance_path=str(tmp_path / "instance"),
    )
    result = app.test_cli_runner().invoke(args=["backup", "/var/backups/roadshow.dump"])
    assert result.exit_code == 2
    assert "geheim" not in result.output
    assert (
        "pg_dump --format=custom --file=/var/backups/roadshow.dump "
        "postgresql://roadshow@db.internal:5433/roadshow"
    ) in result.output
    assert "PGPASSWORD" in result.output


@pytest.mark.skipif(backend_name() != "postgresql", reason="needs ROADSHOW_TEST_DATABASE_URL")
def test_the_printed_pg_dump_and_the_documented_pg_restore_work(app, make_event, tmp_path: Path):
    """The commands of the README's "Backups", run against the test server: dump, restore
    into a fresh database, and the rows are there."""
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pytest.skip("pg_dump/pg_restore missing: install the Debian package postgresql-client")
    event = make_event(title="Gesichert")
    dump = tmp_path / "roadshow.dump"
    result = app.test_cli_runner().invoke(args=["backup", str(dump)])
    assert result.exit_code == 2
    command = next(line for line in result.output.splitlines() if line.startswith("pg_dump "))
    subprocess.run(command, shell=True, check=True, timeout=120)  # noqa: S602 - our own line

    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    fresh = f"{url.database}_restored"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{fresh}"')
        connection.exec_driver_sql(f'CREATE DATABASE "{fresh}"')
    try:
        address = sa.URL.create(
            "postgresql", username=url.username, host=url.host, port=url.port, database=fresh
        ).render_as_string(hide_password=False)
        subprocess.run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction"]
            + ["--exit-on-error", f"--dbname={address}", str(dump)],
            check=True,
            timeout=120,
            env={**os.environ, "PGPASSWORD": url.password or ""},
        )
        restored = sa.create_engine(url.set(database=fresh))
        with restored.connect() as connection:
            titles = connection.exec_driver_sql("SELECT title FROM event").scalars().all()
            revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            assert revision.scalar()
        restored.dispose()
        assert titles == [event.title]
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{fresh}"')
        admin.dispose()
