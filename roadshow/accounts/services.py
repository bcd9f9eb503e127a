"""Users: creating and inviting them, changing roles, deactivating, logins and passwords.

A password is set only through ``_set_password``, which applies the one policy
(``passwords.check_password_policy``). An invited user has no password until the link in
the invitation mail sets one; until then nothing logs them in. Nobody can lock out the
last active admin: every change of role or of being active asks ``keep_an_admin`` first,
which reads the active admins under row locks (see there, and tests/test_accounts_users.py
for the race).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from roadshow.accounts.models import ApiToken, AuditLog, Role, User
from roadshow.accounts.passwords import (
    INVITATION,
    RESET,
    LinkInvalid,
    LinkKind,
    check_password_policy,
    has_password,
    link_fits,
    password_link_token,
    password_matches,
    user_id_for_link,
)
from roadshow.changes import changed_fields
from roadshow.database import DBSession, utcnow
from roadshow.errors import DomainError, NotFound
from roadshow.mail.addresses import normalize_email
from roadshow.mail.services import enqueue
from roadshow.partners.models import Partner
from roadshow.tokens import hash_token, looks_like_token, new_token
from roadshow.urls import external_url


def create_user(
    session: DBSession,
    *,
    email: str,
    name: str,
    password: str,
    role: Role,
    partner: Partner | None = None,
    actor: User | None = None,
) -> User:
    """A new user who logs in with ``password``; the email must not be taken yet."""
    user = _new_user(session, email=email, name=name, role=role, partner=partner)
    _set_password(user, password)
    session.add(user)
    session.flush()
    record(session, "user.created", user, actor, role=role.value)
    return user


def invite_user(
    session: DBSession,
    *,
    email: str,
    name: str,
    role: Role,
    partner: Partner | None,
    language: str,
    actor: User | None,
) -> str:
    """A new user without a password, and the invitation mail with the link that sets one
    (it works once, for ``INVITATION.max_age``). Returns the link."""
    user = _new_user(session, email=email, name=name, role=role, partner=partner)
    session.add(user)
    session.flush()
    record(session, "user.invited", user, actor, role=role.value)
    return _queue_invitation(session, user, language, actor)


def resend_invitation(session: DBSession, user: User, *, language: str, actor: User) -> str:
    """A new invitation mail for a user who has not set a password yet; the link."""
    if has_password(user):
        raise DomainError(
            _("Dieses Konto hat schon ein Passwort; eine Einladung braucht es nicht.")
        )
    if not user.active:
        raise DomainError(_("Das Konto ist deaktiviert. Bitte aktivieren Sie es zuerst."))
    record(session, "user.invitation_sent", user, actor)
    return _queue_invitation(session, user, language, actor)


def _queue_invitation(session: DBSession, user: User, language: str, actor: User | None) -> str:
    return _queue_link_mail(
        session, INVITATION, user, language, inviter=actor.name if actor is not None else ""
    )


def _queue_link_mail(
    session: DBSession, kind: LinkKind, user: User, language: str, **context: Any
) -> str:
    """Queue the mail with a set-password link of ``kind`` for ``user``; the link.

    A link made again within the same second is the same link, and queues no second mail.
    """
    link = external_url(kind.endpoint, token=password_link_token(kind, user))
    enqueue(
        session,
        template=kind.template,
        language=language,
        recipient=user.email,
        recipient_name=user.name,
        idempotency_key=f"{kind.purpose}:{user.id}:{hash_token(link)}",
        context={"user": user, "link": link, "hours": kind.hours, **context},
    )
    return link


def _new_user(
    session: DBSession, *, email: str, name: str, role: Role, partner: Partner | None
) -> User:
    """A user not yet added to the session, without a password (``password_hash`` empty)."""
    email = normalize_email(email)
    if session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise DomainError(_("Diese E-Mail-Adresse hat schon ein Konto."), field="email")
    user = User(email=email, name=name.strip(), role=role, password_hash="")
    _set_partner(user, role, partner)
    return user


def _set_partner(user: User, role: Role, partner: Partner | None) -> None:
    """A partner user belongs to exactly one partner; staff to none."""
    if role is Role.PARTNER and partner is None:
        raise DomainError(
            _("Ein Partnerkonto gehört zu einem Partner: Bitte wählen Sie ihn aus."),
            field="partner",
        )
    user.partner = partner if role is Role.PARTNER else None


def partner_by_slug(session: DBSession, slug: str) -> Partner:
    """The partner with this slug; ``NotFound`` if there is none."""
    partner = session.scalar(select(Partner).where(Partner.slug == slug.strip()))
    if partner is None:
        raise NotFound(_("Es gibt keinen Partner „%(slug)s“.", slug=slug), field="partner")
    return partner


# --- roles and being active --------------------------------------------------------------


@dataclass(frozen=True)
class UserChange:
    role: Role
    partner: Partner | None


def update_user(session: DBSession, user: User, change: UserChange, *, actor: User) -> list[Any]:
    """Give ``user`` another role or partner; the changes (none: nothing is recorded)."""
    if user.role is Role.ADMIN and change.role is not Role.ADMIN:
        keep_an_admin(session, user, field="role")
    old_partner = user.partner
    changes = changed_fields(user, {"role": change.role})
    _set_partner(user, change.role, change.partner)
    if user.partner is not old_partner:
        changes.append(
            {
                "field": "partner",
                "old": old_partner.name if old_partner else None,
                "new": user.partner.name if user.partner else None,
            }
        )
    session.flush()
    if changes:
        record(session, "user.changed", user, actor, changes=changes)
    return changes


def deactivate_user(session: DBSession, user: User, *, actor: User) -> None:
    """``user`` cannot log in any more: their sessions end and their API tokens stop."""
    if not user.active:
        return
    if user.role is Role.ADMIN:
        keep_an_admin(session, user, field="active")
    user.active = False
    user.session_version += 1
    now = utcnow()
    for token in session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        token.revoked_at = now
    record(session, "user.deactivated", user, actor)
    session.flush()


def reactivate_user(session: DBSession, user: User, *, actor: User) -> None:
    """``user`` may log in again (with their password; old sessions stay ended)."""
    if user.active:
        return
    user.active = True
    record(session, "user.reactivated", user, actor)
    session.flush()


def keep_an_admin(
    session: DBSession, leaving: User, *, field: str, message: str | None = None
) -> None:
    """Refuse when ``leaving`` is the last active admin (self included).

    Every active admin row is locked, always in the order of ids, so that two admins
    demoting or deactivating each other at once take turns on PostgreSQL instead of both
    counting the other one (READ COMMITTED re-reads a locked row once it is released, and
    the one who went second sees that the first left). SQLite writes one at a time anyway.
    """
    admins = session.scalars(
        select(User.id)
        .where(User.role == Role.ADMIN, User.active.is_(True))
        .order_by(User.id)
        .with_for_update()
    ).all()
    if leaving.id in admins and not [admin for admin in admins if admin != leaving.id]:
        raise DomainError(
            message
            or _(
                "Das ist das letzte aktive Admin-Konto. Bitte machen Sie zuerst jemand anderen "
                "zum Admin, sonst kann niemand mehr Konten verwalten."
            ),
            field=field,
        )


# --- logins and passwords ----------------------------------------------------------------


def authenticate(session: DBSession, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (no hint which was wrong).

    An unknown address, an invited user without a password and a deactivated user cost
    the same slow hash as a wrong password, so the time of the answer tells nothing.
    """
    user = session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))
    if not password_matches(user, password) or user is None or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def change_password(session: DBSession, user: User, *, current: str, new: str) -> None:
    """The user sets a new password, knowing the current one. The caller ends the user's
    other sessions (``login.end_sessions``)."""
    if not password_matches(user, current):
        raise DomainError(_("Das bisherige Passwort stimmt nicht."), field="current_password")
    if new == current:
        raise DomainError(
            _("Das neue Passwort muss sich vom bisherigen unterscheiden."), field="password"
        )
    _set_password(user, new)
    record(session, "user.password_changed", user, user)
    session.flush()


