"""Public JSON endpoints over the same services as the pages: events and registrations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from roadshow.api.auth import api_user, organisers_api
from roadshow.api.openapi import openapi_document, with_organiser_endpoints
from roadshow.api.schemas import (
    api_field,
    attendee_rows,
    event_json,
    form_data,
    form_errors,
    submission_key,
)
from roadshow.database import utcnow
from roadshow.errors import DomainError, NotFound
from roadshow.errors import api_error_response as error_response
from roadshow.events.models import EventKind
from roadshow.events.services import ListingFilter, listing, listing_count, public_event
from roadshow.extensions import db
from roadshow.registrations.forms import registration_form
from roadshow.registrations.notifications import manage_url
from roadshow.registrations.services import RegistrationClosed, register
from roadshow.urls import external_url
from roadshow.web import registration_limit

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/events")
def events() -> Response:
    kind = request.args.get("kind")
    # Unlike the listing page's form, an empty kind is no kind: a client leaves it out.
    if kind is not None and kind not in {k.value for k in EventKind}:
        return error_response(
            422,
            _("Die Angaben sind unvollständig oder fehlerhaft."),
            {"kind": [_("Erlaubt sind: stop, webinar, workshop.")]},
        )
    paging, errors = _paging(request.args)
    if errors:
        return error_response(422, _("Die Angaben sind unvollständig oder fehlerhaft."), errors)
    limit, offset = paging
    filters = ListingFilter.from_args(request.args)
    now = utcnow()
    total = listing_count(db.session, filters, now=now)
    items = listing(db.session, filters, now=now, limit=limit, offset=offset)
    following = None
    if offset + limit < total:
        args = {**request.args.to_dict(), "limit": limit, "offset": offset + limit}
        following = external_url("api.events", **args)
    return jsonify(
        {"events": [event_json(item) for item in items], "total": total, "next": following}
    )


# One answer of the event list holds at most this many events (``limit``); ``next`` links on.
DEFAULT_LIMIT = 100
MAX_LIMIT = 500


def _paging(args: Mapping[str, str]) -> tuple[tuple[int, int], dict[str, list[str]]]:
    """``limit`` and ``offset`` from the query, or the messages for the fields that are wrong."""
    values, errors = {}, {}
    for name, default, low, high in (
        ("limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        ("offset", 0, 0, 2**31 - 1),
    ):
        text = args.get(name)
        if text is None:
            values[name] = default
        elif text.isascii() and text.isdigit() and low <= int(text) <= high:
            values[name] = int(text)
        else:
            errors[name] = [_("Eine ganze Zahl von %(low)s bis %(high)s.", low=low, high=high)]
    return (values.get("limit", DEFAULT_LIMIT), values.get("offset", 0)), errors


@bp.get("/events/<int:event_id>")
def event(event_id: int) -> Response:
    item = public_event(db.session, id=event_id)
    if item is None:
        return error_response(404, _("Diese Veranstaltung gibt es nicht."))
    return jsonify(event_json(item))


@bp.post("/events/<int:event_id>/registrations")
@registration_limit
def create_registration(event_id: int) -> Response:
    """Register a company; ``Idempotency-Key`` makes a repeated request store one."""
    item = public_event(db.session, id=event_id)
    if item is None:
        return error_response(404, _("Diese Veranstaltung gibt es nicht."))
    body: Any = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error_response(400, _("Die Anfrage ist kein gültiges JSON-Objekt."))
    data, errors = form_data(body)
    form = registration_form(attendee_rows(body), formdata=data, meta={"csrf": False})
    form.submission_key.data = submission_key(request.headers.get("Idempotency-Key"))
    valid = form.validate()
    errors = {**form_errors(form), **errors}
    if not valid or errors:
        return error_response(422, _("Die Angaben sind unvollständig oder fehlerhaft."), errors)
    try:
        outcome = register(db.session, item.event.id, form.to_input(_referral(body)))
        db.session.commit()
    except NotFound as error:
        db.session.rollback()
        return error_response(404, error.message)
    except RegistrationClosed as error:
        db.session.rollback()
        return error_response(409, error.message, {"event": [error.message]})
    except DomainError as error:
        db.session.rollback()
        field = api_field(error.field or "")
        return error_response(
            422, _("Die Angaben sind unvollständig oder fehlerhaft."), {field: [error.message]}
        )
    registration = outcome.registration
    response = jsonify(
        {
            "id": registration.id,
            "status": registration.status.value,
            # Only the first answer has the secret link; a repeat gets it by email only.
            "manage_url": manage_url(outcome.token) if outcome.token else None,
        }
    )
    response.status_code = 200 if outcome.repeated else 201
    return response


def _referral(body: dict[str, Any]) -> str | None:
    """The referring partner's slug, from the body or, as on the pages, from ``?ref=``."""
    ref = body.get("ref") or request.args.get("ref")
    return ref if isinstance(ref, str) and ref else None


@bp.get("/me")
@organisers_api
def me() -> Response:
    """Whose token this is: a client checks its token with this call."""
    user = api_user()
    return jsonify({"id": user.id, "name": user.name, "email": user.email, "role": user.role.value})


@bp.get("/openapi.json")
def openapi() -> Response:
    from roadshow.api import (
        attendance_reports,
        check_ins,
        planning,
        registrations,
        reports,
        series,
    )

    return jsonify(
        with_organiser_endpoints(
            openapi_document(),
            planning.openapi_part(),
            series.openapi_part(),
            registrations.openapi_part(),
            check_ins.openapi_part(),
            attendance_reports.openapi_part(),
            reports.openapi_part(),
        )
    )
