"""Organiser endpoints: webinar attendance reports imported (multipart upload)."""

from __future__ import annotations

import re
from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from roadshow.api.auth import api_user, organisers_api
from roadshow.api.openapi import json_answer, ref, secured
from roadshow.api.views import bp, error_response
from roadshow.attendance.imports import ImportResult, import_report
from roadshow.attendance.parsing import ReportError
from roadshow.events.models import Event
from roadshow.extensions import db

MAX_REPORT_BYTES = 5 * 1024 * 1024
MAX_MIN_MINUTES = 100_000


def result_json(result: ImportResult) -> dict[str, Any]:
    return {
        "format": result.format,
        "matched": result.matched,
        "attended": result.attended,
        "unmatched": result.unmatched,
        "already_imported": result.already_imported,
    }


@bp.post("/events/<int:event_id>/attendance-reports")
@organisers_api
def import_attendance_report(event_id: int) -> Response:
    """Import a webinar tool's report for the event (multipart ``file``, ``min_minutes``)."""
    event = db.session.get(Event, event_id)
    if event is None:
        return error_response(404, _("Diese Veranstaltung gibt es nicht."))
    if request.content_length is not None and request.content_length > MAX_REPORT_BYTES + 65536:
        return error_response(413, _("Die Datei ist zu groß (höchstens 5 MB)."))
    upload = request.files.get("file")
    if upload is None:
        return error_response(
            400, _("Bitte eine Datei senden."), {"file": [_("Bitte eine Datei senden.")]}
        )
    data = upload.read(MAX_REPORT_BYTES + 1)
    if len(data) > MAX_REPORT_BYTES:
        return error_response(413, _("Die Datei ist zu groß (höchstens 5 MB)."))
    min_minutes: int | None = None
    raw = (request.form.get("min_minutes") or "").strip()
    if raw:
        # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
        if not re.fullmatch(r"[0-9]{1,6}", raw) or int(raw) > MAX_MIN_MINUTES:
            message = _("Mindestminuten: bitte eine ganze Zahl ab 0.")
            return error_response(400, message, {"min_minutes": [message]})
        min_minutes = int(raw)
    try:
        result = import_report(
            db.session,
            event,
            data,
            upload.filename or "",
            min_minutes=min_minutes,
            by=api_user(),
        )
    except ReportError as error:
        db.session.rollback()
        return error_response(400, str(error), {"file": [str(error)]})
    db.session.commit()
    response = jsonify(result_json(result))
    response.status_code = 200 if result.already_imported else 201
    return response


def openapi_part() -> dict[str, Any]:
    """The path and schema of this endpoint for the OpenAPI document."""
    error = ref("Error")
    event_id = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    return {
        "paths": {
            "/events/{event_id}/attendance-reports": {
                "post": secured(
                    {
                        "operationId": "importAttendanceReport",
                        "summary": "Import a webinar tool's attendance report",
                        "description": "Zoom, Microsoft Teams, Webex or a plain CSV (email, "
                        "name, minutes); the format is recognised from the content. The same "
                        "file again changes nothing (200, already_imported true).",
                        "parameters": [event_id],
                        "requestBody": {
                            "required": True,
                            "content": {
                                "multipart/form-data": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["file"],
                                        "properties": {
                                            "file": {"type": "string", "format": "binary"},
                                            "min_minutes": {
                                                "type": "integer",
                                                "minimum": 0,
                                                "maximum": MAX_MIN_MINUTES,
                                            },
                                        },
                                    }
                                }
                            },
                        },
                        "responses": {
                            "201": json_answer(ref("AttendanceImport"), "Imported"),
                            "200": json_answer(ref("AttendanceImport"), "Imported before"),
                            "400": json_answer(
                                error, "Malformed file (the message names the line)"
                            ),
                            "404": json_answer(error, "No such event"),
                            "413": json_answer(error, "File larger than 5 MB"),
                        },
                    }
                )
            }
        },
        "schemas": {
            "AttendanceImport": {
                "type": "object",
                "required": ["format", "matched", "attended", "unmatched", "already_imported"],
                "properties": {
                    "format": {"type": "string"},
                    "matched": {"type": "integer"},
                    "attended": {"type": "integer"},
                    "already_imported": {"type": "boolean"},
                    "unmatched": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["name", "email", "minutes"],
                            "properties": {
                                "name": {"type": "string"},
                                "email": {"type": "string"},
                                "minutes": {"type": "integer"},
                            },
                        },
                    },
                },
            }
        },
    }
