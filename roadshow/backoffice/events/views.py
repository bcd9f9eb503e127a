"""Organisers' pages for events: change or cancel one event.

Attendees are told by the services (an updated invitation or a cancellation in the
outbox); these pages only parse the form, call one service and commit.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from roadshow.backoffice.blueprint import bp
from roadshow.backoffice.events.forms import ONLINE, CancelEventForm, ChangeEventForm
from roadshow.errors import DomainError
from roadshow.events.models import Event, EventStatus, Venue
from roadshow.events.services import cancel_event, change_event
from roadshow.extensions import db


@bp.get("/events/")
def events() -> str:
    return render_template("backoffice/layout.html")


def _change_form(event: Event, *, from_request: bool) -> ChangeEventForm:
    form = ChangeEventForm() if from_request else ChangeEventForm(formdata=None)
    form.offer_venues(list(db.session.scalars(select(Venue).order_by(Venue.town, Venue.name))))
    if not form.is_submitted() or not from_request:
        form.show(event)
    return form


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def edit_event(event_id: int) -> str | Response:
    event = db.get_or_404(Event, event_id)
    form = _change_form(event, from_request=True)
    if event.status is not EventStatus.CANCELLED and form.validate_on_submit():
        assert form.starts_at.data is not None and form.ends_at.data is not None
        venue = None
        if form.venue_id.data != ONLINE:
            venue = db.session.get(Venue, form.venue_id.data)
            if venue is None:
                abort(400)  # not a choice the form offered
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
            db.session.rollback()
            field = getattr(form, error.field or "", None) or form.starts_at
            field.errors = [*field.errors, error.message]
        else:
            db.session.commit()
            if changes:
                flash(_("Gespeichert. Alle Angemeldeten erhalten die Änderung per E-Mail."))
            else:
                flash(_("Nichts geändert."))
            return redirect(url_for("backoffice.edit_event", event_id=event.id))
    return render_template(
        "backoffice/edit_event.html", event=event, form=form, cancel_form=CancelEventForm()
    )


@bp.post("/events/<int:event_id>/cancel")
def cancel_event_page(event_id: int) -> Response | tuple[str, int]:
    event = db.get_or_404(Event, event_id)
    cancel_form = CancelEventForm()
    if cancel_form.validate_on_submit():
        try:
            cancel_event(db.session, event, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            cancel_form.confirm.errors = [error.message]
        else:
            db.session.commit()
            flash(_("Die Veranstaltung ist abgesagt. Alle Angemeldeten werden benachrichtigt."))
            return redirect(url_for("backoffice.edit_event", event_id=event.id))
    form = _change_form(event, from_request=False)
    return render_template(
        "backoffice/edit_event.html", event=event, form=form, cancel_form=cancel_form
    ), 400
