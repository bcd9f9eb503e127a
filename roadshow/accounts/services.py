"""Creating users and checking logins."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from roadshow.accounts.models import AuditLog, Role, User
from roadshow.database import DBSession, utcnow
from roadshow.errors import DomainError
from roadshow.mail.addresses import normalize_email


def create_user(
    session: DBSession,
    *,
    email: str,
    name: str,
    password: str,
    role: Role,
    partner_id: int | None = None,
) -> User:
    """A new user; the email must not be taken yet."""
    email = normalize_email(email)
    if session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise DomainError(_("Diese E-Mail-Adresse hat schon ein Konto."), field="email")
    if len(password) < 10:
        raise DomainError(_("Das Passwort braucht mindestens 10 Zeichen."), field="password")
    user = User(email=email, name=name, role=role, partner_id=partner_id)
    user.set_password(password)
    session.add(user)
    session.flush()
    return user


def authenticate(session: DBSession, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (no hint which was wrong)."""
    user = session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))
    if user is None or not user.active or not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    return user


def record(
    session: DBSession,
    action: str,
    obj: Any,
    actor: User | None = None,
    **details: Any,
) -> AuditLog:
    """Write one line of the audit log about ``obj``: every organiser action goes here."""
    entry = AuditLog(
        actor_id=actor.id if actor else None,
        action=action,
        object_type=type(obj).__name__.lower(),
        object_id=getattr(obj, "id", None),
        details=details,
    )
    session.add(entry)
    return entry
