"""Organisers' pages for events: the list, a new event, and one event's page with its
details, time and place, partners, publishing and cancelling.

A change that reaches attendees (time, place, join link) is shown first as a preview of
who will be told; only the second submit saves it, and the services send the mail. A
conflict with other events is shown as a warning that blocks saving until the organiser
ticks "Trotzdem speichern".
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response

from roadshow.backoffice.blueprint import bp
from roadshow.backoffice.events.forms import (
    NO_TOUR,
    ONLINE,
    STATUS_LABELS,
    CancelEventForm,
    ChangeEventForm,
    EventDetailsForm,
    EventFilterForm,
    NewEventForm,
    PartnerRolesForm,
    in_zone,
)
from roadshow.errors import DomainError
from roadshow.events.conflicts import Conflict, ConflictsFound
from roadshow.events.models import Event, EventKind, EventStatus, Tour, Venue
from roadshow.events.overview import EventSearch, event_for_planning, organiser_events
from roadshow.events.planning import (
    NewEvent,
    check_change,
    create_event,
    reschedule_event,
    set_partner_roles,
    update_event_details,
)
from roadshow.events.services import cancel_event, publish_event
from roadshow.extensions import db
from roadshow.partners.models import Partner
from roadshow.registrations.impact import impact_of_cancellation, impact_of_change
from roadshow.registrations.services import set_capacity

PER_PAGE = 50


@bp.context_processor
def _status_labels() -> dict[str, Any]:
    return {"event_status_label": STATUS_LABELS.__getitem__}


def _tours() -> list[Tour]:
    return list(db.session.scalars(select(Tour).order_by(Tour.title, Tour.id)))


def _venues() -> list[Venue]:
    return list(db.session.scalars(select(Venue).order_by(Venue.town, Venue.name, Venue.id)))


def _partners() -> list[Partner]:
    return list(db.session.scalars(select(Partner).order_by(Partner.name, Partner.id)))


def _event_or_404(event_id: int) -> Event:
    event = event_for_planning(db.session, event_id)
    if event is None:
        abort(404)
    return event


def _show_error(form: FlaskForm, error: DomainError, fallback: Any) -> None:
    """A service's message next to the field it names (else next to ``fallback``)."""
    db.session.rollback()
    field = getattr(form, error.field or "", None) or fallback
    field.errors = [*field.errors, error.message]


def _chosen(model: type[Tour] | type[Venue], choice: int | None, none: int) -> Any:
    if choice is None or choice == none:
        return None
    found = db.session.get(model, choice)
    if found is None:
        abort(400)  # not a choice the form offered
    return found


# --- the list ----------------------------------------------------------------------------


@bp.get("/events/")
def events() -> str:
    form = EventFilterForm(request.args)
    tours = _tours()
    form.offer(tours)
    form.validate()
    statuses = {s.value: s for s in EventStatus}
    kinds = {k.value: k for k in EventKind}
    tour_ids = {str(t.id): t.id for t in tours}
    search = EventSearch(
        status=statuses.get(form.status.data or ""),
        kind=kinds.get(form.kind.data or ""),
        tour_id=tour_ids.get(form.tour.data or ""),
        text=(form.q.data or "")[:200],
    )
    page = organiser_events(
        db.session, search, page=request.args.get("page", 1, type=int), per_page=PER_PAGE
    )
    arguments = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "backoffice/events/list.html", form=form, result=page, arguments=arguments
    )


# --- a new event -------------------------------------------------------------------------


