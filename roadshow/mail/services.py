"""Queueing messages: one outbox row per message, in the caller's transaction."""

from __future__ import annotations

from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select, update

from roadshow.database import DBSession, utcnow
from roadshow.mail.compose import render_email
from roadshow.mail.message import check_extra_headers
from roadshow.mail.models import OutboxMessage, OutboxStatus


def enqueue(
    session: DBSession,
    *,
    template: str,
    language: str,
    recipient: str,
    idempotency_key: str,
    recipient_name: str = "",
    context: dict[str, Any] | None = None,
    ics: bytes | None = None,
    ics_method: str | None = None,
    headers: dict[str, str] | None = None,
    event_id: int | None = None,
    registration_id: int | None = None,
) -> OutboxMessage:
    """Render ``template`` and add it to the outbox; delivery happens after commit.

    One logical message is queued once: a second call with the same ``idempotency_key``
    returns the row already there. The Message-ID is fixed here, so retries keep it.
    ``headers`` (e.g. List-Unsubscribe) are checked now: a line break in a value raises
    ``UnsafeHeaderError`` instead of reaching the wire as an injected header.
    """
    safe_headers = check_extra_headers(headers or {})
    existing = session.scalar(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key)
    )
    if existing is not None:
        return existing
    rendered = render_email(template, language, **(context or {}))
    domain = urlsplit(current_app.config["BASE_URL"]).hostname or "roadshow.localhost"
    message = OutboxMessage(
        idempotency_key=idempotency_key,
        message_id=make_msgid(domain=domain),
        template=template,
        language=language,
        recipient=recipient,
        recipient_name=recipient_name,
        subject=rendered.subject,
        text_body=rendered.text,
        html_body=rendered.html,
        ics=ics.decode("utf-8") if ics is not None else None,
        ics_method=ics_method,
        headers=safe_headers,
        status=OutboxStatus.QUEUED,
        next_attempt_at=utcnow(),
        event_id=event_id,
        registration_id=registration_id,
    )
    session.add(message)
    session.flush()
    return message


def retry_failed(session: DBSession, *, ids: list[int] | None = None) -> int:
    """Queue failed messages again with a fresh count of attempts; how many.

    ``ids=None`` takes every failed message. Rows that are not failed are left alone.
    """
    statement = update(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
    if ids is not None:
        statement = statement.where(OutboxMessage.id.in_(ids))
    result: Any = session.execute(
        statement.values(
            status=OutboxStatus.QUEUED, attempts=0, next_attempt_at=utcnow(), locked_at=None
        ),
        execution_options={"synchronize_session": False},
    )
    session.flush()
    return int(result.rowcount)
