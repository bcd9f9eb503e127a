"""Attendance of an event, and a partner's report (organisers, or that partner's token)."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from roadshow.api.auth import organisers_api, own_partner_api
from roadshow.api.openapi import json_answer, ref, secured
from roadshow.api.views import bp, error_response
from roadshow.attendance import reports
from roadshow.attendance.reports import Figures
from roadshow.events.models import Event
from roadshow.extensions import db
from roadshow.partners.models import Partner


def figures_json(figures: Figures) -> dict[str, Any]:
    """The counts of an event or a total; ``no_show`` and its rate are null until held."""
    return {
        "registered": figures.registered,
        "companies": figures.companies,
        "confirmed": figures.confirmed,
        "waiting": figures.waiting,
        "cancelled": figures.cancelled,
        "attended": figures.attended,
        "no_show": figures.no_show if figures.held else None,
        "no_show_rate": figures.no_show_rate,
        "held": figures.held,
    }


@bp.get("/events/<int:event_id>/attendance")
@organisers_api
def event_attendance(event_id: int) -> Response:
    """The event's figures and every confirmed attendee with their presence."""
    event = db.session.get(Event, event_id)
    if event is None:
        return error_response(404, _("Diese Veranstaltung gibt es nicht."))
    figures = reports.event_figures(db.session, event)
    people = reports.attendee_presence(db.session, event)
    return jsonify(
        {
            **figures_json(figures),
            "attendees": [
                {
                    "id": p.id,
                    "email": p.email,
                    "attended": p.attended,
                    "minutes": p.minutes,
                    "method": p.method,
                }
                for p in people
            ],
        }
    )


@bp.get("/partners/<slug>/report")
@own_partner_api
def partner_report(slug: str) -> Response:
    """The partner's events with their figures, the totals and its referrals. A partner's
    token opens its own partner only; any other answers 404, as an unknown slug does."""
    partner = db.session.scalar(select(Partner).where(Partner.slug == slug))
    if partner is None:
        return error_response(404, _("Diesen Partner gibt es nicht."))
    found = reports.partner_report(db.session, partner)
    return jsonify(
        {
            "partner": {"slug": partner.slug, "name": partner.name},
            "events": [
                {
                    "id": item.event.id,
                    "slug": item.event.slug,
                    "title": item.event.title,
                    "kind": item.event.kind.value,
                    "starts_at": item.event.starts_at.astimezone(item.event.zone).isoformat(),
                    # "cancelled" is a figure (persons who cancelled); the event's own
                    # cancellation is its status.
                    "status": item.event.status.value,
                    **figures_json(item.figures),
                }
                for item in found.report.events
            ],
            "totals": figures_json(found.report.totals),
            "referred": {
                "registered": found.referred.registered,
                "companies": found.referred.companies,
                "confirmed": found.referred.confirmed,
                "attended": found.referred.attended,
            },
        }
    )


def openapi_part() -> dict[str, Any]:
    """The paths and schemas of these endpoints for the OpenAPI document."""
    error = ref("Error")
    count = {"type": "integer", "minimum": 0}
    figures = {
        "registered": {**count, "description": "Persons confirmed or waiting (not cancelled)"},
        "companies": {**count, "description": "Distinct companies among them"},
        "confirmed": count,
        "waiting": count,
        "cancelled": {**count, "description": "Persons who cancelled"},
        "attended": count,
        "no_show": {
            "type": ["integer", "null"],
            "description": "Confirmed persons who did not attend; null until the event is "
            "held (ended, or any check-in recorded)",
        },
        "no_show_rate": {"type": ["number", "null"], "description": "no_show / confirmed"},
        "held": {"type": "boolean"},
    }
    figure_names = list(figures)
    event_id = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    slug = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
    partner_operation = secured(
        {
            "operationId": "partnerReport",
            "summary": "A partner's events with attendance figures, totals and referrals",
            "description": "An organiser's token, or a token of that partner's user "
            "(`flask users token EMAIL --partner-report`), which opens nothing else. "
            "Another partner's token answers 404.",
            "parameters": [slug],
            "responses": {
                "200": json_answer(ref("PartnerReport"), "The report"),
                "404": json_answer(error, "No such partner, or not the token's partner"),
            },
        }
    )
    return {
        "paths": {
            "/events/{event_id}/attendance": {
                "get": secured(
                    {
                        "operationId": "eventAttendance",
                        "summary": "Who of an event's confirmed attendees came",
                        "parameters": [event_id],
                        "responses": {
                            "200": json_answer(ref("EventAttendance"), "The attendance"),
                            "404": json_answer(error, "No such event"),
                        },
                    }
                )
            },
            "/partners/{slug}/report": {"get": partner_operation},
        },
        "schemas": {
            "AttendanceFigures": {
                "type": "object",
                "required": figure_names,
                "properties": figures,
            },
            "EventAttendance": {
                "allOf": [
                    ref("AttendanceFigures"),
                    {
                        "type": "object",
                        "required": ["attendees"],
                        "properties": {
                            "attendees": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["id", "email", "attended", "minutes", "method"],
                                    "properties": {
                                        "id": {"type": "integer"},
                                        "email": {"type": "string"},
                                        "attended": {"type": "boolean"},
                                        "minutes": {"type": ["integer", "null"]},
                                        "method": {
                                            "enum": [
                                                "qr",
                                                "manual",
                                                "walk_in",
                                                "webinar_import",
                                                "api",
                                                None,
                                            ]
                                        },
                                    },
                                },
                            }
                        },
                    },
                ]
            },
            "PartnerReport": {
                "type": "object",
                "required": ["partner", "events", "totals", "referred"],
                "properties": {
                    "partner": {
                        "type": "object",
                        "required": ["slug", "name"],
                        "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
                    },
                    "events": {
                        "type": "array",
                        "items": {
                            "allOf": [
                                ref("AttendanceFigures"),
                                {
                                    "type": "object",
                                    "required": [
                                        "id",
                                        "slug",
                                        "title",
                                        "kind",
                                        "starts_at",
                                        "status",
                                    ],
                                    "properties": {
                                        "id": {"type": "integer"},
                                        "slug": {"type": "string"},
                                        "title": {"type": "string"},
                                        "kind": {"enum": ["stop", "webinar", "workshop"]},
                                        "starts_at": {"type": "string", "format": "date-time"},
                                        "status": {"enum": ["published", "cancelled"]},
                                    },
                                },
                            ]
                        },
                    },
                    "totals": ref("AttendanceFigures"),
                    "referred": {
                        "type": "object",
                        "required": ["registered", "companies", "confirmed", "attended"],
                        "properties": {
                            "registered": count,
                            "companies": count,
                            "confirmed": count,
                            "attended": count,
                        },
                    },
                },
            },
        },
    }
