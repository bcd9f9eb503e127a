"""Delivering the outbox: claim due rows, send them over one connection, record each outcome.

Claiming commits before anything is sent, and every outcome commits on its own, so that
several workers never send one row twice and a crash loses at most the outcome of the
message in flight (its row stays ``sending`` and is taken up again once it is stale; the
receiver sees the same Message-ID twice at worst).
"""

from __future__ import annotations

import logging
import random
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.sql.elements import ColumnElement

from roadshow.database import DBSession, utcnow
from roadshow.mail.message import OutboxMail
from roadshow.mail.models import OutboxMessage, OutboxStatus
from roadshow.mail.transport import Transport, eml_folder, open_transport
from roadshow.settings import settings

WAITING = (OutboxStatus.QUEUED, OutboxStatus.RETRY)
log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    interrupted: bool = False  # the connection failed; the rest waits for a later run


@dataclass(frozen=True)
class Failure:
    """What went wrong with one message, and what to do about it."""

    reason: str
    permanent: bool  # a 5xx reply or a message that cannot be composed: do not retry
    connection_lost: bool  # the connection is unusable: stop this batch


def due_condition(now: datetime) -> ColumnElement[bool]:
    """Rows waiting whose time has come, and rows left ``sending`` by a crashed worker."""
    stale_before = now - timedelta(seconds=settings().mail.stale_seconds)
    return or_(
        and_(OutboxMessage.status.in_(WAITING), OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.locked_at < stale_before),
    )


def claim_due(session: DBSession, *, batch: int, now: datetime) -> list[int]:
    """Mark up to ``batch`` due rows ``sending`` for this worker and commit; their ids.

    PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` lets concurrent workers pass each
    other's rows by. SQLite has no row locks (SQLAlchemy drops FOR UPDATE there), so each
    row is claimed by an UPDATE that repeats the "still due" condition: of two workers that
    picked the same row, only the first changes it (rowcount 1), the second gets 0.
    """
    candidates = (
        select(OutboxMessage.id)
        .where(due_condition(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(batch)
    )
    claim = update(OutboxMessage).values(
        status=OutboxStatus.SENDING, locked_at=now, attempts=OutboxMessage.attempts + 1
    )
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.scalars(candidates.with_for_update(skip_locked=True)))
        if ids:
            session.execute(claim.where(OutboxMessage.id.in_(ids)))
        session.commit()
        return ids
    ids = list(session.scalars(candidates))
    session.commit()  # no read snapshot may stay open: SQLite could not upgrade it to write
    claimed = []
    for row_id in ids:
        result: Any = session.execute(
            claim.where(OutboxMessage.id == row_id, due_condition(now)),
            execution_options={"synchronize_session": False},
        )
        if result.rowcount == 1:
            claimed.append(row_id)
    session.commit()
    return claimed


def retry_delay(attempts: int) -> timedelta:
    """Doubling from ``MAIL_RETRY_BASE_SECONDS`` up to ``MAIL_RETRY_MAX_SECONDS``, jittered.

    The jitter takes half of the delay at random, so that messages that failed together
    (an outage) do not all come back in the same second; the delay still never shrinks
    from one attempt to the next.
    """
    mail = settings().mail
    base, ceiling = mail.retry_base_seconds, mail.retry_max_seconds
    delay = min(ceiling, base * 2 ** max(0, attempts - 1))
    return timedelta(seconds=delay / 2 + random.uniform(0, delay / 2))


def classify(error: Exception) -> Failure:
    """4xx replies and connection trouble are retried; 5xx replies are final."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()))
        return _by_reply(code, text, connection_lost=False)
    if isinstance(error, smtplib.SMTPResponseException):
        # 421: the server closes the channel (smtplib has closed it already).
        return _by_reply(error.smtp_code, error.smtp_error, connection_lost=error.smtp_code == 421)
    if isinstance(error, OSError):  # smtplib.SMTPException is an OSError too
        return Failure(_describe(error), permanent=False, connection_lost=True)
    return Failure(_describe(error), permanent=True, connection_lost=False)


def _by_reply(code: int, text: bytes | str, *, connection_lost: bool) -> Failure:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return Failure(f"{code} {text}".strip(), permanent=code >= 500, connection_lost=connection_lost)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".strip().rstrip(":")


@dataclass(frozen=True)
class Claimed:
    """A claimed row as delivery needs it, read once: committing an outcome expires every
    loaded row, and touching the next one would cost a query per message."""

    id: int
    recipient: str
    attempts: int
    message: OutboxMail | None
    error: Exception | None  # the row could not be composed


def _compose(row: OutboxMessage, sender: str) -> Claimed:
    try:
        message = OutboxMail(row, sender=sender)
    except Exception as error:
        return Claimed(row.id, row.recipient, row.attempts, None, error)
    return Claimed(row.id, row.recipient, row.attempts, message, None)


def deliver_due(
    session: DBSession, *, batch: int | None = None, now: datetime | None = None
) -> DeliveryReport:
    """Claim and deliver one batch of due messages; commits claims and outcomes.

    Messages go over one SMTP connection (or into the ``.eml`` folder). A refused message
    does not stop the others; a lost connection does, and puts the untried rest back.
    The batch's rows are read and composed once, before the first is sent; each outcome
    is one UPDATE of its row, committed before the next message goes.
    """
    now = now or utcnow()
    mail = settings().mail
    ids = claim_due(session, batch=batch or mail.batch_size, now=now)
    report = DeliveryReport(claimed=len(ids))
    if not ids:
        return report
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
    ).all()
    # Plain values from here on: the rows, expired by the first commit, are not touched.
    claimed = [_compose(row, mail.default_sender) for row in rows]
    transport: Transport | None = None
    postgresql = session.get_bind().dialect.name == "postgresql"
    try:
        for position, item in enumerate(claimed):
            if postgresql:
                # An outcome lost in a database crash only means the row is sent again
                # (same Message-ID), so its commit need not wait for the disk.
                session.execute(text("SET LOCAL synchronous_commit TO OFF"))
            try:
                if item.message is None:
                    assert item.error is not None
                    raise item.error
                if transport is None:
                    transport = open_transport(mail, eml_folder(current_app))
                transport.send(item.message)
            except Exception as error:
                failure = classify(error)
                _record_failure(session, item, failure, now=now, report=report)
                session.commit()
                if failure.connection_lost:
                    report.interrupted = True
                    _release(session, claimed[position + 1 :], now=now)
                    break
                continue
            _set(session, item.id, status=OutboxStatus.SENT, sent_at=utcnow(), last_error=None)
            report.sent += 1
            session.commit()
    finally:
        if transport is not None:
            transport.close()
    return report


def _set(session: DBSession, row_id: int, **values: Any) -> None:
    """One row's outcome: its new values, and the claim lifted."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(locked_at=None, **values)
        .execution_options(synchronize_session=False)
    )


