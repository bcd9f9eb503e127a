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
from roadshow.events.services import UNCHANGED, Unchanged
from roadshow.events.signals import event_cancelled, event_changed, event_published
from roadshow.mail.services import enqueue
from roadshow.urls import external_url

NoticeKind = Literal["published", "changed", "cancelled"]


def subscribers_to_notify(
    session: DBSession, event: Event, *, town: str | None | Unchanged = UNCHANGED
) -> list[Subscriber]:
    """The subscribers a notice about ``event`` reaches: confirmed, asking for mail, and
    with a filter that holds the event. Drafts reach nobody.

    ``town`` counts them for the event as it would be after a move (``None``: online);
    ``notify_subscribers`` runs after the change is made and needs none. One query.
    """
    if event.status is EventStatus.DRAFT:
        return []
    subscribers = session.scalars(
        select(Subscriber)
        .where(
            Subscriber.status == SubscriberStatus.ACTIVE,
            Subscriber.notify_by_email.is_(True),
        )
        .order_by(Subscriber.id)
    ).all()
    return [s for s in subscribers if FeedFilter.from_json(s.filters).matches(event, town=town)]


def notify_subscribers(session: DBSession, event: Event, what: NoticeKind) -> int:
    """Queue a notice to every subscriber who asked for mail and whose filter holds
    ``event`` (``subscribers_to_notify``); returns how many subscribers that is (a repeat
    queues nothing new).

    It runs in the transaction that publishes, changes or cancels the event, after the
    change is made (so the notice shows the new time and SEQUENCE): the events domain's
    signals call it. A notice is queued once
    per subscriber, event, kind and change: calling it twice for the same change sends
    nothing more. Drafts are never announced.
    """
    subscribers = subscribers_to_notify(session, event)
    if not subscribers:
        return 0
    event_url = external_url("events.detail", slug=event.slug)
    changed_at = event_changed_at(event).isoformat()
    for subscriber in subscribers:
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
    return len(subscribers)


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
