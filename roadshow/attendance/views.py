"""The check-in page at the door (``/check-in/<event_id>/``) and what it calls.

The page works offline (``checkin.js``, ``checkin-sw.js``): it loads the attendee list as
JSON and sends each scan, undo and walk-in as JSON with the CSRF token in ``X-CSRFToken``.
Every answer to those calls is JSON, errors included, and none is cached.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from roadshow.accounts.twofactor import must_enrol
from roadshow.attendance import checkin
from roadshow.attendance.forms import WalkInForm
from roadshow.attendance.models import CheckIn, CheckInMethod
from roadshow.errors import DomainError
from roadshow.events.models import Event
from roadshow.extensions import db, login_manager
from roadshow.headers import allow_camera
from roadshow.registrations.models import Attendee

bp = Blueprint("attendance", __name__, url_prefix="/check-in")

PAGE_ENDPOINTS = {"attendance.page", "attendance.service_worker"}
SERVICE_WORKER = Path(__file__).resolve().parent.parent / "static" / "checkin-sw.js"


def _wants_json() -> bool:
    return request.endpoint not in PAGE_ENDPOINTS


def json_error(status: int, message: str, fields: dict[str, str] | None = None) -> Response:
    response = jsonify({"error": message, "fields": fields or {}})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response | HTTPException:
    if not _wants_json():
        return error
    messages = {
        400: _("Die Anfrage war ungültig. Bitte laden Sie die Seite neu."),
        401: _("Bitte melden Sie sich an."),
        403: _("Hier dürfen Sie nicht einchecken."),
        404: _("Das gibt es nicht."),
        405: _("Diese Methode ist hier nicht erlaubt."),
    }
    status = error.code or 500
    response = json_error(status, messages.get(status, error.name))
    if isinstance(error, CSRFError):  # the page fetches a fresh token and sends again
        response.set_data(json.dumps({**(response.get_json() or {}), "reason": "csrf"}))
    return response


@bp.before_request
def staff_at_the_door() -> Response | None:
    """Logged in, with a second factor where one is required; the event rule follows in
    ``_event`` (partners' staff only where the organiser allows it)."""
    if request.endpoint == "attendance.service_worker":
        return None
    if not current_user.is_authenticated:
        if _wants_json():
            return json_error(401, _("Bitte melden Sie sich an."))
        result: Response = login_manager.unauthorized()
        return result
    if must_enrol(db.session, current_user):
        if _wants_json():
            return json_error(403, _("Bitte richten Sie zuerst einen zweiten Faktor ein."))
        return redirect(url_for("accounts.twofactor"))
    return None


def _event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    if not checkin.may_check_in(db.session, current_user, event):
        abort(403)
    return event


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _urls(event: Event) -> dict[str, str]:
    return {
        "attendees": url_for(".attendees", event_id=event.id),
        "check_ins": url_for(".create_check_in", event_id=event.id),
        "walk_ins": url_for(".create_walk_in", event_id=event.id),
        "sw": url_for(".service_worker"),
        "page": url_for(".page", event_id=event.id),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _attendee_json(attendee: Attendee) -> dict[str, Any]:
    return {
        "id": attendee.id,
        "name": attendee.name,
        "company": attendee.registration.company_name,
    }


def _check_in_json(attendee: Attendee, row: CheckIn, **extra: Any) -> dict[str, Any]:
    return {
        "attendee": _attendee_json(attendee),
        "check_in_id": row.id,
        "checked_in_at": _iso(row.checked_in_at),
        **extra,
    }


@bp.get("/<int:event_id>/")
@allow_camera
def page(event_id: int) -> Response:
    event = _event(event_id)
    rows = db.session.execute(checkin.present_attendees(event.id)).all()
    people = [
        {**_attendee_json(attendee), "checked_in_at": row.checked_in_at if row else None}
        for attendee, row in rows
    ]
    html = render_template(
        "attendance/check_in.html",
        event=event,
        walk_in_form=WalkInForm(),
        urls=_urls(event),
        attendees=people,
        checked_in=sum(1 for person in people if person["checked_in_at"]),
        expected=len(people),
    )
    return _no_store(make_response(html))


@bp.get("/<int:event_id>/attendees.json")
def attendees(event_id: int) -> Response:
    event = _event(event_id)
    rows = db.session.execute(checkin.present_attendees(event.id)).all()
    people = [
        {
            **_attendee_json(attendee),
            "email": attendee.email,
            "code": attendee.check_in_code,
            "checked_in_at": _iso(row.checked_in_at) if row else None,
            "check_in_id": row.id if row else None,
            "method": row.method.value if row else None,
        }
        for attendee, row in rows
    ]
    present = sum(1 for person in people if person["check_in_id"] is not None)
    body = {
        "event": {
            "id": event.id,
            "title": event.title,
            "starts_at": _iso(event.starts_at),
            "capacity": event.capacity,
            "seats_free": event.seats_left,
        },
        "csrf_token": generate_csrf(),
        "attendees": people,
        "checked_in": present,
        "expected": len(people),
    }
    return _no_store(jsonify(body))


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400)
    return body


def _device_time(body: dict[str, Any]) -> datetime | None:
    text = body.get("at")
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _ref(body: dict[str, Any]) -> str | None:
    ref = body.get("ref")
    if isinstance(ref, str) and 8 <= len(ref) <= 50 and ref.replace("-", "").isalnum():
        return ref
    return None


@bp.post("/<int:event_id>/check-ins")
def create_check_in(event_id: int) -> Response:
    event = _event(event_id)
    body = _json_body()
    code, attendee_id = body.get("code"), body.get("attendee_id")
    if isinstance(code, str) and code.strip():
        attendee = checkin.find_by_code(db.session, event, code[:100])
        method = CheckInMethod.QR
    elif isinstance(attendee_id, int) and not isinstance(attendee_id, bool):
        attendee = checkin.find_attendee(db.session, event, attendee_id)
        method = CheckInMethod.MANUAL
    else:
        return json_error(
            400, _("Bitte einen Code scannen oder eintippen."), {"code": _("Bitte ausfüllen.")}
        )
    if attendee is None:
        return json_error(404, _("Kein Ticket mit diesem Code für diese Veranstaltung."))
    row, already = checkin.check_in(
        db.session, event, attendee, method=method, by=current_user, at=_device_time(body)
    )
    db.session.commit()
    response = jsonify(_check_in_json(attendee, row, already=already))
    response.status_code = 200 if already else 201
    return _no_store(response)


@bp.delete("/<int:event_id>/check-ins/<int:check_in_id>")
def undo_check_in(event_id: int, check_in_id: int) -> Response:
    event = _event(event_id)
    row = db.session.get(CheckIn, check_in_id)
    if row is None or row.event_id != event.id:
        return json_error(404, _("Dieser Check-in ist schon zurückgenommen."))
    checkin.undo(db.session, row, by=current_user)
    db.session.commit()
    return _no_store(jsonify({"undone": True}))


@bp.post("/<int:event_id>/walk-ins")
def create_walk_in(event_id: int) -> Response:
    event = _event(event_id)
    body = _json_body()
    values = {
        key: body.get(key) if isinstance(body.get(key), str) else ""
        for key in ("name", "email", "company", "town")
    }
    if body.get("override_capacity") is True:
        values["override_capacity"] = "y"
    form = WalkInForm(formdata=MultiDict(values))
    if not form.validate():
        fields = {name: str(errors[0]) for name, errors in form.errors.items()}
        return json_error(400, _("Bitte prüfen Sie die markierten Felder."), fields)
    data = checkin.WalkIn(
        name=form.name.data or "",
        email=form.email.data or "",
        company=form.company.data or "",
        town=form.town.data or "",
    )
    try:
        registration, row, repeated = checkin.walk_in(
            db.session,
            event,
            data,
            by=current_user,
            ref=_ref(body),
            override_capacity=form.override_capacity.data,
            at=_device_time(body),
            language=str(get_locale() or "de"),
        )
    except checkin.EventFull as error:
        db.session.rollback()
        return json_error(409, error.message, {"override_capacity": error.message})
    except DomainError as error:
        db.session.rollback()
        # The address already has a seat (``attendees-0-email``) is the e-mail field's;
        # a rule of the event (cancelled, a draft) belongs to no field.
        field = "email" if (error.field or "").endswith("email") else error.field
        return json_error(400, error.message, {field: error.message} if field in values else {})
    db.session.commit()
    attendee = registration.attendees[0]
    response = jsonify(_check_in_json(attendee, row, registration_id=registration.id))
    response.status_code = 200 if repeated else 201
    return _no_store(response)


@bp.get("/sw.js")
def service_worker() -> Response:
    """The check-in page's service worker, from here so that it may control /check-in/."""
    response = Response(SERVICE_WORKER.read_bytes(), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/check-in/"
    response.headers["Cache-Control"] = "no-cache"
    return response
