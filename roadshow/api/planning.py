"""Organiser endpoints: tours, venues and events (create, change, publish, cancel, impact).

The same planning services as the back office's pages answer here. A body is checked field
by field (type, length, range) before any service runs, so that whatever a client sends
gets a 422 with messages per field and never reaches the database in a shape it would
refuse. A rule a service enforces comes back the same way (``DomainError`` with a field),
a state that forbids the action (publishing a non-draft, changing a cancelled event) as
409, conflicts with other events as 409 listing them unless ``override_conflicts``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from roadshow.api.auth import api_user, organisers_api
from roadshow.api.openapi import json_answer, ref, secured
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

MAX_SEATS = 100_000
MAX_ID = 2**31 - 1
KINDS = {kind.value: kind for kind in EventKind}
STATUSES = ("draft", "published")
TEXT_LIMITS = {
    "title": 200,
    "slug": 120,
    "description": 20_000,
    "join_url": 500,
    "name": 200,
    "street": 200,
    "postcode": 10,
    "town": 100,
    "timezone": 64,
    "tour": 80,
}
EARLIEST_YEAR, LATEST_YEAR = 1970, 2200


def _invalid(errors: dict[str, list[str]]) -> Response:
    return error_response(422, _("Die Angaben sind unvollständig oder fehlerhaft."), errors)


class Fields:
    """The fields of one JSON body (or query string), read one by one; each problem is
    noted under the field's name and the value read as ``None``."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, list[str]] = {}

    def given(self, name: str) -> bool:
        return name in self.data

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def text(self, name: str, *, required: bool = False, nullable: bool = False) -> str | None:
        value = self.data.get(name)
        if value is None:
            if required or (name in self.data and not nullable):
                self.fail(name, _("Bitte ausfüllen."))
            return None
        if not isinstance(value, str):
            self.fail(name, _("Erwartet wird Text."))
            return None
        if any(ord(c) < 32 and c not in "\n\r\t" for c in value):
            self.fail(name, _("Der Text enthält Steuerzeichen."))
            return None
        if required and not value.strip():
            self.fail(name, _("Bitte ausfüllen."))
            return None
        limit = TEXT_LIMITS.get(name, 200)
        if len(value) > limit:
            self.fail(name, _("Höchstens %(n)d Zeichen.", n=limit))
            return None
        return value

    def integer(
        self, name: str, *, required: bool = False, minimum: int = 0, maximum: int = MAX_SEATS
    ) -> int | None:
        value = self.data.get(name)
        if value is None:
            if required or name in self.data:
                self.fail(name, _("Bitte ausfüllen."))
            return None
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value) if len(value) < 20 else maximum + 1  # from a query string
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(name, _("Erwartet wird eine ganze Zahl."))
            return None
        if not minimum <= value <= maximum:
            self.fail(
                name,
                _("Erlaubt sind Werte von %(low)d bis %(high)d.", low=minimum, high=maximum),
            )
            return None
        return value

    def number(self, name: str, limit: float) -> float | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, int | float) or isinstance(value, bool):
            self.fail(name, _("Erwartet wird eine Zahl."))
            return None
        if not -limit <= value <= limit:
            self.fail(
                name, _("Erlaubt sind Werte von %(low)d bis %(high)d.", low=-limit, high=limit)
            )
            return None
        return float(value)

    def boolean(self, name: str) -> bool:
        value = self.data.get(name, False)
        if not isinstance(value, bool):
            self.fail(name, _("Erwartet wird true oder false."))
            return False
        return value

    def instant(self, name: str, zone: str, *, required: bool = False) -> datetime | None:
        """ISO 8601 with offset; a local time without one is read in ``zone``."""
        text = self.text(name, required=required)
        if text is None:
            return None
        try:
            value = datetime.fromisoformat(text.strip())
            if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
                raise ValueError(text)
            if value.tzinfo is None:
                value = value.replace(tzinfo=ZoneInfo(zone))
            return value.astimezone(UTC)
        except (ValueError, OverflowError):
            self.fail(
                name,
                _("Erwartet wird ein Zeitpunkt nach ISO 8601, z. B. 2027-04-06T18:00:00+02:00."),
            )
            return None

    def venue(self, name: str = "venue_id") -> Venue | None | Unchanged:
        """A venue by id; ``null`` (or an empty value in a query string) means online."""
        if name not in self.data:
            return UNCHANGED
        value = self.data[name]
        if value is None or value == "" or value == "null":
            return None
        venue_id = self.integer(name, minimum=1, maximum=2**63)
        if venue_id is None:
            return UNCHANGED
        venue = db.session.get(Venue, venue_id) if venue_id <= MAX_ID else None
        if venue is None:
            raise NotFound(_("Diesen Ort gibt es nicht."), field=name)
        return venue


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
    status = fields.text("status", nullable=True) or "draft"
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
    fields = Fields(request.args.to_dict())
    try:
        changes = _change_arguments(fields, event)
        if fields.errors:
            return _invalid(fields.errors)
        impact = impact_of_change(db.session, event, **changes)
    except DomainError as error:
        return _domain_error(error)
    db.session.commit()  # the token's last use
    return jsonify(impact.as_json())


