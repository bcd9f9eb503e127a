"""The OpenAPI 3.1 description of the public API, served at ``/api/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

from roadshow import __version__
from roadshow.api.fields import FILLED_PATTERN, SPACES, TEXT_PATTERN
from roadshow.api.schemas import MAX_ATTENDEES_IN_BODY
from roadshow.api.schemas import TEXT_LIMITS as REGISTRATION_LIMITS
from roadshow.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES
from roadshow.registrations.forms import COMPANY_SIZES, INDUSTRIES
from roadshow.settings import settings

TEXT = {"type": "string"}
NULLABLE_TEXT = {"type": ["string", "null"]}
VENUE_FIELDS = ("name", "street", "postcode", "town")
EMAIL = {"type": "string", "format": "email", "maxLength": REGISTRATION_LIMITS["email"]}
# The registration form's postcode and phone (``registrations.forms``), as the API takes
# them: spaces around are dropped, tabs and line breaks inside become spaces.
POSTCODE_PATTERN = f"^[{SPACES}]*[A-Za-z0-9-][A-Za-z0-9 \\t\\n\\r-]{{1,8}}[A-Za-z0-9-][{SPACES}]*$"
PHONE_PATTERN = f"^[{SPACES}]*(?:[0-9+()/.-][0-9+()/ .\\t\\n\\r-]{{1,38}}[0-9+()/.-][{SPACES}]*)?$"


def text_field(
    max_length: int | None = None, *, filled: bool = False, nullable: bool = False
) -> dict[str, Any]:
    """A text field of a request: no control characters (``fields.REFUSED``); ``filled``:
    more than spaces; ``nullable``: ``null`` means the same as leaving it out."""
    schema: dict[str, Any] = {
        "type": ["string", "null"] if nullable else "string",
        "pattern": FILLED_PATTERN if filled else TEXT_PATTERN,
    }
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


def database_id(*, nullable: bool = False, maximum: int = 2**63) -> dict[str, Any]:
    """An id in a request body; beyond the database's range it names nothing (404)."""
    return {
        "type": ["integer", "null"] if nullable else "integer",
        "minimum": 1,
        "maximum": maximum,
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _schemas() -> dict[str, Any]:
    return {
        "Event": {
            "type": "object",
            "required": [
                "id",
                "kind",
                "title",
                "status",
                "starts_at",
                "ends_at",
                "timezone",
                "town",
                "capacity",
                "seats_left",
                "url",
                "ics_url",
            ],
            "properties": {
                "id": {"type": "integer"},
                "kind": {"enum": ["stop", "webinar", "workshop"]},
                "title": TEXT,
                "description": TEXT,
                "status": {"enum": ["published", "cancelled"]},
                "starts_at": {
                    "type": "string",
                    "format": "date-time",
                    "description": "Local time with UTC offset, ISO 8601.",
                },
                "ends_at": {"type": "string", "format": "date-time"},
                "timezone": {"type": "string", "examples": ["Europe/Berlin"]},
                "town": {**NULLABLE_TEXT, "description": "null for online events"},
                "venue": {
                    "oneOf": [
                        {"type": "null"},
                        {
                            "type": "object",
                            "required": list(VENUE_FIELDS),
                            "properties": dict.fromkeys(VENUE_FIELDS, TEXT),
                        },
                    ]
                },
                "tour": {
                    "oneOf": [
                        {"type": "null"},
                        {
                            "type": "object",
                            "required": ["slug", "title"],
                            "properties": {"slug": TEXT, "title": TEXT},
                        },
                    ]
                },
                "partners": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["slug", "name", "role"],
                        "properties": {
                            "slug": TEXT,
                            "name": TEXT,
                            "role": {"enum": ["host", "speaker", "exhibitor", "sponsor"]},
                        },
                    },
                },
                "capacity": {"type": "integer", "minimum": 0},
                "seats_left": {"type": "integer", "minimum": 0},
                "max_attendees_per_registration": {"type": "integer", "minimum": 1},
                "registration_open": {"type": "boolean"},
                "url": {"type": "string", "format": "uri"},
                "ics_url": {"type": "string", "format": "uri"},
                "registration_url": {"type": "string", "format": "uri"},
            },
        },
        "EventList": {
            "type": "object",
            "required": ["events", "total", "next"],
            "properties": {
                "events": {"type": "array", "items": _ref("Event")},
                "total": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "How many events the filters give, on all pages",
                },
                "next": {
                    "type": ["string", "null"],
                    "description": "The URL of the next page, null on the last",
                },
            },
        },
        "RegistrationRequest": {
            "type": "object",
            "description": "Checked by the same form as the registration page: spaces "
            "around a value are dropped, tabs and line breaks become spaces.",
            "required": ["company", "contact", "attendees", "privacy_consent"],
            "properties": {
                "company": {
                    "type": "object",
                    "required": ["name", "size", "industry", "postcode", "town"],
                    "properties": {
                        "name": text_field(REGISTRATION_LIMITS["company.name"], filled=True),
                        "size": {"enum": [value for value, _label in COMPANY_SIZES]},
                        "industry": {"enum": [value for value, _label in INDUSTRIES]},
                        "postcode": {"type": "string", "pattern": POSTCODE_PATTERN},
                        "town": text_field(REGISTRATION_LIMITS["company.town"], filled=True),
                    },
                },
                "contact": {
                    "type": "object",
                    "required": ["name", "email"],
                    "properties": {
                        "name": text_field(REGISTRATION_LIMITS["contact.name"], filled=True),
                        "email": EMAIL,
                        "phone": {"type": ["string", "null"], "pattern": PHONE_PATTERN},
                    },
                },
                "attendees": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_ATTENDEES_IN_BODY,
                    "description": "At most the event's max_attendees_per_registration; "
                    "each email once.",
                    "items": {
                        "type": "object",
                        "required": ["name", "email"],
                        "properties": {
                            "name": text_field(REGISTRATION_LIMITS["name"], filled=True),
                            "email": EMAIL,
                        },
                    },
                },
                "privacy_consent": {"const": True},
                "newsletter_consent": {"type": ["boolean", "null"], "default": False},
                "share_with_partners": {"type": ["boolean", "null"], "default": False},
                "language": {
                    "enum": [*LANGUAGE_NAMES, None],
                    "default": DEFAULT_LANGUAGE,
                    "description": "The language of the mails; null: the default.",
                },
                "ref": {
                    "type": ["string", "null"],
                    "description": "Slug of the referring partner.",
                },
            },
        },
        "RegistrationCreated": {
            "type": "object",
            "required": ["id", "status", "manage_url"],
            "properties": {
                "id": {"type": "integer"},
                "status": {"enum": ["confirmed", "waitlisted"]},
                "manage_url": {
                    "type": ["string", "null"],
                    "format": "uri",
                    "description": "The secret self-service link; null when the request "
                    "repeated an earlier Idempotency-Key (the link went out by email).",
                },
            },
        },
        "Error": {
            "type": "object",
            "required": ["message", "errors"],
            "properties": {
                "message": TEXT,
                "errors": {
                    "type": "object",
                    "description": "Messages per field, e.g. `attendees.1.email`.",
                    "additionalProperties": {"type": "array", "items": TEXT},
                },
            },
        },
    }


