"""Creating users and checking logins."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from roadshow.accounts.models import ApiToken, AuditLog, Role, User
from roadshow.database import DBSession, utcnow
from roadshow.errors import DomainError, NotFound
from roadshow.mail.addresses import normalize_email
from roadshow.tokens import hash_token, looks_like_token, new_token


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


def user_by_email(session: DBSession, email: str) -> User:
    """The user with this email (any case); ``NotFound`` if there is none."""
    user = session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))
    if user is None:
        raise NotFound(_("Es gibt kein Konto mit dieser E-Mail-Adresse."), field="email")
    return user


def issue_api_token(session: DBSession, user: User) -> str:
    """A new API token for ``user``; the ones issued before stop working.

    The raw token is returned once and only its hash is stored, so a leaked database
    dump holds no working token.
    """
    now = utcnow()
    for token in session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        token.revoked_at = now
    raw = new_token()
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(raw), created_at=now))
    record(session, "user.api_token_issued", user, user)
    session.flush()
    return raw


def user_for_api_token(session: DBSession, raw: str) -> User | None:
    """The active user whose unrevoked token this is, or None. The lookup is by hash, so
    the comparison never touches the secret itself."""
    if not looks_like_token(raw):
        return None
    token = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(raw), ApiToken.revoked_at.is_(None)
        )
    )
    if token is None or not token.user.active:
        return None
    token.last_used_at = utcnow()
    return token.user


def record(
    session: DBSession,
    action: str,
    obj: Any,
    actor: User | None = None,
    **details: Any,
) -> AuditLog:
    """Write one line of the audit log about ``obj``: every organiser action goes here.

    ``details`` say what happened; a change gives ``changes=[{"field", "old", "new"}]``
    (see ``changed_fields``). An entry about an event, or about anything that belongs to
    one (``obj.event_id``), is filed under that event too.
    """
    object_type = type(obj).__name__.lower()
    object_id = getattr(obj, "id", None)
    event_id = object_id if object_type == "event" else getattr(obj, "event_id", None)
    entry = AuditLog(
        actor_id=actor.id if actor else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        event_id=event_id,
        details=details,
    )
    session.add(entry)
    return entry
