"""What an operator runs: reminders, the worker, event changes; delivery after a response."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from roadshow.events.models import EventKind, EventStatus
from roadshow.extensions import db
from roadshow.mail.after_response import deliver_now
from roadshow.mail.models import OutboxMessage, OutboxStatus
from roadshow.registrations.models import AttendeeStatus, RegistrationStatus
from roadshow.registrations.services import recount_seats
from roadshow.settings import settings
from tests.fixtures_settings import configure


def test_reminders_go_once_to_confirmed_attendees_of_events_within_a_day(
    app, runner, smtp_sink, make_event, make_registration
):
    now = datetime.now(UTC)
    tomorrow = make_event(
        kind=EventKind.WEBINAR,
        venue=None,
        join_url="https://meet.example/j/42",
        starts_at=now + timedelta(hours=20),
    )
    next_week = make_event(starts_at=now + timedelta(days=7))
    anna = make_registration(tomorrow, attendees=[("Anna", "anna@firma.example")])
    cleo = make_registration(tomorrow, attendees=[("Cleo", "cleo@firm.example")], language="en")
    make_registration(
        tomorrow, attendees=[("Wim", "wim@firma.example")], status=RegistrationStatus.WAITLISTED
    )
    gone = make_registration(tomorrow, attendees=[("Gus", "gus@firma.example")])
    gone.attendees[0].status = AttendeeStatus.CANCELLED
    recount_seats(db.session, tomorrow)
    db.session.commit()
    make_registration(next_week, attendees=[("Nia", "nia@firma.example")])

    first = runner.invoke(args=["mail", "reminders"])
    assert first.exit_code == 0, first.output
    assert "reminders queued: 2" in first.output
    for _ in range(3):  # cron every few minutes
        assert "reminders queued: 0" in runner.invoke(args=["mail", "reminders"]).output
    runner.invoke(args=["mail", "deliver"])

    assert sorted(a for m in smtp_sink.messages for a in m.rcpt_tos) == [
        "anna@firma.example",
        "cleo@firm.example",
    ]
    [to_anna] = smtp_sink.to(anna.attendees[0].email)
    assert to_anna.message["Subject"] == f"Erinnerung: {tomorrow.title}"
    assert "https://meet.example/j/42" in to_anna.message.get_body(("plain",)).get_content()
    [to_cleo] = smtp_sink.to(cleo.attendees[0].email)
    assert to_cleo.message["Subject"] == f"Reminder: {tomorrow.title}"

    # Moved to another day, the event earns a new reminder for the new date.
    tomorrow.starts_at += timedelta(hours=2)
    tomorrow.ends_at += timedelta(hours=2)
    db.session.commit()
    assert "reminders queued: 2" in runner.invoke(args=["mail", "reminders"]).output


def test_events_change_and_cancel_commands_notify_attendees(
    app, runner, smtp_sink, make_event, make_registration
):
    event = make_event(starts_at=datetime(2027, 4, 6, 16, 0, tzinfo=UTC))
    make_registration(event, attendees=[("Anna", "anna@firma.example")])

    result = runner.invoke(
        args=["events", "change", str(event.id), "--starts-at", "2027-04-06T19:00"]
    )
    assert result.exit_code == 0, result.output
    assert "sequence 1" in result.output
    db.session.expire_all()
    assert event.starts_at == datetime(2027, 4, 6, 17, 0, tzinfo=UTC)  # 19:00 CEST
    assert event.ends_at == datetime(2027, 4, 6, 20, 0, tzinfo=UTC)  # same duration

    unchanged = runner.invoke(
        args=["events", "change", str(event.id), "--starts-at", "2027-04-06T19:00"]
    )
    assert "Nothing changed" in unchanged.output

    bad = runner.invoke(
        args=["events", "change", str(event.id), "--ends-at", "2027-04-06T18:00+02:00"]
    )
    assert bad.exit_code != 0 and "Das Ende muss nach dem Beginn liegen" in bad.output

    result = runner.invoke(args=["events", "cancel", str(event.id), "--yes"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["events", "cancel", str(event.id), "--yes"])
    assert again.exit_code != 0 and "bereits abgesagt" in again.output
    db.session.expire_all()
    assert event.status is EventStatus.CANCELLED and event.sequence == 2

    runner.invoke(args=["mail", "deliver"])
    subjects = [m.message["Subject"] for m in smtp_sink.to("anna@firma.example")]
    assert subjects == [f"Geändert: {event.title}", f"Abgesagt: {event.title}"]


def test_in_development_mail_goes_out_after_the_response_without_a_worker(
    app, smtp_sink, make_event, make_registration
):
    """``make run`` has no worker: a request that queued mail delivers it once it is done."""
    event = make_event()
    make_registration(event, attendees=[("Anna", "anna@firma.example")])
    configure(app, MAIL_DELIVER_AFTER_REQUEST=True)
    test_view_calls = []

    @app.get("/testing/change-event/<int:event_id>/<int:commit>")
    def change(event_id: int, commit: int) -> str:
        from roadshow.events.models import Event
        from roadshow.events.services import change_event

        target = db.session.get(Event, event_id)
        change_event(db.session, target, starts_at=target.starts_at + timedelta(hours=1))
        if commit:
            db.session.commit()
        else:
            db.session.rollback()
        test_view_calls.append(commit)
        return "ok"

    client = app.test_client()
    rolled_back = client.get(f"/testing/change-event/{event.id}/0")
    assert rolled_back.status_code == 200
    rolled_back.close()  # what a WSGI server does once the response is sent
    assert smtp_sink.messages == []

    response = client.get(f"/testing/change-event/{event.id}/1")
    assert response.status_code == 200
    assert smtp_sink.messages == []  # not while the request is being answered
    response.close()
    assert [m.rcpt_tos for m in smtp_sink.messages] == [["anna@firma.example"]]
    db.session.expire_all()
    assert db.session.scalar(select(OutboxMessage.status)) is OutboxStatus.SENT
    assert test_view_calls == [0, 1]


def test_outside_development_requests_leave_delivery_to_the_worker(app, smtp_sink, make_event):
    assert app.config["ENV"] == "testing"
    assert not settings().mail.deliver_after_request
    configure(app, ENV="development")
    assert settings().mail.deliver_after_request
    deliver_now(app)  # nothing queued: nothing sent, no error
    assert smtp_sink.messages == []


def test_the_worker_loop_delivers_and_stops_on_sigterm(app, tmp_path, database_url, make_event):
    """``flask mail deliver --loop`` as a real process, writing .eml files."""
    import os
    import signal

    from tests.fixtures_mail import queue_plain

    queue_plain(3, make_event())
    instance = tmp_path / "worker-instance"
    env = {
        **os.environ,
        "ROADSHOW_ENV": "development",
        "ROADSHOW_DATABASE_URL": database_url,
        "ROADSHOW_INSTANCE_PATH": str(instance),
    }
    env.pop("ROADSHOW_MAIL_SERVER", None)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "roadshow",
            "mail",
            "deliver",
            "--loop",
            "--interval",
            "0.2",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(list((instance / "mail").glob("*.eml"))) < 3:
            time.sleep(0.1)
        assert len(list((instance / "mail").glob("*.eml"))) == 3
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            output, _ = worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            # Never leave a worker behind: the suite would hang at its end instead of failing.
            worker.kill()
            output, _ = worker.communicate()
            pytest.fail("the worker did not stop on SIGTERM:\n" + output.decode())
    assert worker.returncode == 0, output.decode()
    assert b"sent 3" in output