def openapi_document() -> dict[str, Any]:
    """The document, with the server address from ``BASE_URL``."""
    error = _ref("Error")
    filters = [
        {"name": name, "in": "query", "required": False, "schema": schema, "description": text}
        for name, schema, text in (
            ("town", TEXT, "Only events in this town."),
            ("kind", {"enum": ["stop", "webinar", "workshop"]}, "Only this kind."),
            ("partner", TEXT, "Only events this partner (slug) presents."),
            ("tour", TEXT, "Only events of this tour (slug)."),
        )
    ]
    event_id = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    paging = [
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100},
            "description": "How many events at most.",
        },
        {
            "name": "offset",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1, "default": 0},
            "description": "How many events to skip.",
        },
    ]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Roadshow API",
            "version": __version__,
            "description": "Public events and company registrations. Times are ISO 8601 "
            "with offset. Messages follow `?lang=de|en` (German by default). Text fields "
            "take no control characters (tab and line breaks aside) and no unpaired "
            "surrogates (`\\udc00` in JSON). Every error answers with an `Error` object.",
        },
        "servers": [{"url": settings().base_url.rstrip("/") + "/api/v1"}],
        "paths": {
            "/events": {
                "get": {
                    "operationId": "listEvents",
                    "summary": "Upcoming public events, soonest first",
                    "description": "At most `limit` events an answer (100 unless asked); "
                    "`next` links to the following ones.",
                    "parameters": [*filters, *paging],
                    "responses": {
                        "200": _json(_ref("EventList"), "The events"),
                        "422": _json(error, "An unknown filter value"),
                    },
                }
            },
            "/events/{event_id}": {
                "get": {
                    "operationId": "getEvent",
                    "summary": "One public event",
                    "parameters": [event_id],
                    "responses": {
                        "200": _json(_ref("Event"), "The event"),
                        "404": _json(error, "No such public event"),
                    },
                }
            },
            "/events/{event_id}/registrations": {
                "post": {
                    "operationId": "createRegistration",
                    "summary": "Register a company with one or more attendees",
                    "description": "Confirmed when all attendees fit into the seats left, "
                    "else the whole registration goes on the waiting list. Rate-limited "
                    "per client address.",
                    "parameters": [
                        event_id,
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string"},
                            "description": "Repeating a request with the same key stores "
                            "one registration and answers 200 with it.",
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("RegistrationRequest")}},
                    },
                    "responses": {
                        "201": _json(_ref("RegistrationCreated"), "Registered"),
                        "200": _json(_ref("RegistrationCreated"), "A repeated Idempotency-Key"),
                        "400": _json(error, "The body is not a JSON object"),
                        "404": _json(error, "No such public event"),
                        "409": _json(error, "The event takes no registrations now"),
                        "422": _json(error, "Invalid fields, with messages per field"),
                        "429": _json(error, "Too many requests from this address"),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenAPI",
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3.1 document"}},
                }
            },
        },
        "components": {"schemas": _schemas()},
    }


