"""Registration form, thank-you page, self-service page and its changes."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from roadshow.calendar.feeds import build_feed
from roadshow.calendar.responses import calendar_response, feed_name
from roadshow.database import utcnow
from roadshow.errors import DomainError, NotFound
from roadshow.events.services import ListedEvent, public_event, registration_closed_reason
from roadshow.extensions import db
from roadshow.registrations import selfservice, tickets
from roadshow.registrations.feeds import registration_entries
from roadshow.registrations.forms import (
    COMPANY_SIZES,
    INDUSTRIES,
    SUBMISSION_KEY,
    AttendeeChangeForm,
    CancelRegistrationForm,
    RegistrationForm,
    label_of,
    registration_form,
)
from roadshow.registrations.models import Registration
from roadshow.registrations.notifications import manage_url
from roadshow.registrations.services import RegistrationClosed
from roadshow.registrations.services import register as register_company
from roadshow.registrations.tokens import find_registration
from roadshow.resilience import replayable
from roadshow.settings import settings
from roadshow.web import private, registration_limit

bp = Blueprint("registrations", __name__)


@bp.errorhandler(TooManyRequests)
def too_many_requests(error: TooManyRequests) -> tuple[str, int]:
    return render_template("registrations/rate_limited.html"), 429


@bp.app_template_global()
def company_size_label(value: str) -> str:
    return label_of(COMPANY_SIZES, value)


@bp.app_template_global()
def industry_label(value: str) -> str:
    return label_of(INDUSTRIES, value)


def attach_error(form: FlaskForm, error: DomainError, rows: list[int] | None = None) -> bool:
    """Put a service's message next to its field; False if it belongs to no field.

    ``rows`` maps the service's attendee index to the form row (blank rows are skipped).
    """
    field_name = error.field or ""
    target = None
    if field_name.startswith("attendees-") and isinstance(form, RegistrationForm):
        _prefix, index, part = field_name.split("-", 2)
        row = rows[int(index)] if rows and int(index) < len(rows) else int(index)
        target = getattr(form.attendees[row].form, part, None)
    elif field_name == "attendees" and isinstance(form, RegistrationForm):
        target = form.attendees[0].form.name
    elif field_name:
        target = getattr(form, field_name, None)
    if target is None:
        return False
    target.errors = [*target.errors, error.message]
    return True


def _event_or_404(slug: str) -> ListedEvent:
    item = public_event(db.session, slug=slug)
    if item is None:
        abort(404)
    return item


def _carries_submission_key() -> bool:
    """The form's submission key makes a second run of the POST find the registration the
    first one stored (even when its commit went through and only the answer was lost)."""
    return SUBMISSION_KEY.fullmatch(request.form.get("submission_key", "")) is not None


@bp.route("/events/<slug>/register", methods=["GET", "POST"])
@replayable(_carries_submission_key)
@registration_limit
def register(slug: str) -> str | Response | tuple[str, int]:
    item = _event_or_404(slug)
    event = item.event
    closed_reason = registration_closed_reason(event)
    form = registration_form(event.max_attendees_per_registration, language=str(get_locale()))
    page_error = None
    # "Add person" and "remove person" without JavaScript: the form comes back with its rows
    # changed and what was typed, nothing checked, nothing stored.
    focus_row = form.edit_rows(request.form) if request.method == "POST" else None
    if focus_row is None and form.validate_on_submit():
        rows = form.filled_rows()
        try:
            outcome = register_company(
                db.session, event.id, form.to_input(request.args.get("ref") or None)
            )
            db.session.commit()
        except RegistrationClosed as error:
            db.session.rollback()
            closed_reason = error.message
        except DomainError as error:
            db.session.rollback()
            if not attach_error(form, error, rows):
                page_error = error.message
        else:
            if outcome.repeated:
                return render_template(
                    "registrations/repeated.html", registration=outcome.registration, event=event
                )
            return redirect(url_for("registrations.thanks", token=outcome.token), 303)
    status = 200
    if request.method == "POST" and closed_reason:
        status = 409
    elif request.method == "POST" and focus_row is None:
        status = 422
    return (
        render_template(
            "registrations/form.html",
            event=event,
            seats_left=item.seats_left,
            form=form,
            closed_reason=closed_reason,
            page_error=page_error,
            invalid=status == 422,
            focus_row=focus_row,
        ),
        status,
    )


def _registration_or_404(token: str) -> Registration:
    registration = find_registration(db.session, token)
    if registration is None:
        abort(404)
    return registration


@bp.get("/registrations/<token>/thanks")
def thanks(token: str) -> Response:
    registration = _registration_or_404(token)
    page = render_template(
        "registrations/thanks.html",
        registration=registration,
        event=registration.event,
        token=token,
        manage_link=manage_url(token),
    )
    return private(make_response(page))


def _render_manage(
    registration: Registration,
    token: str,
    *,
    add_form: AttendeeChangeForm | None = None,
    replace_forms: dict[int, AttendeeChangeForm] | None = None,
    cancel_form: CancelRegistrationForm | None = None,
    page_error: str | None = None,
    status: int = 200,
) -> Response:
    event = registration.event
    replace_forms = replace_forms or {}
    for attendee in registration.active_attendees:
        if attendee.id not in replace_forms:
            replace_forms[attendee.id] = AttendeeChangeForm(
                prefix=f"replace-{attendee.id}", formdata=None
            )
    # Tickets to show at the door: for confirmed seats at events with a place.
    shown = (
        tickets.tickets(event, registration.active_attendees) if registration.is_confirmed else []
    )
    page = render_template(
        "registrations/manage.html",
        registration=registration,
        event=event,
        token=token,
        tickets={t.attendee_id: (t, tickets.qr_svg_data_uri(t.code)) for t in shown},
        add_form=add_form or AttendeeChangeForm(prefix="add", formdata=None),
        replace_forms=replace_forms,
        cancel_form=cancel_form or CancelRegistrationForm(formdata=None),
        changes=selfservice.allowed_changes(registration),
        join_url=registration.join_url,
        page_error=page_error,
    )
    return private(make_response(page, status))


@bp.get("/registrations/<token>")
def manage(token: str) -> Response:
    return _render_manage(_registration_or_404(token), token)


def _done(token: str, message: str) -> Response:
    db.session.commit()
    flash(message, "success")
    return private(redirect(url_for("registrations.manage", token=token), 303))


def _refused(
    token: str,
    error: DomainError,
    *,
    form: AttendeeChangeForm | None = None,
    attendee_id: int | None = None,
) -> Response:
    """Nothing of the change stays; the page shows why, next to the field where it can."""
    db.session.rollback()
    if isinstance(error, NotFound):
        abort(404)
    page_error = None if form is not None and attach_error(form, error) else error.message
    registration = _registration_or_404(token)
    if form is not None and attendee_id is not None:
        return _render_manage(
            registration,
            token,
            replace_forms={attendee_id: form},
            page_error=page_error,
            status=409,
        )
    return _render_manage(registration, token, add_form=form, page_error=page_error, status=409)


@bp.post("/registrations/<token>/attendees")
@registration_limit
def add_attendee(token: str) -> Response:
    registration = _registration_or_404(token)
    form = AttendeeChangeForm(prefix="add")
    if not form.validate_on_submit():
        return _render_manage(registration, token, add_form=form, status=422)
    try:
        attendee = selfservice.add_attendee(db.session, registration, form.to_input())
    except DomainError as error:
        return _refused(token, error, form=form)
    return _done(token, _("%(name)s ist jetzt angemeldet.", name=attendee.name))


@bp.post("/registrations/<token>/attendees/<int:attendee_id>/replace")
@registration_limit
def replace_attendee(token: str, attendee_id: int) -> Response:
    registration = _registration_or_404(token)
    form = AttendeeChangeForm(prefix=f"replace-{attendee_id}")
    if not form.validate_on_submit():
        return _render_manage(registration, token, replace_forms={attendee_id: form}, status=422)
    try:
        attendee = selfservice.replace_attendee(
            db.session, registration, attendee_id, form.to_input()
        )
    except DomainError as error:
        return _refused(token, error, form=form, attendee_id=attendee_id)
    return _done(token, _("Der Platz gehört jetzt %(name)s.", name=attendee.name))


@bp.post("/registrations/<token>/attendees/<int:attendee_id>/remove")
@registration_limit
def remove_attendee(token: str, attendee_id: int) -> Response:
    registration = _registration_or_404(token)
    try:
        selfservice.remove_attendee(db.session, registration, attendee_id)
    except DomainError as error:
        return _refused(token, error)
    return _done(token, _("Die Person ist abgemeldet; ihr Platz ist wieder frei."))


@bp.post("/registrations/<token>/cancel")
@registration_limit
def cancel(token: str) -> Response:
    registration = _registration_or_404(token)
    form = CancelRegistrationForm()
    if not form.validate_on_submit():
        return _render_manage(registration, token, cancel_form=form, status=422)
    try:
        selfservice.cancel_registration(db.session, registration)
    except DomainError as error:
        return _refused(token, error)
    return _done(token, _("Ihre Anmeldung ist storniert. Alle Plätze sind wieder frei."))


@bp.get("/r/<token>/calendar.ics")
def calendar_feed(token: str) -> Response:
    """The event of one registration, with the join link for confirmed attendees."""
    registration = find_registration(db.session, token)
    if registration is None:
        abort(404)
    event = registration.event
    language = registration.language
    now = utcnow()
    feed = build_feed(
        registration_entries(registration, now=now),
        name=feed_name(event.title, language),
        language=language,
        now=now,
    )
    return calendar_response(feed, private=True, filename=f"{event.slug}.ics")


@bp.get("/privacy")
def privacy() -> str:
    return render_template(
        "registrations/privacy.html",
        retention_days=settings().retention_days,
        organizer_email=settings().organizer_email,
    )
