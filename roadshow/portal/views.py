"""The partner portal under ``/partner/``: a partner's users see their partner's events and
who comes, and download the list.

One guard for every page: logged in (else to the login page) with the partner role;
organisers and admins have the back office and get 403 here. Whatever is not the partner's
answers 404, as if it did not exist.
"""

from __future__ import annotations

from flask import Blueprint, abort, make_response, render_template
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from roadshow.accounts.models import Role
from roadshow.errors import NotFound
from roadshow.events.models import Event
from roadshow.extensions import db
from roadshow.portal import exports, services
from roadshow.registrations.exports import export_filename
from roadshow.web import private

bp = Blueprint("portal", __name__, url_prefix="/partner")


@bp.before_request
@login_required
def partners_only() -> None:
    if current_user.role is not Role.PARTNER:
        abort(403)


def _partner_id() -> int:
    partner_id: int = current_user.partner_id
    return partner_id


def _own_event(event_id: int) -> Event:
    try:
        return services.partner_event(db.session, _partner_id(), event_id)
    except NotFound:
        abort(404)


@bp.get("/")
def index() -> Response:
    events = services.partner_events(db.session, _partner_id())
    page = render_template("portal/index.html", partner=current_user.partner, events=events)
    return private(make_response(page))


@bp.get("/events/<int:event_id>")
def event(event_id: int) -> Response:
    shown = _own_event(event_id)
    attendance = services.partner_attendance(db.session, shown)
    page = render_template(
        "portal/event.html", partner=current_user.partner, event=shown, attendance=attendance
    )
    return private(make_response(page))


@bp.get("/events/<int:event_id>/registrations.csv")
def event_export(event_id: int) -> Response:
    shown = _own_event(event_id)
    response = make_response(exports.to_csv(services.partner_attendance(db.session, shown)))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{export_filename(shown, "csv")}"'
    )
    return private(response)
