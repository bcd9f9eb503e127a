"""The optional second factor for staff: TOTP codes (RFC 6238) and one-time recovery codes.

Enrolling takes two steps: a new secret is stored (on the server, never in the session
cookie) and shown as a QR code and as text, and only a code made from it switches the
factor on (``totp_enabled_at``), so nobody locks themselves out with a secret their app
never saw. A code is accepted one step either side of now (clock drift) and
never twice: the step of the last code used is stored. Recovery codes are stored as
SHA-256 hashes; each one works once.
"""

from __future__ import annotations

import secrets
import time

import pyotp
import segno
import sqlalchemy as sa
from flask_babel import gettext as _

from roadshow.accounts.models import Role, SiteSetting, User
from roadshow.accounts.passwords import password_matches
from roadshow.accounts.services import record
from roadshow.database import DBSession, utcnow
from roadshow.errors import DomainError
from roadshow.tokens import hash_token

RECOVERY_CODES = 10
REQUIRE_FOR_ORGANISERS = "require_totp_for_organisers"
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, *, email: str, issuer: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_code_data_uri(uri: str) -> str:
    """The QR code of ``uri`` as an SVG ``data:`` URI (no inline script, no extra request)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code ``code`` is (now, or one step before or after), or None."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    step = int(now // totp.interval)
    for candidate in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.at(candidate * totp.interval), code):
            return candidate
    return None


def start_enrolment(session: DBSession, user: User) -> str:
    """The secret to show while the factor is not on yet: the same one until it is
    confirmed, so that reloading the page keeps what the app has scanned."""
    if user.totp_enabled_at is not None:
        raise DomainError(_("Der zweite Faktor ist schon eingeschaltet."))
    if user.totp_secret is None:
        user.totp_secret = new_secret()
        session.flush()
    return user.totp_secret


def enable(session: DBSession, user: User, code: str) -> list[str]:
    """Switch the factor on with the secret the user's app now holds; the recovery codes
    are returned once (only their hashes are kept)."""
    if user.totp_secret is None or user.totp_enabled_at is not None:
        raise DomainError(_("Bitte laden Sie die Seite neu."), field="code")
    step = _matching_step(user.totp_secret, code)
    if step is None:
        raise DomainError(
            _("Der Code passt nicht. Bitte geben Sie den aktuellen Code aus Ihrer App ein."),
            field="code",
        )
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = _new_recovery_codes(user)
    record(session, "user.totp_enabled", user, user)
    session.flush()
    return codes


def regenerate_recovery_codes(session: DBSession, user: User, code: str) -> list[str]:
    """New recovery codes (the old ones stop working), after a current code."""
    if not verify(session, user, code):
        raise DomainError(_("Der Code passt nicht."), field="code")
    codes = _new_recovery_codes(user)
    record(session, "user.recovery_codes_renewed", user, user)
    session.flush()
    return codes


def disable(session: DBSession, user: User, *, password: str, code: str) -> None:
    """Switch the factor off; it takes the password and a current or recovery code."""
    if not password_matches(user, password):
        raise DomainError(_("Das Passwort stimmt nicht."), field="password")
    if not verify(session, user, code):
        raise DomainError(_("Der Code passt nicht."), field="code")
    clear(user)
    record(session, "user.totp_disabled", user, user)
    session.flush()


def clear(user: User) -> None:
    """No second factor any more (also when an account is erased)."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.recovery_code_hashes = []


def _lock(session: DBSession, user: User) -> None:
    """Hold the user's row until the transaction ends, and read it again: two requests
    with the same code at the same moment take turns, and the second sees it used."""
    session.execute(
        sa.update(User).where(User.id == user.id).values(session_version=User.session_version)
    )
    session.refresh(user)


def verify(session: DBSession, user: User, code: str) -> bool:
    """A current TOTP code not used before, or an unused recovery code (used up now).

    The caller commits; until then the user's row is locked (see ``_lock``)."""
    _lock(session, user)
    if user.totp_secret is None or user.totp_enabled_at is None:
        return False
    step = _matching_step(user.totp_secret, code)
    if step is not None:
        if user.totp_last_step is not None and step <= user.totp_last_step:
            return False  # this code (or an older one) was used already
        user.totp_last_step = step
        return True
    digest = hash_token(_normalised_recovery_code(code))
    if digest in user.recovery_code_hashes:
        user.recovery_code_hashes = [h for h in user.recovery_code_hashes if h != digest]
        return True
    return False


def _new_recovery_codes(user: User) -> list[str]:
    codes = [
        "-".join(
            "".join(secrets.choice(_RECOVERY_ALPHABET) for _i in range(4)) for _part in range(3)
        )
        for _code in range(RECOVERY_CODES)
    ]
    user.recovery_code_hashes = [hash_token(code) for code in codes]
    return codes


def _normalised_recovery_code(code: str) -> str:
    letters = "".join(ch for ch in code.lower() if ch.isalnum())
    return "-".join(letters[i : i + 4] for i in range(0, len(letters), 4))


# --- the requirement for staff -----------------------------------------------------------


def required_for_organisers(session: DBSession) -> bool:
    setting = session.get(SiteSetting, REQUIRE_FOR_ORGANISERS)
    return bool(setting and setting.value)


def set_required_for_organisers(session: DBSession, required: bool, *, actor: User) -> None:
    setting = session.get(SiteSetting, REQUIRE_FOR_ORGANISERS)
    if setting is None:
        setting = SiteSetting(key=REQUIRE_FOR_ORGANISERS, value=required)
        session.add(setting)
    before = bool(setting.value)
    setting.value = required
    record(
        session,
        "settings.changed",
        actor,
        actor,
        changes=[{"field": REQUIRE_FOR_ORGANISERS, "old": before, "new": required}],
    )
    session.flush()


def must_enrol(session: DBSession, user: User) -> bool:
    """Staff without a second factor while an admin requires one."""
    return (
        user.role in (Role.ADMIN, Role.ORGANISER)
        and user.totp_enabled_at is None
        and required_for_organisers(session)
    )
