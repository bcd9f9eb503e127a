"""Organiser endpoints: check-ins at the door (create by code, undo)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from roadshow.api.auth import api_user, organisers_api
from roadshow.api.fields import SPACES
from roadshow.api.openapi import json_answer, ref, secured
from roadshow.api.views import bp, error_response
from roadshow.attendance import checkin
from roadshow.attendance.models import CheckIn, CheckInMethod
from roadshow.events.models import Event
from roadshow.extensions import db
from roadshow.registrations.models import Attendee


def check_in_json(attendee: Attendee, row: CheckIn, already: bool) -> dict[str, Any]:
    return {
        "id": row.id,
        "attendee": {
            "id": attendee.id,
            "name": attendee.name,
            "email": attendee.email,
            "company": attendee.registration.company_name,
        },
        "method": row.method.value,
        "checked_in_at": row.checked_in_at.isoformat(),
        "already": already,
    }


@bp.post("/events/<int:event_id>/check-ins")
@organisers_api
def create_check_in(event_id: int) -> Response:
    """Check in the holder of a ticket code; a second time answers 200 with the first time."""
    event = db.session.get(Event, event_id)
    if event is None:
        return error_response(404, _("Diese Veranstaltung gibt es nicht."))
    body = request.get_json(silent=True)
    code = body.get("code") if isinstance(body, dict) else None
    if not isinstance(code, str) or not code.strip():
        return error_response(
            422,
            _("Die Angaben sind unvollständig oder fehlerhaft."),
            {"code": [_("Bitte den Code des Tickets angeben.")]},
        )
    attendee = checkin.find_by_code(db.session, event, code[:100])
    if attendee is None:
        return error_response(404, _("Kein Ticket mit diesem Code für diese Veranstaltung."))
    row, already = checkin.check_in(
        db.session, event, attendee, method=CheckInMethod.API, by=api_user()
    )
    db.session.commit()
    response = jsonify(check_in_json(attendee, row, already))
    response.status_code = 200 if already else 201
    return response


@bp.delete("/check-ins/<int:check_in_id>")
@organisers_api
def delete_check_in(check_in_id: int) -> Response:
    """Undo a check-in."""
    row = db.session.get(CheckIn, check_in_id)
    if row is None:
        return error_response(404, _("Diesen Check-in gibt es nicht."))
    checkin.undo(db.session, row, by=api_user())
    db.session.commit()
    return Response(status=204)


# A character that is not a space to ``str.strip()`` (the code is not stored, so control
# characters may be sent: they are not part of any code).
NOT_BLANK = f"[^{SPACES}\\x0b\\x0c\\x1c-\\x1f]"


def openapi_part() -> dict[str, Any]:
    """The paths and schemas of these endpoints for the OpenAPI document."""
    error = ref("Error")
    text = {"type": "string"}
    integer = {"type": "integer"}

    def path_id(name: str) -> dict[str, Any]:
        return {"name": name, "in": "path", "required": True, "schema": integer}

    return {
        "paths": {
            "/events/{event_id}/check-ins": {
                "post": secured(
                    {
                        "operationId": "createCheckIn",
                        "summary": "Check in the holder of a ticket code",
                        "description": "201 for the first check-in; 200 with "
                        '`"already": true` and the first time for every later one.',
                        "parameters": [path_id("event_id")],
                        "requestBody": {
                            "required": True,
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["code"],
                                        "properties": {
                                            "code": {"type": "string", "pattern": NOT_BLANK}
                                        },
                                    }
                                }
                            },
                        },
                        "responses": {
                            "201": json_answer(ref("CheckIn"), "Checked in"),
                            "200": json_answer(ref("CheckIn"), "Checked in before"),
                            "404": json_answer(error, "No such event or ticket"),
                            "422": json_answer(error, "No code"),
                        },
                    }
                )
            },
            "/check-ins/{check_in_id}": {
                "delete": secured(
                    {
                        "operationId": "deleteCheckIn",
                        "summary": "Undo a check-in",
                        "parameters": [path_id("check_in_id")],
                        "responses": {
                            "204": {"description": "Undone"},
                            "404": json_answer(error, "No such check-in"),
                        },
                    }
                )
            },
        },
        "schemas": {
            "CheckIn": {
                "type": "object",
                "required": ["id", "attendee", "method", "checked_in_at", "already"],
                "properties": {
                    "id": integer,
                    "attendee": {
                        "type": "object",
                        "required": ["id", "name", "email", "company"],
                        "properties": {
                            "id": integer,
                            "name": text,
                            "email": text,
                            "company": text,
                        },
                    },
                    "method": {"enum": [m.value for m in CheckInMethod]},
                    "checked_in_at": {"type": "string", "format": "date-time"},
                    "already": {"type": "boolean"},
                },
            }
        },
    }
