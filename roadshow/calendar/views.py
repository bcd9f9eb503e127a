"""Feeds over HTTP: public, per subscriber, one event; the page of feed links.

A registration's own feed is served by the registrations domain; every feed is answered
the same way (``calendar.responses``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from roadshow.calendar import feeds
from roadshow.calendar.feeds import (
    build_feed,
    event_changed_at,
    public_entries,
    public_feed_version,
)
from roadshow.calendar.filters import (
    URL_PARAMETERS,
    FeedFilter,
    FilterChoices,
    filter_choices,
    filter_from_query,
)
from roadshow.calendar.forms import kind_labels
from roadshow.calendar.responses import (
    calendar_response,
    feed_language,
    feed_name,
    feed_response,
)
from roadshow.calendar.services import active_subscriber_by_feed_token
from roadshow.database import utcnow
from roadshow.errors import NotFound
from roadshow.events.models import Event, EventStatus
from roadshow.extensions import db
from roadshow.urls import external_url

bp = Blueprint("calendar", __name__)


def _filter_label(feed_filter: FeedFilter, language: str) -> str:
    choices = filter_choices(db.session)
    with force_locale(language):
        return choices.label(feed_filter, kind_labels())


def _filter_from_request(choices: FilterChoices) -> FeedFilter:
    """The filter the query string names (each parameter may repeat); ``NotFound`` for a
    value that names nothing."""
    return filter_from_query(
        choices, {parameter: request.args.getlist(parameter) for parameter in URL_PARAMETERS}
    )


@bp.get("/calendar.ics")
def public_feed() -> Response:
    """Published events; ``?town=…&kind=…&tour=…&partner=…`` (each repeatable), ``lang``.

    The feed of all events needs no filter choices (three queries); so its 304 costs one
    query, its stamp (``public_feed_version``)."""
    language = feed_language()
    if any(parameter in request.args for parameter in URL_PARAMETERS):
        choices = filter_choices(db.session)
        try:
            feed_filter = _filter_from_request(choices)
        except NotFound:
            abort(404)
        with force_locale(language):
            label = choices.label(feed_filter, kind_labels())
    else:
        feed_filter, label = FeedFilter(), ""
    return _public_feed_response(
        feed_filter, name=feed_name(label, language), language=language, private=False
    )


def _public_feed_response(
    feed_filter: FeedFilter, *, name: str, language: str, private: bool
) -> Response:
    now = utcnow()
    version = public_feed_version(db.session, feed_filter, name=name, language=language, now=now)
    return feed_response(
        version,
        lambda: feeds.public_feed(
            db.session, feed_filter, version, name=name, language=language, now=now
        ),
        private=private,
        filename="roadshow.ics",
    )


@bp.get("/events/<slug>.ics")
def event_ics(slug: str) -> Response:
    """One published (or cancelled) event, to add to a calendar; no join link."""
    event = db.first_or_404(
        select(Event)
        .where(Event.slug == slug, Event.status != EventStatus.DRAFT)
        .options(selectinload(Event.venue))
    )
    language = feed_language()
    feed = build_feed(
        public_entries([event]),
        name=feed_name(event.title, language),
        language=language,
        now=event_changed_at(event),
    )
    return calendar_response(feed, private=False, filename=f"{event.slug}.ics")


@bp.get("/feeds/<token>.ics")
def subscriber_feed(token: str) -> Response:
    """A confirmed subscriber's feed, filtered as they chose; 404 once rotated or cancelled."""
    try:
        subscriber = active_subscriber_by_feed_token(db.session, token)
    except NotFound:
        abort(404)
    feed_filter = FeedFilter.from_json(subscriber.filters)
    language = subscriber.language
    name = feed_name(_filter_label(feed_filter, language), language)
    return _public_feed_response(feed_filter, name=name, language=language, private=True)


@bp.get("/calendar")
def feeds_page() -> str:
    """Links to the public feeds: all events, or the combination chosen in the form."""
    choices = filter_choices(db.session)
    try:
        feed_filter = _filter_from_request(choices)
    except NotFound:
        feed_filter = FeedFilter()
    values: dict[str, Any] = feed_filter.url_values()
    return render_template(
        "calendar/feeds.html",
        choices=choices,
        kind_labels=kind_labels(),
        feed_filter=feed_filter,
        label=choices.label(feed_filter, kind_labels()),
        feed_url=external_url("calendar.public_feed", **values),
        subscribe_url=external_url("calendar.subscribe", **values),
    )
