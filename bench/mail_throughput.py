"""How many invitations per second one outbox worker delivers, beside the SMTP ceiling.

    .venv/bin/python bench/mail_throughput.py [--messages 1000] [--batch 50]

An SMTP sink (aiosmtpd, in a process of its own, on 127.0.0.1) accepts and discards.
Queued are N invitations (iMIP REQUEST with calendar part and attachment) for N attendees.
Then:

1. worker: ``deliver_due`` batch after batch, as ``flask mail deliver`` does: claim rows,
   compose each message, send it over one SMTP connection per batch, commit each outcome;
2. ceiling: the same messages, composed beforehand, sent with plain ``smtplib`` over one
   connection, nothing else.

The two take turns (a fifth of the messages each), so that a load that comes and goes on
the machine weighs on both alike; the last line is the worker's rate over the ceiling's.

The database is a fresh SQLite file (or ``ROADSHOW_BENCH_DATABASE_URL``, e.g. an empty
PostgreSQL database: its tables are dropped and made again).
"""

from __future__ import annotations

import argparse
import os
import smtplib
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

SINK = r"""
import sys, time
from aiosmtpd.controller import Controller

class Discard:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"

class Ephemeral(Controller):
    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()

controller = Ephemeral(Discard(), hostname="127.0.0.1", port=0)
controller.start()
print(controller.port, flush=True)
sys.stdin.read()  # until the benchmark closes our input
controller.stop()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()

    sink = subprocess.Popen(
        [sys.executable, "-c", SINK], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert sink.stdout is not None and sink.stdin is not None
    port = int(sink.stdout.readline())
    try:
        with tempfile.TemporaryDirectory() as folder:
            run(Path(folder), port, args.messages, args.batch)
    finally:
        sink.stdin.close()
        sink.wait(timeout=30)


def run(folder: Path, port: int, count: int, batch: int) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import select

    from roadshow import create_app
    from roadshow.events.models import Event, EventKind, EventStatus, Venue
    from roadshow.events.services import EventChange
    from roadshow.extensions import db
    from roadshow.mail.delivery import deliver_due
    from roadshow.mail.message import OutboxMail
    from roadshow.mail.models import OutboxMessage
    from roadshow.registrations.invitations import queue_invitation
    from roadshow.registrations.models import Attendee, Registration, RegistrationStatus

    url = os.environ.get("ROADSHOW_BENCH_DATABASE_URL") or f"sqlite:///{folder / 'bench.sqlite'}"
    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "bench-secret-key-long-enough-0123456789",
            "DATABASE_URL": url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
            "MAIL_DEFAULT_SENDER": "Roadshow <noreply@roadshow.example>",
            "BASE_URL": "https://roadshow.example",
        },
        instance_path=str(folder / "instance"),
    )
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade()
        starts = datetime(2027, 7, 6, 16, 0, tzinfo=UTC)
        event = Event(
            kind=EventKind.STOP,
            status=EventStatus.PUBLISHED,
            slug="bench-weilheim",
            title="Digital vor Ort: Weilheim",
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            capacity=count,
            venue=Venue(
                name="Stadthalle", street="Marktplatz 1", postcode="82362", town="Weilheim"
            ),
        )
        db.session.add(event)
        db.session.flush()
        for n in range(count):
            registration = Registration(
                event=event,
                status=RegistrationStatus.CONFIRMED,
                token_hash=f"{n:064d}",
                company_name=f"Firma {n} GmbH",
                contact_name=f"Person {n}",
                contact_email=f"person{n}@firma.example",
                privacy_consent_at=datetime.now(UTC),
            )
            registration.attendees.append(
                Attendee(
                    event_id=event.id,
                    name=f"Person {n}",
                    email=f"person{n}@firma.example",
                    email_normalized=f"person{n}@firma.example",
                )
            )
            db.session.add(registration)
        db.session.flush()
        started = time.perf_counter()
        change = EventChange("time", old=(starts, starts), new=(starts, starts))
        for attendee in db.session.scalars(select(Attendee).order_by(Attendee.id)):
            queue_invitation(
                db.session,
                attendee=attendee,
                method="REQUEST",
                template="events/changed",
                idempotency_key=f"bench-{attendee.id}",
                context={"changes": [change], "invitation": True},
            )
        db.session.commit()
        queued = time.perf_counter() - started

        # The ceiling's messages: the same rows, composed before the clock starts.
        sender = str(app.config["MAIL_DEFAULT_SENDER"])
        prebuilt = [
            (row.recipient, OutboxMail(row, sender=sender).as_bytes())
            for row in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]
        db.session.remove()

        # Worker and ceiling take turns, a fifth of the messages each time: on a shared
        # machine the load changes from second to second, and both see the same.
        worker = ceiling = 0.0
        sent = 0
        rounds = 5
        with smtplib.SMTP("127.0.0.1", port) as connection:
            for number in range(rounds):
                target = count * (number + 1) // rounds
                started = time.perf_counter()
                while sent < target:
                    report = deliver_due(db.session, batch=min(batch, target - sent))
                    sent += report.sent
                    if report.claimed == 0:
                        break
                worker += time.perf_counter() - started
                started = time.perf_counter()
                for recipient, data in prebuilt[count * number // rounds : target]:
                    connection.sendmail("noreply@roadshow.example", [recipient], data)
                ceiling += time.perf_counter() - started
        db.session.remove()
        assert sent == count, f"worker sent {sent} of {count}"

    size = sum(len(data) for _, data in prebuilt) / len(prebuilt)
    backend = url.split(":", 1)[0]
    print(f"{count} invitations of {size / 1024:.1f} KiB each, database {backend}, batch {batch}")
    print(f"queueing (render + iCalendar + insert): {count / queued:8.0f} per second")
    print(f"one worker (claim, compose, send, commit): {count / worker:8.0f} per second")
    print(f"plain smtplib, prebuilt, one connection:   {count / ceiling:8.0f} per second")
    print(f"worker / ceiling: {ceiling / worker:.2f}")


if __name__ == "__main__":
    main()
