"""What a health check reports about the outbox: counts and age, no personal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from roadshow.database import DBSession, utcnow
from roadshow.mail.models import OutboxMessage, OutboxStatus

WAITING = (OutboxStatus.QUEUED, OutboxStatus.RETRY, OutboxStatus.SENDING)


@dataclass(frozen=True)
class OutboxHealth:
    waiting: int  # queued, planned for a retry, or being sent
    failed: int
    oldest_waiting_seconds: int  # since the oldest waiting message was queued; 0 if none

    def document(self) -> dict[str, int]:
        return {
            "waiting": self.waiting,
            "failed": self.failed,
            "oldest_waiting_seconds": self.oldest_waiting_seconds,
        }


def outbox_health(session: DBSession, now: datetime | None = None) -> OutboxHealth:
    """One aggregate over the rows not yet sent (the status index skips the sent ones)."""
    is_waiting = OutboxMessage.status.in_(WAITING)
    waiting, failed, oldest = session.execute(
        select(
            func.count().filter(is_waiting),
            func.count().filter(OutboxMessage.status == OutboxStatus.FAILED),
            func.min(OutboxMessage.created_at).filter(is_waiting),
        ).where(OutboxMessage.status.in_((*WAITING, OutboxStatus.FAILED)))
    ).one()
    age = 0
    if oldest is not None:
        age = max(0, int(((now or utcnow()) - oldest).total_seconds()))
    return OutboxHealth(int(waiting), int(failed), age)
