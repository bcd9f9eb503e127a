"""Audit entries for changes that lower domains announce (they cannot call ``record``)."""

from __future__ import annotations

from typing import Any

from roadshow.accounts.models import User
from roadshow.accounts.services import record
from roadshow.database import DBSession
from roadshow.partners.signals import partner_saved


def record_partner_saved(
    partner: Any,
    *,
    session: DBSession,
    actor: User | None,
    action: str,
    changes: list[dict[str, Any]],
) -> None:
    record(session, action, partner, actor, changes=changes)


def listen_to_partners() -> None:
    partner_saved.connect(record_partner_saved)
