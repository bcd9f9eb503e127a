"""The organiser's page to move, relocate, relink or cancel one event.

Attendees are told by the services (an updated invitation or a cancellation in the
outbox); this page only parses the form, calls one service and commits.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import BooleanField, DateTimeLocalField, SelectField, URLField
from wtforms.validators import URL, DataRequired, Length, Optional, ValidationError

from roadshow.errors import DomainError
from roadshow.events.models import Event, EventStatus, Venue
from roadshow.events.services import cancel_event, change_event
from roadshow.extensions import db

bp = Blueprint("events_manage", __name__, url_prefix="/organiser/events")

ONLINE = 0


class ChangeEventForm(FlaskForm):
    starts_at = DateTimeLocalField(
        _l("Beginn"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()]
    )
    ends_at = DateTimeLocalField(_l("Ende"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    venue_id = SelectField(_l("Ort"), coerce=int)
    join_url = URLField(
        _l("Zugangslink (nur für Teilnehmende)"),
        validators=[Optional(), URL(require_tld=False), Length(max=500)],
    )

    def validate_ends_at(self, field: DateTimeLocalField) -> None:
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_("Das Ende muss nach dem Beginn liegen."))


class CancelEventForm(FlaskForm):
    confirm = BooleanField(
        _l("Ja, absagen und alle Angemeldeten benachrichtigen"),
        validators=[DataRequired(_l("Bitte bestätigen Sie die Absage."))],
    )


@bp.before_request
@login_required
def organisers_only() -> None:
    if not current_user.is_organiser:
        abort(403)


def _venue_choices() -> list[tuple[int, str]]:
    venues = db.session.scalars(select(Venue).order_by(Venue.town, Venue.name)).all()
    return [(ONLINE, _("online")), *((v.id, f"{v.name}, {v.town}") for v in venues)]


def _local(value: datetime, event: Event) -> datetime:
    return value.astimezone(event.zone).replace(tzinfo=None)


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
def edit(event_id: int) -> str | Response:
    event = db.get_or_404(Event, event_id)
    form = ChangeEventForm()
    form.venue_id.choices = _venue_choices()
    if not form.is_submitted():
        form.starts_at.data = _local(event.starts_at, event)
        form.ends_at.data = _local(event.ends_at, event)
        form.venue_id.data = event.venue_id or ONLINE
        form.join_url.data = event.join_url or ""
    if event.status is not EventStatus.CANCELLED and form.validate_on_submit():
        assert form.starts_at.data is not None and form.ends_at.data is not None
        venue = None
        if form.venue_id.data != (event.venue_id or ONLINE):
            venue = db.session.get(Venue, form.venue_id.data)
            if venue is None:
                form.venue_id.errors = [_("Ein Wechsel zu online ist hier nicht möglich.")]
        if not form.venue_id.errors:
            try:
                changes = change_event(
                    db.session,
                    event,
                    starts_at=form.starts_at.data.replace(tzinfo=event.zone),
                    ends_at=form.ends_at.data.replace(tzinfo=event.zone),
                    venue=venue,
                    join_url=form.join_url.data or "",
                    actor=current_user,
                )
            except DomainError as error:
                field = getattr(form, error.field or "", None) or form.starts_at
                field.errors = [*field.errors, error.message]
            else:
                db.session.commit()
                if changes:
                    flash(_("Gespeichert. Alle Angemeldeten erhalten die Änderung per E-Mail."))
                else:
                    flash(_("Nichts geändert."))
                return redirect(url_for("events_manage.edit", event_id=event.id))
    return render_template(
        "events/manage/edit.html", event=event, form=form, cancel_form=CancelEventForm()
    )


@bp.post("/<int:event_id>/cancel")
def cancel(event_id: int) -> Response | tuple[str, int]:
    event = db.get_or_404(Event, event_id)
    cancel_form = CancelEventForm()
    if cancel_form.validate_on_submit():
        try:
            cancel_event(db.session, event, actor=current_user)
        except DomainError as error:
            cancel_form.confirm.errors = [error.message]
        else:
            db.session.commit()
            flash(_("Die Veranstaltung ist abgesagt. Alle Angemeldeten werden benachrichtigt."))
            return redirect(url_for("events_manage.edit", event_id=event.id))
    form = ChangeEventForm()
    form.venue_id.choices = _venue_choices()
    form.starts_at.data = _local(event.starts_at, event)
    form.ends_at.data = _local(event.ends_at, event)
    form.venue_id.data = event.venue_id or ONLINE
    form.join_url.data = event.join_url or ""
    return render_template(
        "events/manage/edit.html", event=event, form=form, cancel_form=cancel_form
    ), 400