@bp.route("/events/new", methods=["GET", "POST"])
def new_event() -> str | Response:
    form = NewEventForm()
    form.offer_tours(_tours())
    form.offer_venues(_venues())
    if not form.is_submitted():
        form.tour_id.data = request.args.get("tour", NO_TOUR, type=int)
        form.capacity.data = 50
        form.max_attendees_per_registration.data = 5
    conflicts: list[Conflict] = []
    if form.validate_on_submit():
        zone = (form.timezone.data or "").strip()
        try:
            event = create_event(
                db.session,
                NewEvent(
                    kind=EventKind(form.kind.data),
                    title=form.title.data or "",
                    slug=form.slug.data or "",
                    starts_at=in_zone(form.starts_at.data, zone),  # type: ignore[arg-type]
                    ends_at=in_zone(form.ends_at.data, zone),  # type: ignore[arg-type]
                    timezone=zone,
                    capacity=form.capacity.data or 0,
                    tour=_chosen(Tour, form.tour_id.data, NO_TOUR),
                    venue=_chosen(Venue, form.venue_id.data, ONLINE),
                    description=form.description.data or "",
                    join_url=form.join_url.data or None,
                    max_attendees_per_registration=form.max_attendees_per_registration.data or 1,
                    registration_opens_at=in_zone(form.registration_opens_at.data, zone),
                    registration_closes_at=in_zone(form.registration_closes_at.data, zone),
                    publish=form.publish.data,
                ),
                actor=current_user,
                override_conflicts=form.override_conflicts.data,
            )
        except ConflictsFound as found:
            db.session.rollback()
            conflicts = found.conflicts
        except DomainError as error:
            _show_error(form, error, form.title)
        else:
            db.session.commit()
            if event.status is EventStatus.PUBLISHED:
                flash(_("Die Veranstaltung ist angelegt und veröffentlicht."))
            else:
                flash(_("Die Veranstaltung ist als Entwurf angelegt."))
            return redirect(url_for("backoffice.edit_event", event_id=event.id))
    return render_template("backoffice/events/new.html", form=form, conflicts=conflicts)


# --- one event ---------------------------------------------------------------------------


def _edit_page(
    event: Event,
    *,
    form: ChangeEventForm | None = None,
    details_form: EventDetailsForm | None = None,
    partners_form: PartnerRolesForm | None = None,
    cancel_form: CancelEventForm | None = None,
    conflicts: list[Conflict] | None = None,
    partner_conflicts: list[Conflict] | None = None,
) -> str:
    """The event's page; forms given were posted (with the input and its errors), the
    others show the event as it is."""
    venues, tours, partners = _venues(), _tours(), _partners()
    if form is None:
        form = ChangeEventForm(formdata=None)
        form.show(event)
    form.offer_venues(venues)
    if details_form is None:
        details_form = EventDetailsForm(formdata=None)
        details_form.show(event)
    details_form.offer_tours(tours)
    if partners_form is None:
        partners_form = PartnerRolesForm(formdata=None)
        partners_form.show(event)
    partners_form.offer_partners(partners)
    return render_template(
        "backoffice/events/edit.html",
        event=event,
        form=form,
        details_form=details_form,
        partners_form=partners_form,
        cancel_form=cancel_form or CancelEventForm(formdata=None),
        publish_form=FlaskForm(),
        can_publish=event.status is EventStatus.DRAFT,
        conflicts=conflicts or [],
        partner_conflicts=partner_conflicts or [],
        cancel_impact=impact_of_cancellation(db.session, event),
    )


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def edit_event(event_id: int) -> str | Response:
    """Time, place and join link: a preview of who will be told, then the change."""
    event = _event_or_404(event_id)
    if request.method == "GET":
        return _edit_page(event)
    form = ChangeEventForm()
    form.offer_venues(_venues())
    conflicts: list[Conflict] = []
    if not event.is_cancelled and form.validate_on_submit() and not form.back.data:
        assert form.starts_at.data is not None and form.ends_at.data is not None
        values: dict[str, Any] = {
            "starts_at": form.starts_at.data.replace(tzinfo=event.zone),
            "ends_at": form.ends_at.data.replace(tzinfo=event.zone),
            "venue": _chosen(Venue, form.venue_id.data, ONLINE),
            "join_url": form.join_url.data or "",
        }
        override = form.override_conflicts.data
        try:
            if form.confirm.data:
                changes = reschedule_event(
                    db.session, event, **values, actor=current_user, override_conflicts=override
                )
                db.session.commit()
                if changes:
                    flash(_("Gespeichert. Alle Angemeldeten erhalten die Änderung per E-Mail."))
                else:
                    flash(_("Nichts geändert."))
                return redirect(url_for("backoffice.edit_event", event_id=event.id))
            changes, overridden = check_change(
                db.session, event, **values, override_conflicts=override
            )
            if not changes:
                flash(_("Nichts geändert."))
                return redirect(url_for("backoffice.edit_event", event_id=event.id))
            return render_template(
                "backoffice/events/confirm_change.html",
                event=event,
                form=form,
                changes=changes,
                overridden=overridden,
                impact=impact_of_change(db.session, event, **values),
            )
        except ConflictsFound as found:
            db.session.rollback()
            conflicts = found.conflicts
        except DomainError as error:
            _show_error(form, error, form.starts_at)
    return _edit_page(event, form=form, conflicts=conflicts)


