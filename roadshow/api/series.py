"""Organiser endpoints: series of webinars or workshops.

``POST /api/v1/series`` creates a series and one event per date through the same service
as the back office (``events.series.create_series``); the body is checked for types here,
the rules are the service's, and its messages come back per field.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from roadshow.api.auth import api_user, organisers_api
from roadshow.api.fields import MAX_ID, refused_characters
from roadshow.api.openapi import database_id, json_answer, ref, secured, text_field
from roadshow.api.schemas import organiser_event_json
from roadshow.api.views import bp, error_response
from roadshow.errors import DomainError
from roadshow.events.models import EventKind, Tour, Venue
from roadshow.events.series import (
    MAX_CAPACITY,
    MAX_DATES,
    MAX_DURATION_MINUTES,
    NewSeries,
    SeriesRule,
    create_series,
    series_events,
    zone,
)
from roadshow.extensions import db

KINDS = (EventKind.WEBINAR.value, EventKind.WORKSHOP.value)
STATUSES = ("draft", "published")
# the service's field -> the body's
API_FIELDS = {"until": "rrule", "tour_id": "tour"}
MAX_TEXT = 5000
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _invalid(errors: dict[str, list[str]]) -> Response:
    return error_response(422, _("Die Angaben sind unvollständig oder fehlerhaft."), errors)


class _Body:
    """Reads typed values out of a JSON object, collecting a message per wrong field."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.errors: dict[str, list[str]] = {}

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def text(self, name: str, *, required: bool = False, max_length: int = MAX_TEXT) -> str:
        value = self.body.get(name)
        if value is None:
            if required:
                self.fail(name, _("Bitte angeben."))
            return ""
        if not isinstance(value, str):
            self.fail(name, _("Erwartet wird Text."))
            return ""
        if refused_characters(value):
            self.fail(name, _("Der Text enthält Steuerzeichen."))
            return ""
        if len(value) > max_length:
            self.fail(name, _("Höchstens %(most)d Zeichen.", most=max_length))
            return ""
        if required and not value.strip():
            self.fail(name, _("Bitte angeben."))
        return value

    def integer(self, name: str, low: int, high: int, *, required: bool = False) -> int | None:
        value = self.body.get(name)
        if value is None:
            if required:
                self.fail(name, _("Bitte angeben."))
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(name, _("Erwartet wird eine ganze Zahl."))
            return None
        if not low <= value <= high:
            self.fail(name, _("Erlaubt ist %(low)d bis %(high)d.", low=low, high=high))
            return None
        return value

    def choice(self, name: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        value = self.body.get(name, default)
        if value is None or value not in allowed:
            self.fail(name, _("Erlaubt sind: %(values)s.", values=", ".join(allowed)))
            return default or allowed[0]
        return str(value)

    def date_list(self, name: str) -> tuple[str, ...]:
        """A list of dates as ISO 8601 writes them (``2027-08-12``; the back office's form
        takes more ways to write a date, a JSON client sends this one)."""
        value = self.body.get(name)
        if value is None:
            return ()
        if (
            not isinstance(value, list)
            or len(value) > MAX_DATES * 2
            or not all(isinstance(item, str) and _is_iso_date(item) for item in value)
        ):
            self.fail(name, _("Erwartet wird eine Liste von Daten (JJJJ-MM-TT)."))
            return ()
        return tuple(value)

    def local_start(self, timezone: str) -> datetime | None:
        """``starts_at`` as local wall time in ``timezone`` (with an offset: converted)."""
        raw = self.text("starts_at", required=True, max_length=40)
        if not raw or "starts_at" in self.errors:
            return None
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            moment = None
        if moment is None or len(raw) <= 10:
            self.fail("starts_at", _("Erwartet wird Datum und Uhrzeit, ISO 8601."))
            return None
        if moment.tzinfo is not None:
            if "timezone" in self.errors:
                return None
            try:
                moment = moment.astimezone(zone(timezone))
            except (OverflowError, ValueError):
                self.fail("starts_at", _("Erwartet wird Datum und Uhrzeit, ISO 8601."))
                return None
        return moment.replace(tzinfo=None)


def _is_iso_date(text: str) -> bool:
    if not ISO_DATE.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


@bp.post("/series")
@organisers_api
def create_series_endpoint() -> Response:
    raw: Any = request.get_json(silent=True)
    if not isinstance(raw, dict):
        return error_response(400, _("Die Anfrage ist kein gültiges JSON-Objekt."))
    body = _Body(raw)
    kind = body.choice("kind", KINDS)
    title = body.text("title", required=True, max_length=200)
    timezone = body.text("timezone", max_length=64) or "Europe/Berlin"
    try:
        zone(timezone)
    except DomainError as error:
        body.fail("timezone", error.message)
    first_local = body.local_start(timezone)
    duration = body.integer("duration_minutes", 1, MAX_DURATION_MINUTES, required=True)
    rrule = body.text("rrule", required=True, max_length=500)
    exclude_holidays = body.text("exclude_holidays", max_length=10)
    exclude_dates = body.date_list("exclude_dates")
    capacity = body.integer("capacity", 0, MAX_CAPACITY, required=True)
    tour_slug = body.text("tour", max_length=80)
    venue_id = body.integer("venue_id", 1, MAX_ID)
    slug = body.text("slug", max_length=100)
    description = body.text("description")
    status = body.choice("status", STATUSES, default="draft")
    if body.errors or first_local is None or duration is None or capacity is None:
        return _invalid(body.errors)

    tour = None
    if tour_slug:
        tour = db.session.scalar(select(Tour).where(Tour.slug == tour_slug))
        if tour is None:
            return error_response(404, _("Diese Tour gibt es nicht."), {"tour": [_("Unbekannt.")]})
    venue = None
    if venue_id is not None:
        venue = db.session.get(Venue, venue_id)
        if venue is None:
            return error_response(
                404, _("Diesen Ort gibt es nicht."), {"venue_id": [_("Unbekannt.")]}
            )
    plan = NewSeries(
        kind=EventKind(kind),
        title=title,
        rule=SeriesRule(
            first_local=first_local,
            duration_minutes=duration,
            timezone=timezone,
            rrule=rrule,
            exclude_holidays=exclude_holidays,
            exclude_dates=exclude_dates,
        ),
        capacity=capacity,
        description=description,
        slug=slug,
        tour=tour,
        venue=venue,
        publish=status == "published",
    )
    try:
        series = create_series(db.session, plan, api_user())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        name = API_FIELDS.get(error.field or "", error.field or "rrule")
        return _invalid({name: [error.message]})
    response = jsonify(
        {
            "id": series.id,
            "slug": series.slug,
            "events": [organiser_event_json(e) for e in series_events(db.session, series)],
        }
    )
    response.status_code = 201
    return response


def openapi_part() -> dict[str, Any]:
    """The paths and schemas of these endpoints for the OpenAPI document."""
    error = ref("Error")
    text = {"type": "string"}
    return {
        "paths": {
            "/series": {
                "post": secured(
                    {
                        "operationId": "createSeries",
                        "summary": "Create a series of webinars or workshops, one event per date",
                        "description": "The dates come from `starts_at` (the first date and "
                        "its local time) and `rrule` (RFC 5545; it needs UNTIL or COUNT and "
                        f"gives at most {MAX_DATES} dates), minus the public holidays of "
                        "`exclude_holidays` and the dates in `exclude_dates`. Every date "
                        "keeps its local wall-clock time across daylight-saving changes. "
                        "`published` publishes each date, which tells feed subscribers.",
                        "requestBody": {
                            "required": True,
                            "content": {"application/json": {"schema": ref("SeriesRequest")}},
                        },
                        "responses": {
                            "201": json_answer(ref("SeriesCreated"), "The series and its events"),
                            "400": json_answer(error, "The body is not a JSON object"),
                            "404": json_answer(error, "No such tour or venue"),
                            "422": json_answer(error, "Invalid fields, with messages per field"),
                        },
                    }
                )
            }
        },
        "schemas": {
            "SeriesRequest": {
                "type": "object",
                "required": [
                    "kind",
                    "title",
                    "starts_at",
                    "duration_minutes",
                    "rrule",
                    "capacity",
                ],
                "properties": {
                    "kind": {"enum": list(KINDS)},
                    "title": text_field(200, filled=True),
                    "description": text_field(MAX_TEXT, nullable=True),
                    "starts_at": {
                        **text_field(40),
                        "minLength": 11,
                        "description": "First date and local start time, ISO 8601; "
                        "without an offset it is read in `timezone`.",
                        "examples": ["2027-05-06T12:00:00+02:00", "2027-05-06T12:00"],
                    },
                    "duration_minutes": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_DURATION_MINUTES,
                    },
                    "timezone": {**text_field(64, nullable=True), "default": "Europe/Berlin"},
                    "rrule": {
                        **text_field(500, filled=True),
                        "examples": ["FREQ=WEEKLY;UNTIL=20271216T235959Z"],
                    },
                    "exclude_holidays": {
                        **text_field(10, nullable=True),
                        "description": "A German state whose public holidays are left "
                        "out, e.g. `DE-BY`; empty for none.",
                        "examples": ["DE-BY"],
                    },
                    "exclude_dates": {
                        "type": ["array", "null"],
                        "maxItems": MAX_DATES * 2,
                        "items": {"type": "string", "format": "date"},
                        "description": "Local dates left out, e.g. a summer break.",
                    },
                    "capacity": {"type": "integer", "minimum": 0, "maximum": MAX_CAPACITY},
                    "tour": {**text_field(80, nullable=True), "description": "Slug of the tour."},
                    "venue_id": {
                        **database_id(nullable=True, maximum=MAX_ID),
                        "description": "Required for workshops.",
                    },
                    "slug": {
                        **text_field(100, nullable=True),
                        "description": "Stem of the events' slugs (`<slug>-YYYY-MM-DD`); "
                        "proposed from the title when left out.",
                    },
                    "status": {"enum": list(STATUSES), "default": "draft"},
                },
            },
            "SeriesCreated": {
                "type": "object",
                "required": ["id", "slug", "events"],
                "properties": {
                    "id": {"type": "integer"},
                    "slug": text,
                    "events": {"type": "array", "items": ref("SeriesEvent")},
                },
            },
            "SeriesEvent": {
                "type": "object",
                "description": "An event as organisers see it: any status, with its "
                "SEQUENCE, series and join link.",
                "required": [
                    "id",
                    "slug",
                    "kind",
                    "title",
                    "status",
                    "starts_at",
                    "ends_at",
                    "timezone",
                    "capacity",
                    "sequence",
                    "series_id",
                    "url",
                ],
                "properties": {
                    "id": {"type": "integer"},
                    "slug": text,
                    "kind": {"enum": ["stop", "webinar", "workshop"]},
                    "title": text,
                    "status": {"enum": ["draft", "published", "cancelled"]},
                    "starts_at": {"type": "string", "format": "date-time"},
                    "ends_at": {"type": "string", "format": "date-time"},
                    "timezone": text,
                    "capacity": {"type": "integer", "minimum": 0},
                    "seats_taken": {"type": "integer", "minimum": 0},
                    "sequence": {"type": "integer", "minimum": 0},
                    "series_id": {"type": ["integer", "null"]},
                    "venue_id": {"type": ["integer", "null"]},
                    "join_url": {"type": ["string", "null"]},
                    "url": {"type": "string", "format": "uri"},
                },
            },
        },
    }
