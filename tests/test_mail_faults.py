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
