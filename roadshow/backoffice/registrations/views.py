"""Organisers' pages for the registrations of an event: search, waiting list, manual
registration, the actions on one registration, and the exports.

The list's search lives in the query string; every action form posts to a URL that carries
it, so that after the action (or its refusal) the organiser sees the same search again.
Check-ins come from attendance: this page, which may use both, hands their query to the
registrations' services.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from roadshow.attendance.queries import checked_in_attendee_ids
from roadshow.backoffice.blueprint import bp
from roadshow.backoffice.registrations.forms import (
    PromoteForm,
    RegistrationSearchForm,
    manual_registration_form,
)
from roadshow.errors import DomainError, NotFound
from roadshow.events.models import Event
from roadshow.extensions import db
from roadshow.registrations import exports, organiser
from roadshow.registrations.forms import CancelRegistrationForm
from roadshow.registrations.models import Registration
from roadshow.registrations.services import RegistrationClosed
from roadshow.web import private


def _search_form(event: Event) -> RegistrationSearchForm:
    form = RegistrationSearchForm(request.args)
    form.offer(list(organiser.referring_partners(db.session, event)))
    return form


def _render_list(
    event: Event, *, errors: dict[int, list[str]] | None = None, status: int = 200
) -> tuple[str, int]:
    """The list page; ``errors`` are messages next to one registration's actions."""
    form = _search_form(event)
    result = organiser.search_registrations(
        db.session, event, form.to_search(), checked_in=checked_in_attendee_ids(event.id)
    )
    waiting = organiser.waiting_list(db.session, event)
    page = render_template(
        "backoffice/registrations/index.html",
        event=event,
        form=form,
        result=result,
        search_args=form.args(page=result.page),
        waiting=waiting,
        waiting_seats=sum(r.seats for r in waiting),
        errors=errors or {},
        cancel_form=CancelRegistrationForm(formdata=None),
        promote_form=PromoteForm(formdata=None),
        action_form=FlaskForm(formdata=None),
    )
    return page, status


def _back(event: Event, registration_id: int | None = None) -> Response:
    """To the list, with the search the action came from."""
    anchor = f"registration-{registration_id}" if registration_id else None
    args: dict[str, Any] = dict(request.args.items())
    return redirect(
        url_for("backoffice.registrations", event_id=event.id, _anchor=anchor, **args), 303
    )


def _event_and_registration(event_id: int, registration_id: int) -> tuple[Event, Registration]:
    event = db.get_or_404(Event, event_id)
    try:
        return event, organiser.registration_of_event(db.session, event.id, registration_id)
    except NotFound:
        abort(404)


def _refused(event: Event, registration_id: int, error: DomainError) -> tuple[str, int]:
    db.session.rollback()
    if isinstance(error, NotFound):
        abort(404)
    return _render_list(event, errors={registration_id: [error.message]}, status=409)


@bp.get("/events/<int:event_id>/registrations")
def registrations(event_id: int) -> tuple[str, int]:
    return _render_list(db.get_or_404(Event, event_id))


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/cancel")
def cancel_registration(event_id: int, registration_id: int) -> Response | tuple[str, int]:
    event, registration = _event_and_registration(event_id, registration_id)
    form = CancelRegistrationForm()
    if not form.validate_on_submit():
        return _render_list(event, errors={registration_id: form.confirm.errors}, status=422)
    try:
        organiser.cancel_registration(db.session, registration, actor=current_user)
    except DomainError as error:
        return _refused(event, registration_id, error)
    db.session.commit()
    flash(_("Die Anmeldung von %(company)s ist storniert.", company=registration.company_name))
    return _back(event, registration_id)


