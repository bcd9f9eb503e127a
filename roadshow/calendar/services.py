"""Feed subscriptions with double opt-in, and finding personal feeds by their secret.

Nothing is active until the link in the confirmation mail is followed. The secrets of the
feed and the confirmation links are stored only as their SHA-256, and the manage link is
signed with the secret key (``roadshow.tokens``): a leaked database dump opens no feed and
no subscription. The same answer is given whether an address was known or not; what differs
is only the mail that its owner receives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from roadshow.calendar.filters import FeedFilter
from roadshow.calendar.models import Subscriber, SubscriberStatus
from roadshow.database import DBSession, utcnow
from roadshow.errors import DomainError, NotFound
from roadshow.mail.addresses import normalize_email
from roadshow.mail.services import enqueue
from roadshow.tokens import hash_token, new_token, sign_id, signed_id
from roadshow.urls import external_url

MANAGE_LINK = "subscriber-manage"

CONFIRM_HOURS = 48


class LinkExpired(DomainError):
    """The confirmation link is older than its validity; subscribing again sends a new one."""


def manage_token(subscriber: Subscriber) -> str:
    """The secret of the subscriber's manage and unsubscribe link.

    Signed rather than random, so that every notice can carry the same link (a one-click
    unsubscribe in an old mail keeps working) and a repeated subscribe can send it again;
    nothing of it is stored. A new secret key ends every such link.
    """
    return sign_id(MANAGE_LINK, subscriber.id)


@dataclass(frozen=True)
class SubscriptionLinks:
    feed_url: str | None
    manage_url: str
    unsubscribe_url: str


def subscription_links(subscriber: Subscriber, feed_token: str | None = None) -> SubscriptionLinks:
    token = manage_token(subscriber)
    return SubscriptionLinks(
        feed_url=external_url("calendar.subscriber_feed", token=feed_token) if feed_token else None,
        manage_url=external_url("calendar.manage", token=token),
        unsubscribe_url=external_url("calendar.unsubscribe", token=token),
    )


def request_subscription(
    session: DBSession,
    *,
    email: str,
    language: str,
    feed_filter: FeedFilter,
    notify_by_email: bool,
    consent_text_version: str,
    ip: str | None,
    now: datetime | None = None,
) -> Subscriber:
    """Step one of the double opt-in: queue a confirmation mail, activate nothing.

    A new address gets a pending subscription; a pending one gets its choices replaced and
    a new link (the old one ends). An address with an active subscription is not changed
    (anyone may type any address): its owner gets a mail with the link to manage it.
    ``feed_filter`` must come from ``validated_filter``.
    """
    now = now or utcnow()
    normalized = normalize_email(email)
    subscriber = _live_subscriber(session, normalized) or _new_subscriber(
        session, email=email.strip(), normalized=normalized, now=now
    )
    if subscriber.status is SubscriberStatus.ACTIVE:
        links = subscription_links(subscriber)
        enqueue(
            session,
            template="calendar/subscription_exists",
            language=language,
            recipient=subscriber.email,
            # Once a day at most: anyone may type the address, its owner is not flooded.
            idempotency_key=f"subscription-exists:{subscriber.id}:{now.date().isoformat()}",
            context={"links": links},
        )
        session.flush()
        return subscriber

    subscriber.email = email.strip()
    subscriber.language = language
    subscriber.filters = feed_filter.to_json()
    subscriber.notify_by_email = notify_by_email
    subscriber.consent_text_version = consent_text_version
    subscriber.subscribed_at = now
    subscriber.subscribed_ip = ip
    token = new_token()
    subscriber.confirm_token_hash = hash_token(token)
    subscriber.confirm_expires_at = now + timedelta(hours=CONFIRM_HOURS)
    session.flush()
    enqueue(
        session,
        template="calendar/confirm_subscription",
        language=language,
        recipient=subscriber.email,
        idempotency_key=f"subscription-confirm:{subscriber.id}:{subscriber.confirm_token_hash}",
        context={
            "confirm_url": external_url("calendar.confirm", token=token),
            "expires_at": subscriber.confirm_expires_at,
            "hours": CONFIRM_HOURS,
        },
    )
    return subscriber


def _live_subscriber(session: DBSession, email_normalized: str) -> Subscriber | None:
    return session.scalar(
        select(Subscriber).where(
            Subscriber.email_normalized == email_normalized,
            Subscriber.status != SubscriberStatus.CANCELLED,
        )
    )


def _new_subscriber(
    session: DBSession, *, email: str, normalized: str, now: datetime
) -> Subscriber:
    """A pending row for a new address; the caller fills in the request."""
    subscriber = Subscriber(
        email=email,
        email_normalized=normalized,
        status=SubscriberStatus.PENDING,
        consent_text_version="",
        subscribed_at=now,
    )
    try:
        with session.begin_nested():
            session.add(subscriber)
    except IntegrityError:
        # The same address was submitted twice at once: the other request created it.
        existing = _live_subscriber(session, normalized)
        if existing is None:
            raise
        return existing
    return subscriber


def pending_subscriber(
    session: DBSession, token: str, *, now: datetime | None = None
) -> Subscriber:
    """The subscription a confirmation link belongs to; ``NotFound`` or ``LinkExpired``."""
    subscriber = session.scalar(
        select(Subscriber).where(
            Subscriber.confirm_token_hash == hash_token(token),
            Subscriber.status == SubscriberStatus.PENDING,
        )
    )
    if subscriber is None:
        raise NotFound(_("Dieser Link ist ungültig oder wurde schon benutzt."))
    expires_at = subscriber.confirm_expires_at
    if expires_at is None or expires_at <= (now or utcnow()):
        raise LinkExpired(_("Dieser Link ist abgelaufen. Bitte melden Sie sich erneut an."))
    return subscriber


def confirm_subscription(
    session: DBSession, token: str, *, ip: str | None, now: datetime | None = None
) -> tuple[Subscriber, SubscriptionLinks]:
    """Step two: the link was followed. Activates the feed; the link cannot be used again.

    Returns the subscriber and its links, with the feed URL, which exists only now (and in
    the mail queued here): only its hash is kept.
    """
    now = now or utcnow()
    subscriber = pending_subscriber(session, token, now=now)
    subscriber.status = SubscriberStatus.ACTIVE
    subscriber.confirmed_at = now
    subscriber.confirmed_ip = ip
    subscriber.confirm_token_hash = None
    subscriber.confirm_expires_at = None
    feed_token = new_token()
    subscriber.feed_token_hash = hash_token(feed_token)
    links = subscription_links(subscriber, feed_token)
    session.flush()
    _queue_feed_address(session, subscriber, links, rotated=False)
    return subscriber, links


def _queue_feed_address(
    session: DBSession, subscriber: Subscriber, links: SubscriptionLinks, *, rotated: bool
) -> None:
    enqueue(
        session,
        template="calendar/subscription_active",
        language=subscriber.language,
        recipient=subscriber.email,
        idempotency_key=f"subscription-active:{subscriber.id}:{subscriber.feed_token_hash}",
        context={"links": links, "rotated": rotated},
    )


def active_subscriber_by_manage_token(session: DBSession, token: str) -> Subscriber:
    """The active subscription a manage link names; ``NotFound`` once it is cancelled."""
    subscriber_id = signed_id(MANAGE_LINK, token)
    subscriber = session.get(Subscriber, subscriber_id) if subscriber_id is not None else None
    if subscriber is None or subscriber.status is not SubscriberStatus.ACTIVE:
        raise NotFound(_("Dieses Abonnement gibt es nicht (mehr)."))
    return subscriber


def active_subscriber_by_feed_token(session: DBSession, token: str) -> Subscriber:
    subscriber = session.scalar(
        select(Subscriber).where(
            Subscriber.feed_token_hash == hash_token(token),
            Subscriber.status == SubscriberStatus.ACTIVE,
        )
    )
    if subscriber is None:
        raise NotFound(_("Diesen Kalender gibt es nicht (mehr)."))
    return subscriber


def change_subscription(
    session: DBSession, subscriber: Subscriber, *, feed_filter: FeedFilter, notify_by_email: bool
) -> None:
    """New choices of a confirmed subscriber (``feed_filter`` from ``validated_filter``)."""
    subscriber.filters = feed_filter.to_json()
    subscriber.notify_by_email = notify_by_email
    session.flush()


def rotate_feed_token(session: DBSession, subscriber: Subscriber) -> SubscriptionLinks:
    """A new secret feed URL; the old one answers 404 from now on. Mailed, too."""
    feed_token = new_token()
    subscriber.feed_token_hash = hash_token(feed_token)
    links = subscription_links(subscriber, feed_token)
    session.flush()
    _queue_feed_address(session, subscriber, links, rotated=True)
    return links


def stop_notices(session: DBSession, subscriber: Subscriber) -> None:
    """Unsubscribe from the notice mails; the calendar feed stays."""
    subscriber.notify_by_email = False
    session.flush()


def cancel_subscription(
    session: DBSession, subscriber: Subscriber, *, now: datetime | None = None
) -> None:
    """End the subscription: the feed, the manage link and the notices stop at once.

    The row stays, without any secret, as the record of the consent and its withdrawal.
    """
    subscriber.status = SubscriberStatus.CANCELLED
    subscriber.cancelled_at = now or utcnow()
    subscriber.notify_by_email = False
    subscriber.feed_token_hash = None
    subscriber.confirm_token_hash = None
    subscriber.confirm_expires_at = None
    session.flush()


def purge_unconfirmed(session: DBSession, *, now: datetime | None = None) -> int:
    """Delete subscriptions whose confirmation link expired unused; returns how many.

    They never became active, so nothing of them is kept (no consent was given).
    """
    expired = session.scalars(
        select(Subscriber).where(
            Subscriber.status == SubscriberStatus.PENDING,
            Subscriber.confirm_expires_at < (now or utcnow()),
        )
    ).all()
    for subscriber in expired:
        session.delete(subscriber)
    session.flush()
    return len(expired)
