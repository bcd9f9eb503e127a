"""Notice mails to confirmed subscribers when a matching event is published, changed or
cancelled. Every notice carries a one-click unsubscribe (RFC 2369 and RFC 8058)."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select

from roadshow.calendar.feeds import event_changed_at
from roadshow.calendar.filters import FeedFilter
from roadshow.calendar.models import Subscriber, SubscriberStatus
from roadshow.calendar.services import subscription_links
from roadshow.database import DBSession
from roadshow.events.models import Event, EventStatus
from roadshow.events.signals import event_cancelled, event_changed, event_published
from roadshow.mail.services import enqueue
from roadshow.urls import external_url

NoticeKind = Literal["published", "changed", "cancelled"]


def notify_subscribers(session: DBSession, event: Event, what: NoticeKind) -> int:
    """Queue a notice to every subscriber who asked for mail and whose filter holds
    ``event``; returns how many subscribers that is (a repeat queues nothing new).

    It runs in the transaction that publishes, changes or cancels the event, after the
    change is made (so the notice shows the new time and SEQUENCE): the events domain's
    signals call it. A notice is queued once
    per subscriber, event, kind and change: calling it twice for the same change sends
    nothing more. Drafts are never announced.
    """
    if event.status is EventStatus.DRAFT:
        return 0
    subscribers = session.scalars(
        select(Subscriber)
        .where(
            Subscriber.status == SubscriberStatus.ACTIVE,
            Subscriber.notify_by_email.is_(True),
        )
        .order_by(Subscriber.id)
    ).all()
    event_url = external_url("events.detail", slug=event.slug)
    changed_at = event_changed_at(event).isoformat()
    concerned = 0
    for subscriber in subscribers:
        if not FeedFilter.from_json(subscriber.filters).matches(event):
            continue
        links = subscription_links(subscriber)
        enqueue(
            session,
            template="calendar/event_notice",
            language=subscriber.language,
            recipient=subscriber.email,
            idempotency_key=(
                f"feed-notice:{subscriber.id}:{event.id}:{what}:{event.sequence}:{changed_at}"
            ),
            context={"event": event, "what": what, "event_url": event_url, "links": links},
            headers={
                "List-Unsubscribe": f"<{links.unsubscribe_url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            event_id=event.id,
        )
        concerned += 1
    return concerned


def _published(event: Event, *, session: DBSession) -> int:
    return notify_subscribers(session, event, "published")


def _changed(event: Event, *, session: DBSession, **_details: object) -> int:
    return notify_subscribers(session, event, "changed")


def _cancelled(event: Event, *, session: DBSession) -> int:
    return notify_subscribers(session, event, "cancelled")


def listen_to_events() -> None:
    """Subscribe to the events domain's news (called once at start-up)."""
    event_published.connect(_published, weak=False)
    event_changed.connect(_changed, weak=False)
    event_cancelled.connect(_cancelled, weak=False)
