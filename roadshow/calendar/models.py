"""Feed subscribers (double opt-in)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from roadshow.database import Base, TimestampMixin, enum_column


class SubscriberStatus(enum.Enum):
    PENDING = "pending"
    ACTIVE = "active"
    CANCELLED = "cancelled"


class Subscriber(TimestampMixin, Base):
    """Someone who subscribed to a personal calendar feed.

    Nothing is active until the confirmation link is followed. Feed and confirmation
    tokens are stored as SHA-256 hashes (the manage link is signed, not stored);
    ``filters`` holds the chosen tours, towns, kinds and partners.
    """

    __tablename__ = "subscriber"
    __table_args__ = (
        sa.Index(
            "uq_subscriber_email_normalized_live",
            "email_normalized",
            unique=True,
            postgresql_where=sa.text("status != 'cancelled'"),
            sqlite_where=sa.text("status != 'cancelled'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    email_normalized: Mapped[str] = mapped_column(sa.String(254))
    language: Mapped[str] = mapped_column(sa.String(5), default="de")
    status: Mapped[SubscriberStatus] = mapped_column(
        enum_column(SubscriberStatus), default=SubscriberStatus.PENDING
    )
    filters: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    notify_by_email: Mapped[bool] = mapped_column(default=False)
    feed_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    confirm_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    confirm_expires_at: Mapped[datetime | None]
    consent_text_version: Mapped[str] = mapped_column(sa.String(40))
    subscribed_at: Mapped[datetime]
    subscribed_ip: Mapped[str | None] = mapped_column(sa.String(45))
    confirmed_at: Mapped[datetime | None]
    confirmed_ip: Mapped[str | None] = mapped_column(sa.String(45))
    cancelled_at: Mapped[datetime | None]
    anonymised_at: Mapped[datetime | None]  # erased on request or after the retention period
