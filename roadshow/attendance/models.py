"""Check-in at the door and webinar attendance."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from roadshow.database import Base, enum_column, utcnow


class CheckInMethod(enum.Enum):
    QR = "qr"
    MANUAL = "manual"
    WALK_IN = "walk_in"
    WEBINAR_IMPORT = "webinar_import"


class CheckIn(Base):
    """An attendee was there (at most once per attendee)."""

    __tablename__ = "check_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    attendee_id: Mapped[int] = mapped_column(
        sa.ForeignKey("attendee.id", ondelete="CASCADE"), unique=True
    )
    method: Mapped[CheckInMethod] = mapped_column(enum_column(CheckInMethod))
    checked_in_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_in_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    minutes_attended: Mapped[int | None]  # webinars, from the platform's report