def with_organiser_endpoints(document: dict[str, Any], *parts: dict[str, Any]) -> dict[str, Any]:
    """The public document plus the organiser endpoints (each part: ``paths`` and
    ``schemas``), which need a bearer token."""
    paths = document["paths"]
    for part in parts:
        for path, operations in part.get("paths", {}).items():
            paths.setdefault(path, {}).update(operations)
        document["components"]["schemas"].update(part.get("schemas", {}))
    paths["/me"] = {
        "get": secured(
            {
                "operationId": "getMe",
                "summary": "The user whose token authorises the request",
                "responses": {"200": _json(_ref("Me"), "The user")},
            }
        )
    }
    document["components"]["schemas"]["Me"] = {
        "type": "object",
        "required": ["id", "name", "email", "role"],
        "properties": {
            "id": {"type": "integer"},
            "name": TEXT,
            "email": TEXT,
            "role": {"enum": ["admin", "organiser"]},
        },
    }
    document["components"]["securitySchemes"] = {
        "bearerToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "An organiser's or admin's token from `flask users token EMAIL`.",
        }
    }
    document["info"]["description"] += (
        " Organisers plan tours, venues, events and series and manage registrations with "
        "a bearer token (`flask users token EMAIL`)."
    )
    return document


def secured(operation: dict[str, Any]) -> dict[str, Any]:
    """An organiser operation: the bearer token, and the answers without a valid one."""
    error = _ref("Error")
    return {
        **operation,
        "security": [{"bearerToken": []}],
        "responses": {
            **operation["responses"],
            "401": _json(error, "No token, or one that is wrong or revoked"),
            "403": _json(error, "The token's user may not do this (not an organiser)"),
        },
    }


def ref(name: str) -> dict[str, str]:
    return _ref(name)


def json_answer(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return _json(schema, description)
