"""The partner portal under ``/partner/``: a partner's users see their partner's events and
who comes, and download the list.

One guard for every page: logged in (else to the login page) with the partner role;
organisers and admins have the back office and get 403 here. Whatever is not the partner's
answers 404, as if it did not exist.
"""

from __future__ import annotations

from flask import Blueprint, abort, make_response, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from roadshow.accounts.models import Role
from roadshow.attendance import charts, report_exports, reports
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


@bp.context_processor
def report_links() -> dict[str, object]:
    def portal_event_link(event: Event) -> str:
        return url_for("portal.event", event_id=event.id)

    return {"portal_event_link": portal_event_link}


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
    figures = reports.event_figures(db.session, shown)
    page = render_template(
        "portal/event.html",
        partner=current_user.partner,
        event=shown,
        attendance=attendance,
        figures=figures,
        chart=charts.attendance_chart([reports.EventReport(shown, figures)]),
    )
    return private(make_response(page))


@bp.get("/report")
def report() -> Response:
    """The partner's figures per event and in total, with a chart and the downloads."""
    found = reports.partner_report(db.session, current_user.partner)
    page = render_template(
        "portal/report.html",
        partner=current_user.partner,
        found=found,
        report=found.report,
        chart=charts.attendance_chart(found.report.events) if found.report.events else None,
    )
    return private(make_response(page))


def _report_download(file_format: str) -> Response:
    partner = current_user.partner
    found = reports.partner_report(db.session, partner)
    header, table = report_exports.headers(), report_exports.rows(found.report)
    header, table = report_exports.with_referred(header, table, found.referred)
    if file_format == "csv":
        response = make_response(report_exports.to_csv(header, table))
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
    else:
        response = make_response(report_exports.to_xlsx(header, table, title=partner.name))
        response.headers["Content-Type"] = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="bericht-{partner.slug}.{file_format}"'
    )
    return private(response)


@bp.get("/report.csv")
def report_csv() -> Response:
    return _report_download("csv")


@bp.get("/report.xlsx")
def report_xlsx() -> Response:
    return _report_download("xlsx")


@bp.get("/events/<int:event_id>/registrations.csv")
def event_export(event_id: int) -> Response:
    shown = _own_event(event_id)
    response = make_response(exports.to_csv(services.partner_attendance(db.session, shown)))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{export_filename(shown, "csv")}"'
    )
    return private(response)