# --- the OpenAPI description -------------------------------------------------------------

TEXT = {"type": "string"}
INSTANT = {
    "type": "string",
    "description": "ISO 8601; without an offset it is read in the event's time zone.",
    "examples": ["2027-04-06T18:00:00+02:00"],
}
EVENT_ID = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _schemas() -> dict[str, Any]:
    nullable_text = {"type": ["string", "null"]}
    return {
        "TourRequest": {
            "type": "object",
            "required": ["title"],
            "properties": {
                "title": {"type": "string", "maxLength": 200},
                "slug": {
                    "type": ["string", "null"],
                    "maxLength": 80,
                    "description": "Proposed from the title when left out; must be free.",
                },
                "description": nullable_text,
            },
        },
        "Tour": {
            "type": "object",
            "required": ["id", "slug", "title", "description"],
            "properties": {
                "id": {"type": "integer"},
                "slug": TEXT,
                "title": TEXT,
                "description": TEXT,
            },
        },
        "VenueRequest": {
            "type": "object",
            "required": ["name", "street", "postcode", "town"],
            "properties": {
                "name": {"type": "string", "maxLength": 200},
                "street": {"type": "string", "maxLength": 200},
                "postcode": {"type": "string", "maxLength": 10},
                "town": {"type": "string", "maxLength": 100},
                "latitude": {"type": ["number", "null"], "minimum": -90, "maximum": 90},
                "longitude": {"type": ["number", "null"], "minimum": -180, "maximum": 180},
            },
        },
        "Venue": {
            "type": "object",
            "required": ["id", "name", "street", "postcode", "town"],
            "properties": {
                "id": {"type": "integer"},
                "name": TEXT,
                "street": TEXT,
                "postcode": TEXT,
                "town": TEXT,
                "latitude": {"type": ["number", "null"]},
                "longitude": {"type": ["number", "null"]},
            },
        },
        "EventRequest": {
            "type": "object",
            "required": ["kind", "title", "starts_at", "ends_at", "capacity"],
            "properties": {
                "kind": {"enum": list(KINDS)},
                "title": {"type": "string", "maxLength": 200},
                "slug": {"type": ["string", "null"], "maxLength": 120},
                "starts_at": INSTANT,
                "ends_at": {**INSTANT, "description": "After starts_at."},
                "timezone": {"type": ["string", "null"], "default": DEFAULT_TIMEZONE},
                "capacity": {"type": "integer", "minimum": 0, "maximum": MAX_SEATS},
                "tour": {"type": ["string", "null"], "description": "The tour's slug."},
                "venue_id": {
                    "type": ["integer", "null"],
                    "description": "Required except for webinars; null: online.",
                },
                "status": {"enum": list(STATUSES), "default": "draft"},
                "description": nullable_text,
                "join_url": {"type": ["string", "null"], "maxLength": 500},
                "max_attendees_per_registration": {"type": "integer", "minimum": 1, "maximum": 100},
                "registration_opens_at": INSTANT,
                "registration_closes_at": INSTANT,
                "override_conflicts": {
                    "type": "boolean",
                    "default": False,
                    "description": "Save despite conflicts with other events.",
                },
            },
        },
        "EventChangeRequest": {
            "type": "object",
            "description": "Only the fields given change. A change of time, place or join "
            "link sends every attendee an updated invitation.",
            "properties": {
                "starts_at": INSTANT,
                "ends_at": INSTANT,
                "venue_id": {"type": ["integer", "null"], "description": "null: online."},
                "join_url": {"type": ["string", "null"], "maxLength": 500},
                "capacity": {"type": "integer", "minimum": 0, "maximum": MAX_SEATS},
                "title": {"type": "string", "maxLength": 200},
                "description": {"type": "string"},
                "override_conflicts": {"type": "boolean", "default": False},
            },
        },
        "OrganiserEvent": {
            "type": "object",
            "required": [
                "id",
                "kind",
                "title",
                "status",
                "slug",
                "starts_at",
                "ends_at",
                "timezone",
                "capacity",
                "seats_taken",
                "sequence",
            ],
            "properties": {
                "id": {"type": "integer"},
                "kind": {"enum": list(KINDS)},
                "title": TEXT,
                "slug": TEXT,
                "description": TEXT,
                "status": {"enum": ["draft", "published", "cancelled"]},
                "starts_at": {"type": "string", "format": "date-time"},
                "ends_at": {"type": "string", "format": "date-time"},
                "timezone": TEXT,
                "town": nullable_text,
                "venue_id": {"type": ["integer", "null"]},
                "series_id": {"type": ["integer", "null"]},
                "join_url": nullable_text,
                "capacity": {"type": "integer", "minimum": 0},
                "seats_taken": {"type": "integer", "minimum": 0},
                "seats_left": {"type": "integer", "minimum": 0},
                "sequence": {"type": "integer", "minimum": 0},
                "url": {"type": "string", "format": "uri"},
            },
        },
        "Impact": {
            "type": "object",
            "required": ["attendees", "registrations", "subscribers"],
            "properties": {
                "attendees": {"type": "integer", "minimum": 0},
                "registrations": {"type": "integer", "minimum": 0},
                "subscribers": {"type": "integer", "minimum": 0},
            },
        },
        "ConflictError": {
            "type": "object",
            "required": ["message", "errors", "conflicts"],
            "properties": {
                "message": TEXT,
                "errors": {"type": "object"},
                "conflicts": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["kind", "message", "event_id"],
                        "properties": {
                            "kind": {"enum": ["venue", "speaker", "tour"]},
                            "message": TEXT,
                            "event_id": {"type": "integer"},
                        },
                    },
                },
            },
        },
    }