@bp.post(
    "/events/<int:event_id>/registrations/<int:registration_id>/attendees/<int:attendee_id>/cancel"
)
def cancel_attendee(
    event_id: int, registration_id: int, attendee_id: int
) -> Response | tuple[str, int]:
    event, registration = _event_and_registration(event_id, registration_id)
    try:
        organiser.cancel_attendee(db.session, registration, attendee_id, actor=current_user)
    except DomainError as error:
        return _refused(event, registration_id, error)
    db.session.commit()
    flash(_("Die Person ist abgemeldet; ihr Platz ist wieder frei."))
    return _back(event, registration_id)


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/promote")
def promote_registration(event_id: int, registration_id: int) -> Response | tuple[str, int]:
    event, registration = _event_and_registration(event_id, registration_id)
    form = PromoteForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        organiser.promote(
            db.session,
            registration,
            actor=current_user,
            override_capacity=bool(form.override_capacity.data),
        )
    except DomainError as error:
        return _refused(event, registration_id, error)
    db.session.commit()
    flash(
        _(
            "%(company)s ist nachgerückt und erhält die Bestätigung per E-Mail.",
            company=registration.company_name,
        )
    )
    return _back(event, registration_id)


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/resend")
def resend_confirmation(event_id: int, registration_id: int) -> Response | tuple[str, int]:
    event, registration = _event_and_registration(event_id, registration_id)
    try:
        organiser.resend_confirmation(db.session, registration, actor=current_user)
    except DomainError as error:
        return _refused(event, registration_id, error)
    db.session.commit()
    flash(
        _(
            "Die Bestätigung ist neu verschickt, mit einem neuen persönlichen Link; "
            "der bisherige Link funktioniert nicht mehr."
        )
    )
    return _back(event, registration_id)


def _attach(form: Any, error: DomainError, rows: list[int]) -> bool:
    """Put a service's message next to its field; False if it belongs to no field.
    ``rows`` maps the service's attendee index to the form row (blank rows are skipped)."""
    name = error.field or ""
    target = None
    if name.startswith("attendees-"):
        _prefix, index, part = name.split("-", 2)
        row = rows[int(index)] if int(index) < len(rows) else 0
        target = getattr(form.attendees[row].form, part, None)
    elif name == "attendees":
        target = form.attendees[0].form.name
    elif name:
        target = getattr(form, name, None)
    if target is None:
        return False
    target.errors = [*target.errors, error.message]
    return True


@bp.route("/events/<int:event_id>/registrations/new", methods=["GET", "POST"])
def new_registration(event_id: int) -> Response | tuple[str, int]:
    event = db.get_or_404(Event, event_id)
    form = manual_registration_form()
    page_error = None
    if form.validate_on_submit():
        rows = form.filled_rows()
        try:
            outcome = organiser.register_manually(
                db.session,
                event.id,
                form.to_input(),
                actor=current_user,
                override_capacity=bool(form.override_capacity.data),
            )
        except DomainError as error:
            db.session.rollback()
            if isinstance(error, RegistrationClosed) or not _attach(form, error, rows):
                page_error = error.message
        else:
            db.session.commit()
            registration = outcome.registration
            flash(
                _(
                    "%(company)s ist angemeldet (%(status)s); die Bestätigung geht per E-Mail "
                    "an %(email)s.",
                    company=registration.company_name,
                    status=registration.status.label,
                    email=registration.contact_email,
                )
            )
            return _back(event, registration.id)
    status = 422 if request.method == "POST" else 200
    page = render_template(
        "backoffice/registrations/new.html", event=event, form=form, page_error=page_error
    )
    return page, status


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = make_response(data)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return private(response)


@bp.get("/events/<int:event_id>/registrations.csv")
def registrations_csv(event_id: int) -> Response:
    event = db.get_or_404(Event, event_id)
    rows = exports.export_rows(db.session, event, checked_in=checked_in_attendee_ids(event.id))
    return _download(
        exports.to_csv(rows), "text/csv; charset=utf-8", exports.export_filename(event, "csv")
    )


@bp.get("/events/<int:event_id>/registrations.xlsx")
def registrations_xlsx(event_id: int) -> Response:
    event = db.get_or_404(Event, event_id)
    rows = exports.export_rows(db.session, event, checked_in=checked_in_attendee_ids(event.id))
    return _download(
        exports.to_xlsx(rows, title=event.title),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        exports.export_filename(event, "xlsx"),
    )