@bp.post("/events/<int:event_id>/details")
def edit_event_details(event_id: int) -> str | Response:
    event = _event_or_404(event_id)
    form = EventDetailsForm()
    form.offer_tours(_tours())
    if not event.is_cancelled and form.validate_on_submit():
        zone = event.timezone
        try:
            before = event.capacity
            if form.capacity.data is not None and form.capacity.data != before:
                set_capacity(db.session, event, form.capacity.data)
            changes = update_event_details(
                db.session,
                event,
                title=form.title.data or "",
                slug=form.slug.data or "",
                description=form.description.data or "",
                tour=_chosen(Tour, form.tour_id.data, NO_TOUR),
                max_attendees_per_registration=form.max_attendees_per_registration.data or 1,
                registration_opens_at=in_zone(form.registration_opens_at.data, zone),
                registration_closes_at=in_zone(form.registration_closes_at.data, zone),
                partners_may_check_in=form.partners_may_check_in.data,
                min_attended_minutes=form.min_attended_minutes.data,
                previous_capacity=before,
                actor=current_user,
            )
        except DomainError as error:
            _show_error(form, error, form.title)
        else:
            db.session.commit()
            flash(_("Gespeichert.") if changes else _("Nichts geändert."))
            return redirect(url_for("backoffice.edit_event", event_id=event.id))
    return _edit_page(_event_or_404(event_id), details_form=form)


@bp.post("/events/<int:event_id>/partners")
def edit_event_partners(event_id: int) -> str | Response:
    event = _event_or_404(event_id)
    partners = _partners()
    form = PartnerRolesForm()
    form.offer_partners(partners)
    conflicts: list[Conflict] = []
    if not event.is_cancelled and form.validate_on_submit():
        try:
            changes = set_partner_roles(
                db.session,
                event,
                form.chosen(partners),
                actor=current_user,
                override_conflicts=form.override_conflicts.data,
            )
        except ConflictsFound as found:
            db.session.rollback()
            conflicts = found.conflicts
        except DomainError as error:
            _show_error(form, error, form.role_host)
        else:
            db.session.commit()
            flash(_("Gespeichert.") if changes else _("Nichts geändert."))
            return redirect(url_for("backoffice.edit_event", event_id=event.id))
    return _edit_page(_event_or_404(event_id), partners_form=form, partner_conflicts=conflicts)


@bp.post("/events/<int:event_id>/publish", endpoint="publish_event")
def publish_event_page(event_id: int) -> Response:
    event = _event_or_404(event_id)
    if FlaskForm().validate_on_submit():
        try:
            publish_event(db.session, event, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Veröffentlicht: die Veranstaltung steht jetzt auf den öffentlichen Seiten."))
    return redirect(url_for("backoffice.edit_event", event_id=event.id))


@bp.post("/events/<int:event_id>/cancel")
def cancel_event_page(event_id: int) -> Response | tuple[str, int]:
    event = _event_or_404(event_id)
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
    return _edit_page(_event_or_404(event_id), cancel_form=cancel_form), 400
