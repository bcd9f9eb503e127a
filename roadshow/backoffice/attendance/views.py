"""Importing webinar attendance reports: upload, previous imports, unmatched rows by hand."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from roadshow.accounts.models import User
from roadshow.attendance.imports import ImportResult, assign_unmatched, import_report
from roadshow.attendance.models import AttendanceImport, CheckIn
from roadshow.attendance.parsing import ReportError
from roadshow.backoffice.attendance.forms import AssignForm, ReportUploadForm
from roadshow.backoffice.blueprint import bp
from roadshow.events.models import Event
from roadshow.extensions import db
from roadshow.registrations.models import (
    Attendee,
    AttendeeStatus,
    Registration,
    RegistrationStatus,
)

MAX_REPORT_BYTES = 5 * 1024 * 1024


def _absent_attendees(event: Event) -> list[Attendee]:
    present = sa.select(CheckIn.attendee_id).where(CheckIn.event_id == event.id)
    return list(
        db.session.scalars(
            sa.select(Attendee)
            .join(Registration, Registration.id == Attendee.registration_id)
            .where(
                Attendee.event_id == event.id,
                Attendee.status == AttendeeStatus.ACTIVE,
                Registration.status == RegistrationStatus.CONFIRMED,
                Attendee.id.not_in(present),
            )
            .order_by(Attendee.name)
        )
    )


def _render(
    event: Event, form: ReportUploadForm, result: ImportResult | None, status: int
) -> tuple[str, int]:
    imports = db.session.execute(
        sa.select(AttendanceImport, User.name)
        .outerjoin(User, User.id == AttendanceImport.imported_by_id)
        .where(AttendanceImport.event_id == event.id)
        .order_by(AttendanceImport.imported_at.desc(), AttendanceImport.id.desc())
    ).all()
    absent = _absent_attendees(event)
    assign = AssignForm()
    # A blank first choice, so that a row is never given to the first name by mistake.
    assign.attendee_id.choices = [
        (0, _("Bitte wählen …")),
        *((a.id, f"{a.name} <{a.email}>") for a in absent),
    ]
    page = render_template(
        "backoffice/attendance/import.html",
        event=event,
        form=form,
        result=result,
        imports=imports,
        assign=assign,
    )
    return page, status


@bp.route("/events/<int:event_id>/attendance-reports", methods=["GET", "POST"])
def attendance_reports(event_id: int) -> Response | tuple[str, int]:
    event = db.get_or_404(Event, event_id)
    form = ReportUploadForm()
    result = None
    status = 200
    if form.validate_on_submit():
        data = form.file.data.read(MAX_REPORT_BYTES + 1)
        if len(data) > MAX_REPORT_BYTES:
            form.file.errors = [_("Die Datei ist zu groß (höchstens 5 MB).")]
            status = 422
        else:
            try:
                result = import_report(
                    db.session,
                    event,
                    data,
                    form.file.data.filename or "",
                    min_minutes=form.min_minutes.data,
                    by=current_user,
                )
            except ReportError as error:
                db.session.rollback()
                form.file.errors = [str(error)]
                status = 422
            else:
                db.session.commit()
                if result.already_imported:
                    flash(_("Diese Datei wurde schon importiert; nichts geändert."))
    elif request.method == "POST":
        status = 422
    return _render(event, form, result, status)


@bp.post("/events/<int:event_id>/attendance-reports/<int:import_id>/rows/<int:row>")
def assign_attendance_row(event_id: int, import_id: int, row: int) -> Response:
    event = db.get_or_404(Event, event_id)
    import_ = db.session.get(AttendanceImport, import_id)
    if import_ is None or import_.event_id != event.id or row >= len(import_.unmatched):
        abort(404)
    form = AssignForm()
    form.attendee_id.choices = [(a.id, a.name) for a in _absent_attendees(event)]
    if not form.validate_on_submit():
        flash(_("Bitte eine Person wählen, die noch nicht als anwesend gilt."), "error")
        return redirect(url_for("backoffice.attendance_reports", event_id=event.id))
    attendee = db.session.get_one(Attendee, form.attendee_id.data)
    assign_unmatched(db.session, import_, row, attendee, by=current_user)
    db.session.commit()
    flash(_("%(name)s ist zugeordnet.", name=attendee.name))
    return redirect(url_for("backoffice.attendance_reports", event_id=event.id))
