"""Public pages: the listing (start page), an event's page, a tour's page; the site's logo
and its Impressum."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from roadshow.database import utcnow
from roadshow.events.models import Event, EventKind, PartnerRole, Tour, Venue
from roadshow.events.services import (
    ListedEvent,
    ListingFilter,
    filter_choices,
    listing,
    listing_count,
    public_event,
    registration_closed_reason,
    tour_events,
)
from roadshow.extensions import db
from roadshow.site import LOGO_CONTENT_TYPES, logo_path, logo_version

bp = Blueprint("events", __name__)

# Events per page of the listing: the start page stays a few screenfuls (the next stops as
# cards, a few months of webinars) and costs the same whatever the number of upcoming events.
PAGE_SIZE = 20

ROLE_ORDER = [PartnerRole.HOST, PartnerRole.SPEAKER, PartnerRole.EXHIBITOR, PartnerRole.SPONSOR]


# A logo whose URL names its version (``?v=``) may be cached for a year; else briefly.
LOGO_CACHE_SECONDS_VERSIONED = 365 * 24 * 3600
LOGO_CACHE_SECONDS_UNVERSIONED = 3600


@dataclass(frozen=True)
class Section:
    """The stops of one tour (or of none), in date order."""

    tour: Tour | None
    stops: list[ListedEvent]


@dataclass(frozen=True)
class Listing:
    """The start page's part of the listing: stops by tour, then the other events by month."""

    tours: list[Section]
    months: list[tuple[str, list[ListedEvent]]]

    def __bool__(self) -> bool:
        return bool(self.tours or self.months)


def _listing(items: list[ListedEvent]) -> Listing:
    by_tour: dict[int | None, list[ListedEvent]] = {}
    others = []
    for item in items:  # in date order, so tours come in the order of their next stop
        if item.event.kind is EventKind.STOP:
            by_tour.setdefault(item.event.tour_id, []).append(item)
        else:
            others.append(item)
    tours = [Section(group[0].event.tour, group) for group in by_tour.values()]
    return Listing(tours, _by_month(others))


def _by_month(items: list[ListedEvent]) -> list[tuple[str, list[ListedEvent]]]:
    """Events in date order, grouped by the month (local time) they start in."""
    by_month = groupby(items, key=lambda i: i.event.local_starts_at.strftime("%Y-%m"))
    return [(month, list(entries)) for month, entries in by_month]


@bp.app_template_global()
def osm_url(venue: Venue) -> str:
    """A plain link to OpenStreetMap; nothing of theirs is embedded in our pages."""
    if venue.latitude is not None and venue.longitude is not None:
        lat, lon = f"{venue.latitude:.5f}", f"{venue.longitude:.5f}"
        return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
    query = urlencode({"query": venue.one_line})
    return f"https://www.openstreetmap.org/search?{query}"


@bp.app_template_global()
def registration_open(event: Event) -> bool:
    """Whether the event takes registrations now (the listing's cards offer the form)."""
    return registration_closed_reason(event) is None


@dataclass(frozen=True)
class Page:
    """Which part of a long listing is shown: ``number`` of ``count`` pages."""

    number: int
    count: int
    args: dict[str, str]

    def url(self, number: int) -> str:
        args: dict[str, Any] = {k: v for k, v in self.args.items() if k != "page" and v}
        if number > 1:
            args["page"] = number
        return url_for("events.index", **args)


@bp.get("/")
def index() -> str:
    filters = ListingFilter.from_args(request.args)
    now = utcnow()
    total = listing_count(db.session, filters, now=now)
    pages = max(1, -(-total // PAGE_SIZE))
    number = request.args.get("page", 1, type=int) or 1
    if not 1 <= number <= pages:
        abort(404)
    items = listing(db.session, filters, now=now, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    return render_template(
        "events/index.html",
        listed=_listing(items),
        count=total,
        page=Page(number, pages, request.args.to_dict()),
        filters=filters,
        choices=filter_choices(db.session, now=now),
        kinds=list(EventKind),
    )


@bp.get("/events/<slug>")
def detail(slug: str) -> str:
    item = public_event(db.session, slug=slug)
    if item is None:
        abort(404)
    event = item.event
    roles = {
        role: [ep.partner for ep in event.partner_roles if ep.role is role] for role in ROLE_ORDER
    }
    return render_template(
        "events/detail.html",
        event=event,
        seats_left=item.seats_left,
        closed_reason=registration_closed_reason(event),
        roles=[(role, partners) for role, partners in roles.items() if partners],
        ref=request.args.get("ref") or None,
    )


@bp.get("/tours/<slug>")
def tour(slug: str) -> str:
    found = db.session.scalar(select(Tour).where(Tour.slug == slug))
    if found is None:
        abort(404)
    items = tour_events(db.session, found)
    now = utcnow()
    stops = [i for i in items if i.event.kind is EventKind.STOP]
    others = [i for i in items if i.event.kind is not EventKind.STOP and i.event.ends_at >= now]
    return render_template(
        "events/tour.html", tour=found, stops=stops, months=_by_month(others), now=now
    )


@bp.app_template_global()
def site_logo_url() -> str | None:
    """Where the organiser's logo is served (None: there is none)."""
    path = logo_path()
    return url_for("events.logo", v=logo_version(path)) if path else None


@bp.get("/logo")
def logo() -> Response:
    path = logo_path()
    if path is None:
        abort(404)
    versioned = request.args.get("v") == logo_version(path)
    response = send_file(
        path,
        mimetype=LOGO_CONTENT_TYPES[path.suffix],
        etag=logo_version(path),
        conditional=True,
        max_age=LOGO_CACHE_SECONDS_VERSIONED if versioned else LOGO_CACHE_SECONDS_UNVERSIONED,
    )
    if versioned:
        response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    # An SVG opened on its own runs nothing and loads nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@bp.get("/impressum")
def imprint() -> str:
    return render_template("events/imprint.html")


@bp.get("/datenschutz")
def privacy() -> Response:
    """The privacy notice lives with the registrations, whose form links to it."""
    lang = request.args.get("lang")
    return redirect(url_for("registrations.privacy", lang=lang or None), code=301)
