"""Back-office pages: reports per event, tour and partner, and two editions compared.

Each page shows the figures as a chart (SVG drawn on the server) and as a table, and
offers the same figures as CSV and XLSX. The figures come from ``attendance.reports``,
which computes them in the database; a page runs a fixed number of queries.
"""

from __future__ import annotations

from flask import abort, make_response, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from roadshow.attendance import charts, report_exports, reports
from roadshow.backoffice.blueprint import bp
from roadshow.backoffice.reports.forms import CompareForm
from roadshow.events.models import Event, EventStatus, Tour
from roadshow.extensions import db
from roadshow.partners.models import Partner
from roadshow.web import private

OVERVIEW_CHART_EVENTS = 25  # the latest ones; the table lists every event


@bp.context_processor
def report_links() -> dict[str, object]:
    def report_event_link(event: Event) -> str:
        return url_for("backoffice.report_event", event_id=event.id)

    return {"report_event_link": report_event_link}


def _download(
    header: list[str], table: list[list[report_exports.Cell]], name: str, file_format: str
) -> Response:
    if file_format == "csv":
        response = make_response(report_exports.to_csv(header, table))
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
    else:
        response = make_response(report_exports.to_xlsx(header, table, title=name))
        response.headers["Content-Type"] = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response.headers["Content-Disposition"] = f'attachment; filename="bericht-{name}.{file_format}"'
    return private(response)


def _tours() -> list[Tour]:
    return list(db.session.scalars(select(Tour).order_by(func.lower(Tour.title), Tour.id)))


@bp.get("/reports/")
def reports_overview() -> str:
    """Every tour and partner to open, and every event with its figures."""
    report = reports.overview(db.session)
    partners = db.session.scalars(select(Partner).order_by(func.lower(Partner.name))).all()
    latest = list(report.events)[-OVERVIEW_CHART_EVENTS:]
    return render_template(
        "backoffice/reports/index.html",
        report=report,
        tours=_tours(),
        partners=partners,
        chart=charts.attendance_chart(latest) if latest else None,
        charted=len(latest),
    )


@bp.get("/reports/report.<any(csv, xlsx):file_format>")
def reports_overview_export(file_format: str) -> Response:
    report = reports.overview(db.session)
    return _download(report_exports.headers(), report_exports.rows(report), "alle", file_format)


def _event(event_id: int) -> Event:
    event = db.get_or_404(Event, event_id)
    if event.status is EventStatus.DRAFT:
        abort(404)
    return event


@bp.get("/reports/events/<int:event_id>")
def report_event(event_id: int) -> str:
    event = _event(event_id)
    report = reports.event_report(db.session, event)
    return render_template(
        "backoffice/reports/event.html",
        event=event,
        report=report,
        chart=charts.attendance_chart(report.events),
    )


@bp.get("/reports/events/<int:event_id>/report.<any(csv, xlsx):file_format>")
def report_event_export(event_id: int, file_format: str) -> Response:
    event = _event(event_id)
    report = reports.event_report(db.session, event)
    header, table = report_exports.headers(), report_exports.rows(report)
    header, table = report_exports.with_breakdowns(header, table, report)
    return _download(header, table, event.slug, file_format)


@bp.get("/reports/tours/<int:tour_id>")
def report_tour(tour_id: int) -> str:
    tour = db.get_or_404(Tour, tour_id)
    found = reports.tour_report(db.session, tour)
    assert found.report.funnel is not None
    return render_template(
        "backoffice/reports/tour.html",
        tour=tour,
        report=found.report,
        chart=charts.attendance_chart(found.report.events) if found.report.events else None,
        funnel_chart=charts.funnel_chart(found.report.funnel),
    )


@bp.get("/reports/tours/<int:tour_id>/report.<any(csv, xlsx):file_format>")
def report_tour_export(tour_id: int, file_format: str) -> Response:
    tour = db.get_or_404(Tour, tour_id)
    found = reports.tour_report(db.session, tour)
    header, table = report_exports.headers(), report_exports.rows(found.report)
    header, table = report_exports.with_funnel(header, table, found.report)
    header, table = report_exports.with_breakdowns(header, table, found.report)
    return _download(header, table, tour.slug, file_format)


@bp.get("/reports/partners/<int:partner_id>")
def report_partner(partner_id: int) -> str:
    partner = db.get_or_404(Partner, partner_id)
    found = reports.partner_report(db.session, partner)
    return render_template(
        "backoffice/reports/partner.html",
        partner=partner,
        found=found,
        report=found.report,
        chart=charts.attendance_chart(found.report.events) if found.report.events else None,
    )


@bp.get("/reports/partners/<int:partner_id>/report.<any(csv, xlsx):file_format>")
def report_partner_export(partner_id: int, file_format: str) -> Response:
    partner = db.get_or_404(Partner, partner_id)
    found = reports.partner_report(db.session, partner)
    header, table = report_exports.headers(), report_exports.rows(found.report)
    header, table = report_exports.with_referred(header, table, found.referred)
    return _download(header, table, partner.slug, file_format)


@bp.get("/reports/compare")
def report_compare() -> str:
    """The form with two selects; with two different tours chosen, their figures."""
    tours = _tours()
    form = CompareForm(request.args, tours=[(t.id, t.title) for t in tours])
    compared = None
    chart = None
    if request.args and form.validate():
        first = db.session.get(Tour, form.first.data)
        second = db.session.get(Tour, form.second.data)
        assert first is not None and second is not None  # the choices are existing tours
        compared = reports.compare_tours(db.session, first, second)
        chart = charts.comparison_chart(
            first.title, compared[0].report, second.title, compared[1].report
        )
    return render_template(
        "backoffice/reports/compare.html", form=form, compared=compared, chart=chart
    )


@bp.get("/reports/compare/<int:tour_id>/<int:other_tour_id>/report.<any(csv, xlsx):file_format>")
def report_compare_export(tour_id: int, other_tour_id: int, file_format: str) -> Response:
    first = db.get_or_404(Tour, tour_id)
    second = db.get_or_404(Tour, other_tour_id)
    compared = reports.compare_tours(db.session, first, second)
    header, table = report_exports.comparison(compared[0], compared[1])
    return _download(header, table, f"{first.slug}-{second.slug}", file_format)
