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
    API = "api"


class CheckIn(Base):
    """What is known of one attendee's presence (at most one row per attendee).

    At the door a row means the person came. From a webinar report it holds the minutes in
    the session, and ``attended`` says whether they reached the minimum of that import.
    """

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
    attended: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    import_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("attendance_import.id", ondelete="SET NULL"), index=True
    )


class AttendanceImport(Base):
    """A webinar tool's report, imported once per event (the same file again changes nothing).

    ``unmatched`` keeps the rows that matched nobody, ``[{"name", "email", "minutes"}]``,
    for the organiser to assign by hand.
    """

    __tablename__ = "attendance_import"
    __table_args__ = (sa.UniqueConstraint("event_id", "file_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    file_sha256: Mapped[str] = mapped_column(sa.String(64))
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    format: Mapped[str] = mapped_column(sa.String(40))
    min_minutes: Mapped[int]
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    matched: Mapped[int] = mapped_column(default=0)
    attended: Mapped[int] = mapped_column(default=0)
    unmatched: Mapped[list[dict[str, object]]] = mapped_column(sa.JSON, default=list)
