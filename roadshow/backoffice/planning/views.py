"""Organisers' pages for tours and venues: lists, new ones, changes."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from roadshow.backoffice.blueprint import bp
from roadshow.backoffice.planning.forms import TourForm, VenueForm
from roadshow.errors import DomainError
from roadshow.events.models import Tour, Venue
from roadshow.events.overview import tour_overview, tour_stops, venue_overview
from roadshow.events.planning import create_tour, create_venue, update_tour, update_venue
from roadshow.extensions import db


def _show_error(form: TourForm | VenueForm, error: DomainError) -> None:
    db.session.rollback()
    field = getattr(form, error.field or "", None) or next(iter(form))
    field.errors = [*field.errors, error.message]


# --- tours -------------------------------------------------------------------------------


@bp.get("/tours/")
def tours() -> str:
    return render_template("backoffice/planning/tours.html", rows=tour_overview(db.session))


@bp.route("/tours/new", methods=["GET", "POST"])
def new_tour() -> str | Response:
    form = TourForm()
    if form.validate_on_submit():
        try:
            tour = create_tour(
                db.session,
                title=form.title.data or "",
                slug=form.slug.data or "",
                description=form.description.data or "",
                actor=current_user,
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("Die Tour ist angelegt."))
            return redirect(url_for("backoffice.edit_tour", tour_id=tour.id))
    return render_template("backoffice/planning/tour.html", form=form, tour=None, stops=[])


@bp.route("/tours/<int:tour_id>/edit", methods=["GET", "POST"])
def edit_tour(tour_id: int) -> str | Response:
    tour = db.get_or_404(Tour, tour_id)
    form = TourForm()
    if not form.is_submitted():
        form.show(tour)
    if form.validate_on_submit():
        try:
            changes = update_tour(
                db.session,
                tour,
                title=form.title.data or "",
                slug=form.slug.data or "",
                description=form.description.data or "",
                actor=current_user,
            )
        except DomainError as error:
            _show_error(form, error)
            tour = db.get_or_404(Tour, tour_id)
        else:
            db.session.commit()
            flash(_("Gespeichert.") if changes else _("Nichts geändert."))
            return redirect(url_for("backoffice.edit_tour", tour_id=tour.id))
    return render_template(
        "backoffice/planning/tour.html", form=form, tour=tour, stops=tour_stops(db.session, tour)
    )


# --- venues ------------------------------------------------------------------------------


@bp.get("/venues/")
def venues() -> str:
    return render_template("backoffice/planning/venues.html", rows=venue_overview(db.session))


@bp.route("/venues/new", methods=["GET", "POST"])
def new_venue() -> str | Response:
    form = VenueForm()
    if form.validate_on_submit():
        try:
            create_venue(db.session, form.to_input(), actor=current_user)
        except DomainError as error:
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("Der Ort ist angelegt."))
            return redirect(url_for("backoffice.venues"))
    return render_template("backoffice/planning/venue.html", form=form, venue=None)


@bp.route("/venues/<int:venue_id>/edit", methods=["GET", "POST"])
def edit_venue(venue_id: int) -> str | Response:
    venue = db.get_or_404(Venue, venue_id)
    form = VenueForm()
    if not form.is_submitted():
        form.show(venue)
    if form.validate_on_submit():
        try:
            changes = update_venue(db.session, venue, form.to_input(), actor=current_user)
        except DomainError as error:
            _show_error(form, error)
            venue = db.get_or_404(Venue, venue_id)
        else:
            db.session.commit()
            flash(_("Gespeichert.") if changes else _("Nichts geändert."))
            return redirect(url_for("backoffice.edit_venue", venue_id=venue.id))
    return render_template("backoffice/planning/venue.html", form=form, venue=venue)
