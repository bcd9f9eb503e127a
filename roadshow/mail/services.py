"""Queueing messages: one outbox row per message, in the caller's transaction."""

from __future__ import annotations

import base64
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import make_msgid
from typing import Any, Literal

from sqlalchemy import func, select, update

from roadshow.database import DBSession, utcnow
from roadshow.mail.compose import Logo, render_email
from roadshow.mail.message import check_extra_headers
from roadshow.mail.models import OutboxMessage, OutboxStatus
from roadshow.settings import settings
from roadshow.site import logo_path


@dataclass(frozen=True)
class CalendarPart:
    """An iCalendar object sent as an invitation (iMIP): the client acts on ``method``."""

    ics: bytes
    method: Literal["REQUEST", "CANCEL"]


@dataclass(frozen=True)
class InlineImage:
    """A picture inside the HTML part, shown where the HTML says ``<img src="cid:{cid}">``.

    ``cid`` is the Content-ID without angle brackets, unique within the message."""

    cid: str
    content_type: str  # image/png
    data: bytes

    def stored(self) -> dict[str, str]:
        return {
            "cid": self.cid,
            "type": self.content_type,
            "data": base64.b64encode(self.data).decode("ascii"),
        }


def letterhead_logo() -> tuple[InlineImage, Logo] | None:
    """The organiser's logo for the mail's header, if there is a PNG in the instance folder.

    Sent along as a related picture (``cid:``): a mail client shows it without loading
    anything from the web. An SVG logo is left out, since Gmail and Outlook show no SVG;
    the header then shows the site's name alone.
    """
    found = logo_path()
    if found is None:
        return None
    png = found if found.suffix.lower() == ".png" else found.with_name("logo.png")
    if not png.is_file():
        return None
    data = png.read_bytes()
    # The PNG signature, then the IHDR chunk with width and height (big-endian).
    if len(data) < 24 or not data.startswith(b"\x89PNG\r\n\x1a\n") or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    if not width or not height:
        return None
    cid = f"logo@{settings().mail_domain}"
    return InlineImage(cid=cid, content_type="image/png", data=data), Logo.fitted(
        cid, width, height
    )


def enqueue(
    session: DBSession,
    *,
    template: str,
    language: str,
    recipient: str,
    idempotency_key: str,
    recipient_name: str = "",
    context: dict[str, Any] | None = None,
    calendar: CalendarPart | None = None,
    images: Sequence[InlineImage] = (),
    headers: dict[str, str] | None = None,
    event_id: int | None = None,
    registration_id: int | None = None,
) -> OutboxMessage:
    """Render ``template`` and add it to the outbox; delivery happens after commit.

    One logical message is queued once: a second call with the same ``idempotency_key``
    returns the row already there. The Message-ID is fixed here, so retries keep it.
    ``headers`` (e.g. List-Unsubscribe) are checked now: a line break in a value raises
    ``UnsafeHeaderError`` instead of reaching the wire as an injected header.
    ``event_id`` and ``registration_id`` only say what the message is about, so that the
    outbox can be looked at per event; the mail domain never reads those rows.
    """
    safe_headers = check_extra_headers(headers or {})
    existing = session.scalar(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key)
    )
    if existing is not None:
        return existing
    pictures = list(images)
    found = letterhead_logo()
    logo = None
    if found is not None:
        picture, logo = found
        pictures.append(picture)
    rendered = render_email(template, language, logo=logo, **(context or {}))
    message = OutboxMessage(
        idempotency_key=idempotency_key,
        message_id=make_msgid(domain=settings().mail_domain),
        template=template,
        language=language,
        recipient=recipient,
        recipient_name=recipient_name,
        subject=rendered.subject,
        text_body=rendered.text,
        html_body=rendered.html,
        ics=calendar.ics.decode("utf-8") if calendar is not None else None,
        ics_method=calendar.method if calendar is not None else None,
        headers=safe_headers,
        images=[image.stored() for image in pictures],
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


def outbox_counts(session: DBSession) -> dict[OutboxStatus, int]:
    """How many messages are in each state (every state present, zero included)."""
    counts = dict(
        session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    return {state: int(counts.get(state, 0)) for state in OutboxStatus}
