"""Organisers' pages for series of webinars and workshops, and for cloning a tour.

Each form has two buttons: "Vorschau" shows what would be created or moved, without
saving anything; the other saves through one service and commits.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from roadshow.backoffice.blueprint import bp
from roadshow.backoffice.series.forms import NONE, CloneTourForm, MoveSeriesForm, SeriesForm
from roadshow.database import utcnow
from roadshow.errors import DomainError
from roadshow.events.cloning import clone_tour as clone_tour_service
from roadshow.events.cloning import plan_tour_clone, proposed_title
from roadshow.events.models import Event, EventStatus, Series, Tour, Venue
from roadshow.events.series import (
    change_series,
    create_series,
    plan_series_change,
    preview_series,
    series_events,
    series_reach,
)
from roadshow.extensions import db
from roadshow.slugs import propose_slug


def _language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "de"


def _show_error(form: Any, field: Any, error: DomainError) -> None:
    db.session.rollback()
    field = field if field is not None else form.title
    field.errors = [*field.errors, error.message]


# --- the list ----------------------------------------------------------------------------


@bp.get("/series/")
def series_list() -> str:
    now = utcnow()
    dates = select(func.count(Event.id)).where(Event.series_id == Series.id).scalar_subquery()
    next_date = (
        select(func.min(Event.starts_at))
        .where(
            Event.series_id == Series.id,
            Event.starts_at > now,
            Event.status != EventStatus.CANCELLED,
        )
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Series, Tour.title, dates, next_date)
        .outerjoin(Tour, Tour.id == Series.tour_id)
        .order_by(Series.first_starts_at.desc(), Series.id.desc())
    ).all()
    return render_template("backoffice/series/list.html", rows=rows)


# --- a new series ------------------------------------------------------------------------


@bp.route("/series/new", methods=["GET", "POST"])
def new_series() -> str | Response:
    form = SeriesForm()
    tours = list(db.session.scalars(select(Tour).order_by(Tour.title)))
    venues = list(db.session.scalars(select(Venue).order_by(Venue.town, Venue.name)))
    form.offer(tours, venues)
    preview = None
    if form.validate_on_submit():
        tour = next((t for t in tours if t.id == form.tour_id.data), None)
        venue = next((v for v in venues if v.id == form.venue_id.data), None)
        if (tour is None and form.tour_id.data != NONE) or (
            venue is None and form.venue_id.data != NONE
        ):
            abort(400)  # not a choice the form offered
        try:
            plan = form.to_plan(tour, venue)
            if form.save.data:
                series = create_series(db.session, plan, current_user, language=_language())
                db.session.commit()
                count = len(series.events)
                flash(
                    ngettext(
                        "Die Reihe hat %(num)d Termin.", "Die Reihe hat %(num)d Termine.", count
                    )
                )
                return redirect(url_for("backoffice.edit_series", series_id=series.id))
            preview = preview_series(db.session, plan, language=_language())
            if not form.slug.data:
                form.slug.data = preview.slug
        except DomainError as error:
            _show_error(form, form.field_for(error.field), error)
    return render_template("backoffice/series/new.html", form=form, preview=preview)


# --- one series --------------------------------------------------------------------------


@bp.route("/series/<int:series_id>", methods=["GET", "POST"])
def edit_series(series_id: int) -> str | Response:
    series = db.get_or_404(Series, series_id)
    form = MoveSeriesForm()
    if not form.is_submitted():
        local = series.first_starts_at.astimezone(ZoneInfo(series.timezone))
        form.start_time.data = local.time().replace(tzinfo=None)
        form.duration_minutes.data = series.duration_minutes
    moves = None
    if form.validate_on_submit():
        assert form.start_time.data is not None and form.duration_minutes.data is not None
        try:
            if form.save.data:
                moved = change_series(
                    db.session,
                    series,
                    local_time=form.start_time.data,
                    duration_minutes=form.duration_minutes.data,
                    actor=current_user,
                )
                attendees = sum(event.seats_taken for event in moved)
                db.session.commit()
                flash(
                    _(
                        "%(dates)s verschoben; %(people)s erhalten eine aktualisierte Einladung.",
                        dates=ngettext("%(num)d Termin", "%(num)d Termine", len(moved)),
                        people=ngettext("%(num)d Teilnehmende", "%(num)d Teilnehmende", attendees),
                    )
                )
                return redirect(url_for("backoffice.edit_series", series_id=series.id))
            moves = [
                m
                for m in plan_series_change(
                    db.session,
                    series,
                    local_time=form.start_time.data,
                    duration_minutes=form.duration_minutes.data,
                )
                if m.moves
            ]
        except DomainError as error:
            _show_error(form, getattr(form, error.field or "", form.start_time), error)
    return render_template(
        "backoffice/series/edit.html",
        series=series,
        events=series_events(db.session, series),
        reach=series_reach(db.session, series),
        form=form,
        moves=moves,
        now=utcnow(),
    )


# --- cloning a tour ----------------------------------------------------------------------


@bp.route("/tours/<int:tour_id>/clone", methods=["GET", "POST"])
def clone_tour(tour_id: int) -> str | Response:
    tour = db.get_or_404(Tour, tour_id)
    form = CloneTourForm()
    if not form.is_submitted():
        form.title.data = proposed_title(tour)
        form.slug.data = propose_slug(form.title.data, 80)
    plan = None
    if form.validate_on_submit():
        values = {
            "title": form.title.data or "",
            "slug": form.slug.data or "",
            "shift_days": form.shift_days.data,
            "starts_on": form.starts_on.data,
        }
        try:
            if form.save.data:
                new_tour = clone_tour_service(db.session, tour, actor=current_user, **values)
                db.session.commit()
                flash(_("Die Tour ist kopiert; alle Termine sind Entwürfe."))
                return redirect(url_for("backoffice.cloned_tour", tour_id=new_tour.id))
            plan = plan_tour_clone(db.session, tour, **values)
        except DomainError as error:
            _show_error(form, getattr(form, error.field or "", form.title), error)
    return render_template("backoffice/series/clone.html", tour=tour, form=form, plan=plan)


@bp.get("/tours/<int:tour_id>/cloned")
def cloned_tour(tour_id: int) -> str:
    tour = db.get_or_404(Tour, tour_id)
    events = db.session.scalars(
        select(Event)
        .where(Event.tour_id == tour.id)
        .order_by(Event.starts_at, Event.id)
        .options(selectinload(Event.venue))
    ).all()
    return render_template("backoffice/series/cloned.html", tour=tour, events=events)