def _record_failure(
    session: DBSession, item: Claimed, failure: Failure, *, now: datetime, report: DeliveryReport
) -> None:
    attempts = item.attempts
    gave_up = attempts >= settings().mail.max_attempts
    if failure.permanent or gave_up:
        reason = (
            failure.reason
            if failure.permanent
            else f"gave up after {attempts} attempts: {failure.reason}"
        )
        _set(session, item.id, status=OutboxStatus.FAILED, last_error=reason)
        report.failed += 1
        log.error("mail %s to %s failed: %s", item.id, item.recipient, reason)
        return
    next_attempt_at = now + retry_delay(attempts)
    _set(
        session,
        item.id,
        status=OutboxStatus.RETRY,
        last_error=failure.reason,
        next_attempt_at=next_attempt_at,
    )
    report.retried += 1
    log.warning(
        "mail %s to %s: %s; retry at %s", item.id, item.recipient, failure.reason, next_attempt_at
    )


def _release(session: DBSession, items: Sequence[Claimed], *, now: datetime) -> None:
    """Give back claimed rows that were never tried; their attempt does not count."""
    for item in items:
        attempts = item.attempts - 1
        _set(
            session,
            item.id,
            status=OutboxStatus.RETRY if attempts > 0 else OutboxStatus.QUEUED,
            attempts=attempts,
            next_attempt_at=now + retry_delay(max(1, attempts)),
        )
    session.commit()


def deliver_all_due(session: DBSession, *, batch: int | None = None) -> DeliveryReport:
    """Deliver batches until nothing is due (rows put back for later stay for later)."""
    total = DeliveryReport()
    while True:
        report = deliver_due(session, batch=batch)
        for field in ("claimed", "sent", "retried", "failed"):
            setattr(total, field, getattr(total, field) + getattr(report, field))
        if report.claimed == 0 or report.interrupted:
            total.interrupted = report.interrupted
            return total
