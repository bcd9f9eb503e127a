"""Secret self-service tokens: random in the link, only their SHA-256 in the database.

A leaked database dump then holds no working link, and a lookup by the hash leaks nothing
about the token through timing; the final comparison is constant-time all the same.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from roadshow.database import DBSession
from roadshow.events.models import Event
from roadshow.registrations.models import Registration

TOKEN_BYTES = 32  # 256 bits of randomness; token_urlsafe writes them as 43 characters
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token() -> str:
    """A fresh secret for a registration's self-service link."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """What the database keeps of a token: its SHA-256 as 64 hex digits."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def find_registration(session: DBSession, token: str) -> Registration | None:
    """The registration the token opens, or None for a wrong, tampered or erased one."""
    if not TOKEN_PATTERN.fullmatch(token):
        return None
    digest = hash_token(token)
    registration = session.scalar(
        select(Registration)
        .where(Registration.token_hash == digest)
        .options(
            selectinload(Registration.attendees),
            selectinload(Registration.event).selectinload(Event.venue),
        )
    )
    if registration is None or registration.anonymised_at is not None:
        return None
    if not hmac.compare_digest(registration.token_hash, digest):
        return None
    return registration
