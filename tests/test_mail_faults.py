"""Faults: an SMTP server that is down, busy or refusing; parallel workers; rollbacks; crashes."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from roadshow.database import utcnow
from roadshow.extensions import db
from roadshow.mail.delivery import deliver_all_due, deliver_due, retry_delay
from roadshow.mail.models import OutboxMessage, OutboxStatus
from tests.fixtures_mail import queue_plain
from tests.fixtures_settings import configure


def statuses() -> Counter[OutboxStatus]:
    return Counter(
        dict(
            db.session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
    )


def test_smtp_down_while_companies_register_loses_nothing_and_sends_each_once(
    app, smtp_sink, make_event, register_company
):
    smtp_sink.stop()
    event = make_event()
    for number in range(5):
        # Each registration succeeds on its own, mail or no mail.
        register_company(event, f"Person {number}")

    report = deliver_all_due(db.session)
    assert report.sent == 0 and report.interrupted
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage)).all()
    # Per registration: the company's confirmation and the attendee's invitation.
    assert Counter(r.template for r in rows) == {
        "registrations/confirmed": 5,
        "registrations/invitation": 5,
    }
    assert all(r.status in (OutboxStatus.RETRY, OutboxStatus.QUEUED) for r in rows)
    assert all(r.next_attempt_at > utcnow() for r in rows)
    assert any("Connection" in (r.last_error or "") for r in rows)

    smtp_sink.start()  # the server is back, on the same address
    deliver_all_due(db.session)
    assert smtp_sink.messages == []  # nothing is due yet: the delays are respected
    later = utcnow() + timedelta(hours=1)
    while deliver_due(db.session, now=later).claimed:
        pass
    ids = Counter(m.message_id for m in smtp_sink.messages)
    assert sorted(ids) == sorted(r.message_id for r in rows)
    assert set(ids.values()) == {1}
    assert statuses() == Counter({OutboxStatus.SENT: 10})


def test_a_421_reply_is_retried_later_and_then_delivered(app, smtp_sink, make_event):
    [row] = queue_plain(1, make_event())
    smtp_sink.refuse_next(1, "421 4.3.2 Service not available, try later")

    report = deliver_due(db.session)
    assert report.retried == 1
    db.session.expire_all()
    assert row.status is OutboxStatus.RETRY
    assert row.last_error.startswith("421")
    assert row.next_attempt_at > utcnow()
    assert smtp_sink.messages == []

    deliver_due(db.session, now=row.next_attempt_at)
    db.session.expire_all()
    assert row.status is OutboxStatus.SENT and row.attempts == 2
    assert [m.message_id for m in smtp_sink.messages] == [row.message_id]


def test_a_450_refusal_of_one_message_does_not_stop_the_others(app, smtp_sink, make_event):
    rows = queue_plain(3, make_event())
    smtp_sink.refuse_next(1, "450 4.2.1 Mailbox busy")
    report = deliver_due(db.session)
    assert (report.sent, report.retried) == (2, 1)
    db.session.expire_all()
    assert [r.status for r in rows] == [OutboxStatus.RETRY, OutboxStatus.SENT, OutboxStatus.SENT]


def test_a_550_reply_fails_the_message_with_the_reason_for_organisers(
    app, smtp_sink, make_event, runner
):
    [row] = queue_plain(1, make_event())
    smtp_sink.refuse_next(1, "550 5.1.1 User unknown")
    report = deliver_due(db.session)
    assert report.failed == 1
    db.session.expire_all()
    assert row.status is OutboxStatus.FAILED
    assert row.last_error == "550 5.1.1 User unknown"
    # Failed stays failed: later runs do not try again.
    deliver_due(db.session, now=utcnow() + timedelta(days=2))
    assert smtp_sink.messages == []

    result = runner.invoke(args=["mail", "status"])
    assert result.exit_code == 0, result.output
    assert "failed   1" in result.output
    assert f"#{row.id}" in result.output and "550 5.1.1 User unknown" in result.output

    result = runner.invoke(args=["mail", "retry", str(row.id)])
    assert "queued again: 1" in result.output
    runner.invoke(args=["mail", "deliver"])
    assert [m.message_id for m in smtp_sink.messages] == [row.message_id]


def test_retries_give_up_after_the_configured_attempts(app, smtp_sink, make_event):
    configure(app, MAIL_MAX_ATTEMPTS=3)
    [row] = queue_plain(1, make_event())
    smtp_sink.refuse_next(3, "451 4.7.1 Greylisted")
    now = utcnow()
    for _ in range(3):
        deliver_due(db.session, now=now)
        db.session.expire_all()
        now = row.next_attempt_at
    assert row.status is OutboxStatus.FAILED
    assert row.last_error == "gave up after 3 attempts: 451 4.7.1 Greylisted"


def test_retry_delays_grow_and_are_jittered(app):
    delays = [[retry_delay(attempt) for _ in range(20)] for attempt in range(1, 8)]
    for earlier, later in zip(delays, delays[1:], strict=False):
        assert max(earlier) <= min(later)
    assert len(set(delays[3])) > 1  # not all the same: jittered
    assert max(retry_delay(50) for _ in range(20)) <= timedelta(hours=6)


def test_a_row_left_sending_by_a_crashed_worker_is_taken_up_again(app, smtp_sink, make_event):
    [row] = queue_plain(1, make_event())
    row.status = OutboxStatus.SENDING
    row.locked_at = utcnow() - timedelta(minutes=2)
    row.attempts = 1
    db.session.commit()

    assert deliver_due(db.session).claimed == 0  # still within its worker's time
    report = deliver_due(db.session, now=utcnow() + timedelta(minutes=15))
    assert report.sent == 1
    db.session.expire_all()
    assert row.status is OutboxStatus.SENT and row.attempts == 2


def test_a_rolled_back_change_sends_nothing(app, smtp_sink, make_event, make_registration):
    from roadshow.events.services import change_event

    event = make_event()
    make_registration(event)
    change_event(db.session, event, starts_at=event.starts_at + timedelta(hours=1))
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    db.session.rollback()

    assert deliver_all_due(db.session).claimed == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert smtp_sink.messages == []
    db.session.refresh(event)
    assert event.sequence == 0


def test_two_workers_in_parallel_deliver_each_of_200_messages_exactly_once(
    app, smtp_sink, make_event
):
    rows = queue_plain(200, make_event())
    errors: list[BaseException] = []
    reports = []
    start = threading.Barrier(2)

    def worker() -> None:
        # Each thread has its own app context, hence its own session and connection.
        with app.app_context():
            try:
                start.wait()
                while True:
                    report = deliver_due(db.session, batch=10)
                    reports.append(report)
                    if report.claimed == 0:
                        break
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    ids = Counter(m.message_id for m in smtp_sink.messages)
    assert len(ids) == 200 and set(ids.values()) == {1}
    assert set(ids) == {r.message_id for r in rows}
    assert sum(r.sent for r in reports) == 200
    assert statuses() == Counter({OutboxStatus.SENT: 200})


@pytest.mark.parametrize("batch", [1, 7])
def test_one_connection_carries_a_whole_batch(app, smtp_sink, make_event, batch, monkeypatch):
    import smtplib

    connections = []
    original = smtplib.SMTP.connect

    def counting(self, *args, **kwargs):
        connections.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "connect", counting)
    queue_plain(7, make_event())
    deliver_due(db.session, batch=batch)
    assert len(smtp_sink.messages) == batch
    assert len(connections) == 1


# --- mail from the door: walk-ins; the attendance import sends none ---------------------


def _deliver_everything_due_later(hours: int = 1) -> None:
    later = utcnow() + timedelta(hours=hours)
    while deliver_due(db.session, now=later).claimed:
        pass


def _ticket_code_in(received, code: str) -> bool:
    grouped = " ".join(code[i : i + 4] for i in range(0, len(code), 4))
    return any(
        grouped in part.get_content()
        for part in received.message.walk()
        if part.get_content_type() == "text/plain"
    )


def test_a_walk_ins_ticket_mail_waits_out_an_smtp_outage_and_a_crashed_worker_and_arrives_once(
    app, client, smtp_sink, make_event, make_user, submit_form
):
    from roadshow.accounts.models import Role
    from roadshow.registrations.models import Registration
    from tests.fixtures_pages import log_in

    event = make_event(starts_at=utcnow().replace(microsecond=0) + timedelta(hours=1))
    log_in(submit_form, make_user(role=Role.ORGANISER))
    headers = {
        "X-CSRFToken": client.get(f"/check-in/{event.id}/attendees.json").get_json()["csrf_token"]
    }
    smtp_sink.stop()

    def walk_in(ref: str, name: str, email: str):
        body = {
            "ref": ref,
            "name": name,
            "email": email,
            "company": "Gasthof Post",
            "town": "Murnau",
        }
        return client.post(f"/check-in/{event.id}/walk-ins", json=body, headers=headers)

    lena = walk_in("0d9f6c1a-2b3c-4c2b-9a55-3f0c1c7e8d4e", "Lena Maier", "lena@post.example")
    assert lena.status_code == 201
    # The device lost the answer and sends its queue again: the same walk-in, no new mail.
    assert (
        walk_in(
            "0d9f6c1a-2b3c-4c2b-9a55-3f0c1c7e8d4e", "Lena Maier", "lena@post.example"
        ).status_code
        == 200
    )
    max_ = walk_in("7e8d4e0d-9f6c-4a2b-8c55-1c1a2b3c3f0c", "Max Post", "max@post.example")
    assert max_.status_code == 201

    report = deliver_all_due(db.session)
    assert report.sent == 0 and report.interrupted
    db.session.expire_all()
    ids = [lena.get_json()["registration_id"], max_.get_json()["registration_id"]]
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.registration_id.in_(ids))
    ).all()
    assert rows and {r.registration_id for r in rows} == set(ids)
    assert all(r.status in (OutboxStatus.RETRY, OutboxStatus.QUEUED) for r in rows)
    # A worker took Max's mail and died before sending it: the row stays "sending".
    crashed = next(r for r in rows if r.recipient == "max@post.example")
    crashed.status, crashed.locked_at = OutboxStatus.SENDING, utcnow() - timedelta(minutes=2)
    db.session.commit()

    smtp_sink.start()  # the server is back
    _deliver_everything_due_later()
    ids_arrived = Counter(m.message_id for m in smtp_sink.messages)
    assert sorted(ids_arrived) == sorted(r.message_id for r in rows)
    assert set(ids_arrived.values()) == {1}
    _deliver_everything_due_later(hours=24)  # nothing comes twice, however late one looks
    assert len(smtp_sink.messages) == len(rows)

    for registration_id, address in zip(
        ids, ["lena@post.example", "max@post.example"], strict=True
    ):
        code = db.session.get(Registration, registration_id).attendees[0].check_in_code
        assert any(_ticket_code_in(m, code) for m in smtp_sink.to(address)), address


def test_the_attendance_import_sends_no_mail_even_around_an_outage(
    app, client, smtp_sink, make_event, register_company, api_token
):
    import io

    from roadshow.attendance.models import CheckIn
    from roadshow.events.models import EventKind
    from tests.fixtures_attendance import own_report
    from tests.fixtures_backoffice_registrations import bearer

    event = make_event(kind=EventKind.WEBINAR, min_attended_minutes=40)
    register_company(event, "Ada Huber", "Max Meier")
    deliver_all_due(db.session)  # the registrations' own mail
    before = len(smtp_sink.messages)
    queued = db.session.scalar(select(func.count()).select_from(OutboxMessage))

    smtp_sink.stop()
    _user, token = api_token()
    response = client.post(
        f"/api/v1/events/{event.id}/attendance-reports",
        data={"file": (io.BytesIO(own_report("plain.csv")), "report.csv")},
        headers=bearer(token),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 2
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == queued
    smtp_sink.start()
    _deliver_everything_due_later()
    assert len(smtp_sink.messages) == before
