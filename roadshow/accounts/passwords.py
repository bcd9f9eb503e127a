"""What a password must be, and the signed links that set one (reset and invitation).

One policy for every place a password is set (the CLI, an invitation, a reset, a change):
at least ``MIN_LENGTH`` characters, not one of the 20,000 most common passwords (Django's
list, shipped as ``common-passwords.txt.gz``), not the email address or its local part.

Set-password links are signed, not stored: itsdangerous puts the user id and a fingerprint
of the current password hash into the token, salted per purpose and checked with a
``max_age``. Setting a password changes the hash, so a link works once, and any password
change ends every link issued before it. A new secret key ends them all.
"""

from __future__ import annotations

import gzip
import hmac
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from roadshow.accounts.models import User
from roadshow.errors import DomainError
from roadshow.settings import settings
from roadshow.tokens import hash_token, new_token

MIN_LENGTH = 12
COMMON_PASSWORDS = Path(__file__).resolve().parent / "common-passwords.txt.gz"


class WeakPassword(DomainError):
    """The password breaks the policy; the message says which rule."""


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lowercase, read on first use and kept for the process."""
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def check_password_policy(password: str, email: str, field: str = "password") -> None:
    """Raise ``WeakPassword`` (for ``field``) unless ``password`` may be set for ``email``."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(
            _("Das Passwort braucht mindestens %(count)d Zeichen.", count=MIN_LENGTH), field=field
        )
    lowered = password.strip().lower()
    address = email.strip().lower()
    if lowered in (address, address.partition("@")[0]):
        raise WeakPassword(
            _("Das Passwort darf nicht Ihre E-Mail-Adresse oder ein Teil davon sein."),
            field=field,
        )
    if lowered in common_passwords():
        raise WeakPassword(
            _(
                "Dieses Passwort gehört zu den meistbenutzten und ist leicht zu erraten. "
                "Bitte wählen Sie ein anderes."
            ),
            field=field,
        )


def has_password(user: User) -> bool:
    """False for an invited user who has not set a password yet (nothing logs them in)."""
    return bool(user.password_hash)


@cache
def _dummy_hash() -> str:
    return generate_password_hash(new_token())


def password_matches(user: User | None, password: str) -> bool:
    """Whether ``password`` is ``user``'s. The same slow hash runs when there is no user or
    no password yet, so that the answer takes as long for an unknown address."""
    stored = user.password_hash if user is not None and has_password(user) else _dummy_hash()
    matches = check_password_hash(stored, password)
    return matches and user is not None and has_password(user)


# --- set-password links ------------------------------------------------------------------


@dataclass(frozen=True)
class LinkKind:
    """A kind of set-password link: its own salt, how long it works, the page it opens
    and the mail that carries it."""

    purpose: str
    max_age: timedelta
    endpoint: str
    template: str

    @property
    def hours(self) -> int:
        return int(self.max_age.total_seconds() // 3600)


RESET = LinkKind(
    "password-reset", timedelta(hours=2), "accounts.reset_password", "accounts/password_reset"
)
INVITATION = LinkKind(
    "invitation", timedelta(hours=48), "accounts.accept_invitation", "accounts/invitation"
)


class LinkInvalid(DomainError):
    """The link was altered, is for another purpose, or was used (the password changed)."""


class LinkExpired(DomainError):
    """The link is older than its kind allows."""


def _serializer(kind: LinkKind) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings().secret_key, salt=f"roadshow-{kind.purpose}")


def _fingerprint(user: User) -> str:
    return hash_token(user.password_hash)[:16]


def password_link_token(kind: LinkKind, user: User) -> str:
    """The secret of a set-password link for ``user``; it ends when the password changes."""
    return str(_serializer(kind).dumps({"user": user.id, "fp": _fingerprint(user)}))


def user_id_for_link(kind: LinkKind, token: str) -> tuple[int, str]:
    """The user id and password fingerprint a link names; ``LinkExpired`` or
    ``LinkInvalid`` otherwise (an expired link says so: its owner asks for a new one)."""
    try:
        payload = _serializer(kind).loads(token, max_age=int(kind.max_age.total_seconds()))
    except SignatureExpired as error:
        raise LinkExpired(_("Dieser Link ist abgelaufen.")) from error
    except BadSignature as error:
        raise LinkInvalid(_("Dieser Link ist ungültig oder wurde schon benutzt.")) from error
    if not (
        isinstance(payload, dict)
        and isinstance(payload.get("user"), int)
        and isinstance(payload.get("fp"), str)
    ):
        raise LinkInvalid(_("Dieser Link ist ungültig oder wurde schon benutzt."))
    return payload["user"], payload["fp"]


def link_fits(user: User, fingerprint: str) -> bool:
    """The link was made for the password ``user`` has now (so it was not used yet)."""
    return hmac.compare_digest(_fingerprint(user), fingerprint)
