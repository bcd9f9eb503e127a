"""The OpenAPI description of the planning endpoints (``roadshow.api.planning``)."""

from __future__ import annotations

from typing import Any

from roadshow.api.fields import MAX_SEATS, QUERY_ID_PATTERN, SLUG_PATTERN, TEXT_LIMITS
from roadshow.api.openapi import database_id, json_answer, ref, secured, text_field
from roadshow.events.models import EventKind
from roadshow.events.planning import DEFAULT_TIMEZONE, EVENT_SLUG_LENGTH, TOUR_SLUG_LENGTH

KINDS = [kind.value for kind in EventKind]
STATUSES = ["draft", "published"]

TEXT = {"type": "string"}
INSTANT = {
    **text_field(),
    "description": "ISO 8601; without an offset it is read in the event's time zone.",
    "examples": ["2027-04-06T18:00:00+02:00"],
}
EVENT_ID = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def slug(stored_length: int) -> dict[str, Any]:
    """A slug in a request: lower-case letters and digits joined by single hyphens."""
    return {
        "type": ["string", "null"],
        "pattern": SLUG_PATTERN,
        "maxLength": TEXT_LIMITS["slug"],
        "description": f"At most {stored_length} characters without the spaces around.",
    }


def _schemas() -> dict[str, Any]:
    nullable_text = {"type": ["string", "null"]}
    return {
        "TourRequest": {
            "type": "object",
            "required": ["title"],
            "properties": {
                "title": text_field(200, filled=True),
                "slug": {
                    **slug(TOUR_SLUG_LENGTH),
                    "description": f"At most {TOUR_SLUG_LENGTH} characters; proposed from "
                    "the title when left out; must be free.",
                },
                "description": text_field(TEXT_LIMITS["description"], nullable=True),
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
                **{
                    name: text_field(TEXT_LIMITS[name], filled=True)
                    for name in ("name", "street", "postcode", "town")
                },
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
                "kind": {"enum": KINDS},
                "title": text_field(200, filled=True),
                "slug": {
                    **slug(EVENT_SLUG_LENGTH),
                    "description": f"At most {EVENT_SLUG_LENGTH} characters; proposed from "
                    "the title when left out; must be free.",
                },
                "starts_at": INSTANT,
                "ends_at": {**INSTANT, "description": "After starts_at."},
                "timezone": {**text_field(64, nullable=True), "default": DEFAULT_TIMEZONE},
                "capacity": {"type": "integer", "minimum": 0, "maximum": MAX_SEATS},
                "tour": {
                    **text_field(TEXT_LIMITS["tour"], nullable=True),
                    "description": "Its slug.",
                },
                "venue_id": {
                    **database_id(nullable=True),
                    "description": "Required except for webinars; null: online.",
                },
                "status": {"enum": [*STATUSES, None], "default": "draft"},
                "description": text_field(TEXT_LIMITS["description"], nullable=True),
                "join_url": text_field(TEXT_LIMITS["join_url"], nullable=True),
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
                "venue_id": {**database_id(nullable=True), "description": "null: online."},
                "join_url": text_field(TEXT_LIMITS["join_url"], nullable=True),
                "capacity": {"type": "integer", "minimum": 0, "maximum": MAX_SEATS},
                "title": text_field(200, filled=True),
                "description": text_field(TEXT_LIMITS["description"]),
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
                "kind": {"enum": KINDS},
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
            "description": "An Error; `conflicts` lists the events in the way, if any.",
            "required": ["message", "errors"],
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


def planning_description() -> dict[str, Any]:
    """The paths and schemas of the planning endpoints (``planning.openapi_part``)."""
    error = ref("Error")
    invalid = json_answer(error, "Invalid fields, with messages per field")
    not_json = json_answer(error, "The body is not a JSON object")
    conflicts = json_answer(
        ref("ConflictError"),
        "Conflicts with other events (venue, speaker, tour); send override_conflicts: true "
        "to save anyway. Or the event's state forbids the change (no conflicts listed).",
    )
    missing = json_answer(error, "No such event")
    query: tuple[tuple[str, dict[str, Any]], ...] = (
        ("starts_at", {**INSTANT, "minLength": 1}),
        ("ends_at", {**INSTANT, "minLength": 1}),
        (
            "venue_id",
            {
                "type": "string",
                "pattern": QUERY_ID_PATTERN,
                "description": "An id; empty or null: online.",
            },
        ),
        ("join_url", text_field(TEXT_LIMITS["join_url"])),
    )
    impact_parameters = [
        EVENT_ID,
        *({"name": name, "in": "query", "required": False, "schema": s} for name, s in query),
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
