"""Organiser endpoints: tours, venues and events (create, change, publish, cancel, impact).

The same planning services as the back office's pages answer here. A body is checked field
by field (type, length, range) before any service runs, so that whatever a client sends
gets a 422 with messages per field and never reaches the database in a shape it would
refuse. A rule a service enforces comes back the same way (``DomainError`` with a field),
a state that forbids the action (publishing a non-draft, changing a cancelled event) as
409, conflicts with other events as 409 listing them unless ``override_conflicts``.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from roadshow.api.auth import api_user, organisers_api
from roadshow.api.fields import MAX_ID, Fields
from roadshow.api.planning_openapi import planning_description
from roadshow.api.schemas import organiser_event_json
from roadshow.api.views import bp, error_response
from roadshow.errors import DomainError, NotFound
from roadshow.events.conflicts import ConflictsFound
from roadshow.events.models import Event, EventKind, Tour, Venue
from roadshow.events.overview import event_for_planning
from roadshow.events.planning import (
    DEFAULT_TIMEZONE,
    NewEvent,
    VenueInput,
    create_event,
    create_tour,
    create_venue,
    is_time_zone,
    reschedule_event,
    update_event_details,
)
from roadshow.events.services import UNCHANGED, Unchanged, cancel_event, publish_event
from roadshow.extensions import db
from roadshow.registrations.impact import impact_of_change
from roadshow.registrations.services import set_capacity

KINDS = {kind.value: kind for kind in EventKind}
STATUSES = ("draft", "published")


def _invalid(errors: dict[str, list[str]]) -> Response:
    return error_response(422, _("Die Angaben sind unvollständig oder fehlerhaft."), errors)


def _body() -> Fields | Response:
    body: Any = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error_response(400, _("Die Anfrage ist kein gültiges JSON-Objekt."))
    return Fields(body)


def _domain_error(error: DomainError) -> Response:
    """A service's refusal: unknown things 404, a field 422, the event's state 409."""
    db.session.rollback()
    if isinstance(error, ConflictsFound):
        response = jsonify(
            {
                "message": error.message,
                "errors": {},
                "conflicts": [conflict.as_json() for conflict in error.conflicts],
            }
        )
        response.status_code = 409
        return response
    if isinstance(error, NotFound):
        return error_response(404, error.message)
    if error.field:
        return _invalid({error.field: [error.message]})
    return error_response(409, error.message)


def _created(payload: dict[str, Any]) -> Response:
    response = jsonify(payload)
    response.status_code = 201
    return response


def _event_or_none(event_id: int) -> Event | None:
    return event_for_planning(db.session, event_id) if event_id <= MAX_ID else None


def tour_json(tour: Tour) -> dict[str, Any]:
    return {"id": tour.id, "slug": tour.slug, "title": tour.title, "description": tour.description}


def venue_json(venue: Venue) -> dict[str, Any]:
    return {
        "id": venue.id,
        "name": venue.name,
        "street": venue.street,
        "postcode": venue.postcode,
        "town": venue.town,
        "latitude": venue.latitude,
        "longitude": venue.longitude,
    }


@bp.post("/tours")
@organisers_api
def create_tour_api() -> Response:
    fields = _body()
    if isinstance(fields, Response):
        return fields
    title = fields.text("title", required=True)
    slug = fields.text("slug", nullable=True)
    description = fields.text("description", nullable=True)
    if fields.errors:
        return _invalid(fields.errors)
    try:
        tour = create_tour(
            db.session,
            title=title or "",
            slug=slug or "",
            description=description or "",
            actor=api_user(),
        )
        db.session.commit()
    except DomainError as error:
        return _domain_error(error)
    return _created(tour_json(tour))


@bp.post("/venues")
@organisers_api
def create_venue_api() -> Response:
    fields = _body()
    if isinstance(fields, Response):
        return fields
    values = {
        name: fields.text(name, required=True) for name in ("name", "street", "postcode", "town")
    }
    latitude, longitude = fields.number("latitude", 90), fields.number("longitude", 180)
    if fields.errors:
        return _invalid(fields.errors)
    try:
        venue = create_venue(
            db.session,
            VenueInput(
                name=values["name"] or "",
                street=values["street"] or "",
                postcode=values["postcode"] or "",
                town=values["town"] or "",
                latitude=latitude,
                longitude=longitude,
            ),
            actor=api_user(),
        )
        db.session.commit()
    except DomainError as error:
        return _domain_error(error)
    return _created(venue_json(venue))


@bp.post("/events")
@organisers_api
def create_event_api() -> Response:
    fields = _body()
    if isinstance(fields, Response):
        return fields
    kind_name = fields.text("kind", required=True)
    kind = KINDS.get(kind_name or "")
    if kind_name is not None and kind is None:
        fields.fail("kind", _("Erlaubt sind: stop, webinar, workshop."))
    zone = fields.text("timezone", nullable=True) or DEFAULT_TIMEZONE
    if not is_time_zone(zone):
        fields.fail("timezone", _("Unbekannte Zeitzone; erwartet wird z. B. Europe/Berlin."))
        zone = DEFAULT_TIMEZONE
    status = fields.text("status", nullable=True)
    status = "draft" if status is None else status
    if status not in STATUSES:
        fields.fail("status", _("Erlaubt sind: draft, published."))
    title = fields.text("title", required=True)
    slug = fields.text("slug", nullable=True)
    description = fields.text("description", nullable=True)
    join_url = fields.text("join_url", nullable=True)
    starts_at = fields.instant("starts_at", zone, required=True)
    ends_at = fields.instant("ends_at", zone, required=True)
    opens = fields.instant("registration_opens_at", zone)
    closes = fields.instant("registration_closes_at", zone)
    capacity = fields.integer("capacity", required=True)
    most = fields.integer("max_attendees_per_registration", minimum=1, maximum=100)
    override = fields.boolean("override_conflicts")
    tour_slug = fields.text("tour", nullable=True)
    try:
        venue = fields.venue()
        tour = None
        if tour_slug:
            tour = db.session.scalar(select(Tour).where(Tour.slug == tour_slug))
            if tour is None:
                raise NotFound(_("Diese Tour gibt es nicht."), field="tour")
        if fields.errors:
            return _invalid(fields.errors)
        assert kind and title is not None and starts_at and ends_at and capacity is not None
        event = create_event(
            db.session,
            NewEvent(
                kind=kind,
                title=title,
                slug=slug or "",
                starts_at=starts_at,
                ends_at=ends_at,
                timezone=zone,
                capacity=capacity,
                tour=tour,
                venue=None if isinstance(venue, Unchanged) else venue,
                description=description or "",
                join_url=join_url,
                max_attendees_per_registration=most or 5,
                registration_opens_at=opens,
                registration_closes_at=closes,
                publish=status == "published",
            ),
            actor=api_user(),
            override_conflicts=override,
        )
        db.session.commit()
    except DomainError as error:
        return _domain_error(error)
    return _created(organiser_event_json(event))


def _change_arguments(fields: Fields, event: Event) -> dict[str, Any]:
    """Time, place and join link as ``change_event`` takes them (absent: unchanged)."""
    values: dict[str, Any] = {}
    for name in ("starts_at", "ends_at"):
        if fields.given(name):
            instant = fields.instant(name, event.timezone, required=True)
            values[name] = instant if instant is not None else UNCHANGED
    values["venue"] = fields.venue()
    if fields.given("join_url"):
        values["join_url"] = fields.text("join_url", nullable=True)
    return values


@bp.patch("/events/<int:event_id>")
@organisers_api
def change_event_api(event_id: int) -> Response:
    event = _event_or_none(event_id)
    if event is None:
        return error_response(404, _("Diese Veranstaltung gibt es nicht."))
    fields = _body()
    if isinstance(fields, Response):
        return fields
    if event.is_cancelled:
        return error_response(
            409, _("Eine abgesagte Veranstaltung kann nicht mehr geändert werden.")
        )
    try:
        changes = _change_arguments(fields, event)
        capacity = fields.integer("capacity") if fields.given("capacity") else None
        details: dict[str, Any] = {}
        for name in ("title", "description"):
            if fields.given(name):
                details[name] = fields.text(name, required=name == "title") or ""
        override = fields.boolean("override_conflicts")
        if fields.errors:
            return _invalid(fields.errors)
        before = event.capacity
        if capacity is not None and capacity != before:
            set_capacity(db.session, event, capacity)
        reschedule_event(
            db.session, event, **changes, actor=api_user(), override_conflicts=override
        )
        update_event_details(
            db.session, event, **details, previous_capacity=before, actor=api_user()
        )
        db.session.commit()
    except DomainError as error:
        return _domain_error(error)
    return jsonify(organiser_event_json(event))


@bp.post("/events/<int:event_id>/publish")
@organisers_api
def publish_event_api(event_id: int) -> Response:
    event = _event_or_none(event_id)
    if event is None:
        return error_response(404, _("Diese Veranstaltung gibt es nicht."))
    try:
        publish_event(db.session, event, actor=api_user())
        db.session.commit()
    except DomainError as error:
        return _domain_error(error)
    return jsonify(organiser_event_json(event))


@bp.post("/events/<int:event_id>/cancel")
@organisers_api
def cancel_event_api(event_id: int) -> Response:
    event = _event_or_none(event_id)
    if event is None:
        return error_response(404, _("Diese Veranstaltung gibt es nicht."))
    try:
        cancel_event(db.session, event, actor=api_user())
        db.session.commit()
    except DomainError as error:
        return _domain_error(error)
    return jsonify(organiser_event_json(event))


@bp.get("/events/<int:event_id>/impact")
@organisers_api
def event_impact_api(event_id: int) -> Response:
    """Who a change with these values would reach; nothing is changed."""
    event = _event_or_none(event_id)
    if event is None:
        return error_response(404, _("Diese Veranstaltung gibt es nicht."))
    if event.is_cancelled:
        return error_response(
            409, _("Eine abgesagte Veranstaltung kann nicht mehr geändert werden.")
        )
    fields = Fields(request.args.to_dict(), query=True)
    try:
        changes = _change_arguments(fields, event)
        if fields.errors:
            return _invalid(fields.errors)
        impact = impact_of_change(db.session, event, **changes)
    except DomainError as error:
        return _domain_error(error)
    db.session.commit()  # the token's last use
    return jsonify(impact.as_json())


def openapi_part() -> dict[str, Any]:
    """The paths and schemas of these endpoints for the OpenAPI document."""
    return planning_description()
