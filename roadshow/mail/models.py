"""The outbox: every message is a row, written in the transaction that causes it."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy.orm import Mapped, mapped_column

from roadshow.database import Base, TimestampMixin, enum_column, utcnow


class OutboxStatus(enum.Enum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"

    @property
    def label(self) -> LazyString:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    OutboxStatus.QUEUED: _l("eingereiht"),
    OutboxStatus.SENDING: _l("wird gesendet"),
    OutboxStatus.SENT: _l("gesendet"),
    OutboxStatus.RETRY: _l("neuer Versuch geplant"),
    OutboxStatus.FAILED: _l("fehlgeschlagen"),
}


class OutboxMessage(TimestampMixin, Base):
    """One email waiting for, or done with, delivery.

    ``idempotency_key`` makes one logical message (e.g. the confirmation of attendee 7 at
    sequence 2) queue once; ``message_id`` is fixed at enqueue so that a retried delivery
    carries the same Message-ID.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    message_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    template: Mapped[str] = mapped_column(sa.String(100))
    language: Mapped[str] = mapped_column(sa.String(5), default="de")
    recipient: Mapped[str] = mapped_column(sa.String(254))
    recipient_name: Mapped[str] = mapped_column(sa.String(200), default="")
    subject: Mapped[str] = mapped_column(sa.String(300))
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str] = mapped_column(sa.Text)
    ics: Mapped[str | None] = mapped_column(sa.Text)
    ics_method: Mapped[str | None] = mapped_column(sa.String(20))  # REQUEST, CANCEL
    headers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Pictures the HTML shows by ``cid:`` (a ticket's QR code): [{"cid", "type", "data"}],
    # ``data`` in base64.
    images: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON, default=list)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus), default=OutboxStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None]
    anonymised_at: Mapped[datetime | None]  # recipient and bodies erased (DSGVO)
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("event.id", ondelete="SET NULL"), index=True
    )
    registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