def _operation(
    operation_id: str,
    summary: str,
    answers: dict[str, dict[str, Any]],
    *,
    body: str | None = None,
    parameters: list[dict[str, Any]] | None = None,
    description: str = "",
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "responses": answers,
    }
    if description:
        operation["description"] = description
    if parameters:
        operation["parameters"] = parameters
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(body)}},
        }
    return secured(operation)


def openapi_part() -> dict[str, Any]:
    """The paths and schemas of these endpoints for the OpenAPI document."""
    error = ref("Error")
    invalid = json_answer(error, "Invalid fields, with messages per field")
    not_json = json_answer(error, "The body is not a JSON object")
    conflicts = json_answer(
        ref("ConflictError"),
        "Conflicts with other events (venue, speaker, tour); send override_conflicts: true "
        "to save anyway. Or the event's state forbids the change (no conflicts listed).",
    )
    missing = json_answer(error, "No such event")
    impact_parameters = [
        EVENT_ID,
        *(
            {"name": name, "in": "query", "required": False, "schema": schema}
            for name, schema in (
                ("starts_at", TEXT),
                ("ends_at", TEXT),
                ("venue_id", {"type": "string", "description": "An id; empty or null: online."}),
                ("join_url", TEXT),
            )
        ),
    ]
    return {
        "paths": {
            "/tours": {
                "post": _operation(
                    "createTour",
                    "Create a tour",
                    {
                        "201": json_answer(ref("Tour"), "The new tour"),
                        "400": not_json,
                        "422": invalid,
                    },
                    body="TourRequest",
                )
            },
            "/venues": {
                "post": _operation(
                    "createVenue",
                    "Create a venue",
                    {
                        "201": json_answer(ref("Venue"), "The new venue"),
                        "400": not_json,
                        "422": invalid,
                    },
                    body="VenueRequest",
                )
            },
            "/events": {
                "post": _operation(
                    "createEvent",
                    "Create a stop, webinar or workshop (a draft unless status is published)",
                    {
                        "201": json_answer(ref("OrganiserEvent"), "The new event"),
                        "400": not_json,
                        "404": json_answer(error, "No such tour or venue"),
                        "409": conflicts,
                        "422": invalid,
                    },
                    body="EventRequest",
                )
            },
            "/events/{event_id}": {
                "patch": _operation(
                    "changeEvent",
                    "Change an event; attendees are told of a new time, place or join link",
                    {
                        "200": json_answer(ref("OrganiserEvent"), "The changed event"),
                        "400": not_json,
                        "404": json_answer(error, "No such event or venue"),
                        "409": conflicts,
                        "422": invalid,
                    },
                    body="EventChangeRequest",
                    parameters=[EVENT_ID],
                )
            },
            "/events/{event_id}/publish": {
                "post": _operation(
                    "publishEvent",
                    "Publish a draft",
                    {
                        "200": json_answer(ref("OrganiserEvent"), "The published event"),
                        "404": missing,
                        "409": json_answer(error, "The event is not a draft"),
                    },
                    parameters=[EVENT_ID],
                )
            },
            "/events/{event_id}/cancel": {
                "post": _operation(
                    "cancelEvent",
                    "Cancel an event; everyone registered receives a cancellation",
                    {
                        "200": json_answer(ref("OrganiserEvent"), "The cancelled event"),
                        "404": missing,
                        "409": json_answer(error, "The event is cancelled already"),
                    },
                    parameters=[EVENT_ID],
                )
            },
            "/events/{event_id}/impact": {
                "get": _operation(
                    "eventChangeImpact",
                    "Who a change of time, place or join link would reach; changes nothing",
                    {
                        "200": json_answer(ref("Impact"), "Attendees, registrations, subscribers"),
                        "404": json_answer(error, "No such event or venue"),
                        "409": json_answer(error, "The event is cancelled"),
                        "422": invalid,
                    },
                    parameters=impact_parameters,
                )
            },
        },
        "schemas": _schemas(),
    }
