"""Users with roles, and the audit log of what they did."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from roadshow.database import Base, TimestampMixin, enum_column, utcnow

if TYPE_CHECKING:
    from roadshow.partners.models import Partner


class Role(enum.Enum):
    ADMIN = "admin"
    ORGANISER = "organiser"
    PARTNER = "partner"


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "user"
    __table_args__ = (
        sa.CheckConstraint(
            "(role = 'partner') = (partner_id IS NOT NULL)", name="partner_role_has_partner"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    partner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]
    # Raised at logout and at a password change: sessions carry it, and a session with an
    # older number is not logged in any more (a replayed cookie gives nothing).
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    password_changed_at: Mapped[datetime | None]
    # TOTP second factor (RFC 6238): the base32 secret, set once it was confirmed with a
    # code; recovery codes are stored as SHA-256 hashes and each works once.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]  # the time step of the last code used: none twice
    recovery_code_hashes: Mapped[list[str]] = mapped_column(
        sa.JSON, default=list, server_default="[]"
    )

    partner: Mapped[Partner | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: what the session and remember cookie carry
        return f"{self.id}.{self.session_version}"

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_organiser(self) -> bool:
        return self.role in (Role.ADMIN, Role.ORGANISER)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)  # scrypt

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class ApiToken(Base):
    """A user's bearer token for the organiser API; only its SHA-256 is stored.

    ``flask users token EMAIL`` makes a new one and revokes the ones before, so a user has
    at most one that works. The raw token is printed once and never stored.
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class SiteSetting(Base):
    """A setting an admin changes in the product (not in the environment), e.g.
    ``require_totp_for_organisers``."""

    __tablename__ = "site_setting"

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    value: Mapped[Any] = mapped_column(sa.JSON)


class AuditLog(Base):
    """Who did what to which object, for organisers and for DSGVO requests.

    ``event_id`` names the event an entry concerns (the event itself, or one of its
    registrations), so that an event's history is one indexed query.
    """

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("event.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(80))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int | None]
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    actor: Mapped[User | None] = relationship()
