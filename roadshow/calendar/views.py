"""Feeds over HTTP: public, per subscriber, per registration, one event.

Every ``.ics`` answer is ``text/calendar; charset=utf-8`` with a strong ETag (a hash of the
bytes) and Last-Modified, and answers If-None-Match / If-Modified-Since with 304. It is
never compressed: Outlook fails on compressed subscriptions, so ``no-transform`` asks
proxies not to either.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from roadshow.calendar.feeds import (
    Feed,
    build_feed,
    build_public_feed,
    event_changed_at,
    public_entries,
    registration_entries,
)
from roadshow.calendar.filters import (
    URL_PARAMETERS,
    FeedFilter,
    FilterChoices,
    filter_choices,
    filter_from_query,
)
from roadshow.calendar.forms import kind_labels
from roadshow.calendar.services import active_subscriber_by_feed_token
from roadshow.database import utcnow
from roadshow.errors import NotFound
from roadshow.events.models import Event, EventStatus
from roadshow.extensions import db
from roadshow.i18n import DEFAULT_LANGUAGE, requested_language
from roadshow.registrations.tokens import find_registration
from roadshow.settings import settings
from roadshow.urls import external_url

bp = Blueprint("calendar", __name__)

CACHE_SECONDS = 900


def calendar_response(feed: Feed, *, private: bool, filename: str) -> Response:
    """The feed as an HTTP answer, or 304 when the client has these bytes already."""
    response = Response(feed.body, mimetype="text/calendar")
    response.set_etag(feed.etag)
    response.last_modified = feed.last_modified
    if private:
        response.cache_control.private = True
    else:
        response.cache_control.public = True
    response.cache_control.max_age = CACHE_SECONDS
    response.cache_control.no_transform = True
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    if private:
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response.make_conditional(request)


def feed_language() -> str:
    """A feed's language: ``?lang=`` only (calendar apps send no cookies), else German."""
    return requested_language() or DEFAULT_LANGUAGE


def feed_name(label: str, language: str) -> str:
    """``Roadshow: Rosenheim, Webinare`` — the name a calendar app shows for the feed."""
    organiser = settings().organizer_name
    with force_locale(language):
        return f"{organiser}: {label or _('alle Veranstaltungen')}"


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
    """Published events; ``?town=…&kind=…&tour=…&partner=…`` (each repeatable), ``lang``."""
    choices = filter_choices(db.session)
    try:
        feed_filter = _filter_from_request(choices)
    except NotFound:
        abort(404)
    language = feed_language()
    with force_locale(language):
        label = choices.label(feed_filter, kind_labels())
    feed = build_public_feed(
        db.session, feed_filter, name=feed_name(label, language), language=language, now=utcnow()
    )
    return calendar_response(feed, private=False, filename="roadshow.ics")


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
    feed = build_public_feed(
        db.session,
        feed_filter,
        name=feed_name(_filter_label(feed_filter, language), language),
        language=language,
        now=utcnow(),
    )
    return calendar_response(feed, private=True, filename="roadshow.ics")


@bp.get("/r/<token>/calendar.ics")
def registration_feed(token: str) -> Response:
    """The event of one registration, with the join link for confirmed attendees."""
    registration = find_registration(db.session, token)
    if registration is None:
        abort(404)
    event = registration.event
    language = registration.language
    now = utcnow()
    feed = build_feed(
        registration_entries(registration, now=now),
        name=feed_name(event.title, language),
        language=language,
        now=now,
    )
    return calendar_response(feed, private=True, filename=f"{event.slug}.ics")


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
