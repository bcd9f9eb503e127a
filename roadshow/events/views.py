"""Public pages: the listing (start page), an event's page, a tour's page."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, render_template, request, url_for
from sqlalchemy import select

from roadshow.database import utcnow
from roadshow.events.models import EventKind, PartnerRole, Tour, Venue
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

bp = Blueprint("events", __name__)

# Events per page of the listing: the start page stays one screenful of rows per tour and
# costs the same whatever the number of upcoming events.
PAGE_SIZE = 40

ROLE_ORDER = [PartnerRole.HOST, PartnerRole.SPEAKER, PartnerRole.EXHIBITOR, PartnerRole.SPONSOR]


@dataclass(frozen=True)
class Section:
    """Events of one tour (or of none), month by month."""

    tour: Tour | None
    months: list[tuple[str, list[ListedEvent]]]


def _sections(items: list[ListedEvent]) -> list[Section]:
    by_tour: dict[int | None, list[ListedEvent]] = {}
    for item in items:  # in date order, so tours come in the order of their next event
        by_tour.setdefault(item.event.tour_id, []).append(item)
    sections = []
    for group in by_tour.values():
        months = [
            (month, list(entries))
            for month, entries in groupby(
                group, key=lambda i: i.event.local_starts_at.strftime("%Y-%m")
            )
        ]
        sections.append(Section(group[0].event.tour, months))
    return sections


@bp.app_template_global()
def osm_url(venue: Venue) -> str:
    """A plain link to OpenStreetMap; nothing of theirs is embedded in our pages."""
    if venue.latitude is not None and venue.longitude is not None:
        lat, lon = f"{venue.latitude:.5f}", f"{venue.longitude:.5f}"
        return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
    query = urlencode({"query": venue.one_line})
    return f"https://www.openstreetmap.org/search?{query}"


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
        sections=_sections(items),
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
    return render_template("events/tour.html", tour=found, stops=stops, others=others, now=now)
