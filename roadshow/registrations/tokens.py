"""Finding a registration by the secret of its self-service link (see ``roadshow.tokens``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from roadshow.database import DBSession
from roadshow.events.models import Event
from roadshow.registrations.models import Registration
from roadshow.tokens import hash_token, looks_like_token, same_hash


def find_registration(session: DBSession, token: str) -> Registration | None:
    """The registration the token opens, or None for a wrong, tampered or erased one."""
    if not looks_like_token(token):
        return None
    registration = session.scalar(
        select(Registration)
        .where(Registration.token_hash == hash_token(token))
        .options(
            selectinload(Registration.attendees),
            selectinload(Registration.event).selectinload(Event.venue),
        )
    )
    if registration is None or registration.anonymised_at is not None:
        return None
    if not same_hash(registration.token_hash, token):
        return None
    return registration