def request_password_reset(session: DBSession, email: str, *, language: str) -> None:
    """Queue a reset mail if an active account with a password has this address.

    The caller answers the same either way; only the owner of the address learns more
    (how often anyone may ask is the view's rate limit).
    """
    user = session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))
    if user is None or not user.active or not has_password(user):
        return
    _queue_link_mail(session, RESET, user, language)


def user_for_link(session: DBSession, kind: LinkKind, token: str) -> User:
    """The user a set-password link is for, while it works (``LinkExpired``,
    ``LinkInvalid``: altered, used, or the account was deactivated)."""
    user_id, fingerprint = user_id_for_link(kind, token)
    user = session.get(User, user_id)
    if user is None or not user.active or not link_fits(user, fingerprint):
        raise LinkInvalid(_("Dieser Link ist ungültig oder wurde schon benutzt."))
    return user


def set_password_from_link(session: DBSession, kind: LinkKind, token: str, password: str) -> User:
    """Set the password a reset or invitation link is for; the link stops working. The
    caller ends the user's other sessions."""
    user = user_for_link(session, kind, token)
    action = "user.invitation_accepted" if kind is INVITATION else "user.password_reset"
    _set_password(user, password)
    record(session, action, user, user)
    session.flush()
    return user


def _set_password(user: User, password: str) -> None:
    check_password_policy(password, user.email)
    user.set_password(password)
    user.password_changed_at = utcnow()


def user_by_email(session: DBSession, email: str) -> User:
    """The user with this email (any case); ``NotFound`` if there is none."""
    user = session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))
    if user is None:
        raise NotFound(_("Es gibt kein Konto mit dieser E-Mail-Adresse."), field="email")
    return user


def issue_api_token(
    session: DBSession, user: User, *, label: str = "", replace: bool = True
) -> str:
    """A new API token for ``user``, acting with the user's role.

    ``replace`` (the CLI's way) revokes the tokens issued before with the same ``label``;
    the token page keeps them, one per program, each with its own label. The raw token is
    returned once and only its hash is stored, so a leaked database dump holds no working
    token.
    """
    now = utcnow()
    if replace:
        for token in api_tokens_of(session, user):
            if token.revoked_at is None and token.label == label:
                token.revoked_at = now
    raw = new_token()
    token = ApiToken(user_id=user.id, token_hash=hash_token(raw), created_at=now, label=label)
    session.add(token)
    session.flush()
    record(session, "user.api_token_issued", user, user, token=token.id, label=label)
    return raw


def api_tokens_of(session: DBSession, user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked ones too, with the time)."""
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


def revoke_api_token(session: DBSession, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; another user's is ``NotFound``."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_("Dieses Token gibt es nicht."), field="token_id")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record(session, "user.api_token_revoked", user, user, token=token.id, label=token.label)
    session.flush()
    return token


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
