"""Secrets in links, made and checked in one place.

Random tokens (a registration's self-service link, a feed address, a confirmation link)
are 256 random bits in the link and only their SHA-256 in the database: a leaked dump
holds no working link, and looking a row up by the hash leaks nothing about the token
through timing. Links that must stay the same in every mail (a subscriber's manage and
unsubscribe link) are signed with the secret key by itsdangerous instead of stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from itsdangerous import BadSignature, URLSafeSerializer

from roadshow.settings import settings

TOKEN_BYTES = 32  # 256 bits of randomness; token_urlsafe writes them as 43 characters
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


# A check-in code is read by a camera or typed by a USB scanner that may think it has a US
# keyboard on a German computer: digits and capitals only, without Y and Z (swapped between
# the two layouts) and without I, L, O, U (read as 1, 1, 0, V). 16 of 30 symbols: 78 bits.
CHECK_IN_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWX"
CHECK_IN_LENGTH = 16


def new_check_in_code() -> str:
    """A fresh code for an attendee's ticket; unguessable, and not the self-service secret."""
    return "".join(secrets.choice(CHECK_IN_ALPHABET) for _ in range(CHECK_IN_LENGTH))


def normalize_check_in_code(text: str) -> str:
    """A code as typed, scanned or printed in groups (``ABCD EFGH …``), as stored."""
    return re.sub(r"[\s-]+", "", text).upper()


def new_token() -> str:
    """A fresh random secret for a link."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """What the database keeps of a token: its SHA-256 as 64 hex digits."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(token: str) -> bool:
    """Shaped like ``new_token()`` makes them (anything else opens nothing)."""
    return TOKEN_PATTERN.fullmatch(token) is not None


def same_hash(stored: str, token: str) -> bool:
    """The stored hash is this token's, compared in constant time."""
    return hmac.compare_digest(stored, hash_token(token))


def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(settings().secret_key, salt=f"roadshow-{purpose}")


def sign_id(purpose: str, object_id: int) -> str:
    """A link secret that names ``object_id`` for ``purpose``; the same every time."""
    return str(_serializer(purpose).dumps(object_id))


def signed_id(purpose: str, token: str) -> int | None:
    """The id a ``sign_id`` token names, or None for a forged, altered or foreign one."""
    try:
        value = _serializer(purpose).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
