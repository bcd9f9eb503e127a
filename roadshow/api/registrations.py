"""Organiser endpoints: the registrations of an event (list, cancel)."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from roadshow.api.auth import api_user, organisers_api
from roadshow.api.openapi import json_answer, ref, secured
from roadshow.api.views import bp, error_response
from roadshow.errors import DomainError, NotFound
from roadshow.events.models import Event
from roadshow.extensions import db
from roadshow.registrations import organiser
from roadshow.registrations.models import Registration


def registration_json(registration: Registration, event: Event) -> dict[str, Any]:
    """A registration as organisers see it: contact, every attendee with their status,
    and when it arrived (local time of the event, with offset)."""
    return {
        "id": registration.id,
        "status": registration.status.value,
        "company": registration.company_name,
        "contact": {
            "name": registration.contact_name,
            "email": registration.contact_email,
            "phone": registration.contact_phone,
        },
        "attendees": [
            {"id": a.id, "name": a.name, "email": a.email, "status": a.status.value}
            for a in registration.attendees
        ],
        "created_at": registration.created_at.astimezone(event.zone).isoformat(),
    }


@bp.get("/events/<int:event_id>/registrations")
@organisers_api
def list_registrations(event_id: int) -> Response:
    """Every registration of the event (any status), in order of arrival."""
    event = db.session.get(Event, event_id)
    if event is None:
        return error_response(404, _("Diese Veranstaltung gibt es nicht."))
    registrations = organiser.all_registrations(db.session, event)
    return jsonify({"registrations": [registration_json(r, event) for r in registrations]})


@bp.post("/registrations/<int:registration_id>/cancel")
@organisers_api
def cancel_registration(registration_id: int) -> Response:
    """Cancel the whole registration as the organiser (any body is ignored)."""
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        return error_response(404, _("Diese Anmeldung gibt es nicht."))
    try:
        organiser.cancel_registration(db.session, registration, actor=api_user())
    except NotFound as error:
        db.session.rollback()
        return error_response(404, error.message)
    except DomainError as error:  # already cancelled, or the event was
        db.session.rollback()
        return error_response(409, error.message)
    db.session.commit()
    return jsonify({"id": registration.id, "status": registration.status.value})


def openapi_part() -> dict[str, Any]:
    """The paths and schemas of these endpoints for the OpenAPI document."""
    error = ref("Error")
    text = {"type": "string"}
    event_id = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    registration_id = {
        "name": "registration_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer"},
    }
    return {
        "paths": {
            "/events/{event_id}/registrations": {
                "get": secured(
                    {
                        "operationId": "listRegistrations",
                        "summary": "Every registration of an event, in order of arrival",
                        "description": "Any status (confirmed, waitlisted, cancelled), each "
                        "with its contact and every attendee (cancelled ones included).",
                        "parameters": [event_id],
                        "responses": {
                            "200": json_answer(ref("RegistrationList"), "The registrations"),
                            "404": json_answer(error, "No such event"),
                        },
                    }
                )
            },
            "/registrations/{registration_id}/cancel": {
                "post": secured(
                    {
                        "operationId": "cancelRegistration",
                        "summary": "Cancel a whole registration as the organiser",
                        "description": "The company is told, attendees with a seat get a "
                        "calendar cancellation, and the freed seats promote registrations "
                        "from the waiting list. No body is needed; any body is ignored.",
                        "parameters": [registration_id],
                        "responses": {
                            "200": json_answer(ref("RegistrationCancelled"), "Cancelled"),
                            "404": json_answer(error, "No such registration"),
                            "409": json_answer(
                                error, "Already cancelled, or the event was cancelled"
                            ),
                        },
                    }
                )
            },
        },
        "schemas": {
            "OrganiserRegistration": {
                "type": "object",
                "required": ["id", "status", "company", "contact", "attendees", "created_at"],
                "properties": {
                    "id": {"type": "integer"},
                    "status": {"enum": ["confirmed", "waitlisted", "cancelled"]},
                    "company": text,
                    "contact": {
                        "type": "object",
                        "required": ["name", "email", "phone"],
                        "properties": {"name": text, "email": text, "phone": text},
                    },
                    "attendees": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["id", "name", "email", "status"],
                            "properties": {
                                "id": {"type": "integer"},
                                "name": text,
                                "email": text,
                                "status": {"enum": ["active", "cancelled"]},
                            },
                        },
                    },
                    "created_at": {
                        "type": "string",
                        "format": "date-time",
                        "description": "Local time of the event with UTC offset, ISO 8601.",
                    },
                },
            },
            "RegistrationList": {
                "type": "object",
                "required": ["registrations"],
                "properties": {
                    "registrations": {"type": "array", "items": ref("OrganiserRegistration")}
                },
            },
            "RegistrationCancelled": {
                "type": "object",
                "required": ["id", "status"],
                "properties": {"id": {"type": "integer"}, "status": {"const": "cancelled"}},
            },
        },
    }
