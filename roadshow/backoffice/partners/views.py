"""Organisers' pages for partners: the list, a new partner, changing one (logo included).

Roles at events are given on the event's page; a partner's page lists them.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from roadshow.backoffice.blueprint import bp
from roadshow.backoffice.partners.forms import PartnerForm
from roadshow.errors import DomainError
from roadshow.events.models import Event, EventPartner
from roadshow.extensions import db
from roadshow.partners.logos import discard_logo, logo_folder, read_upload
from roadshow.partners.models import Partner
from roadshow.partners.services import (
    LogoInput,
    SavedPartner,
    create_partner,
    update_partner,
)


@bp.get("/partners/")
def partners() -> str:
    """Every partner with the number of events it takes part in (two queries)."""
    event_counts = (
        select(
            EventPartner.partner_id,
            func.count(func.distinct(EventPartner.event_id)).label("events"),
        )
        .group_by(EventPartner.partner_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Partner, func.coalesce(event_counts.c.events, 0))
        .outerjoin(event_counts, event_counts.c.partner_id == Partner.id)
        .order_by(func.lower(Partner.name), Partner.id)
    ).all()
    return render_template("backoffice/partners/list.html", rows=rows)


@bp.route("/partners/new", methods=["GET", "POST"])
def new_partner() -> str | Response:
    form = PartnerForm()
    if form.validate_on_submit():
        saved = _save(form, None)
        if saved is not None:
            flash(_("Partner „%(name)s“ angelegt.", name=saved.partner.name))
            return redirect(url_for("backoffice.edit_partner", partner_id=saved.partner.id))
    return render_template("backoffice/partners/form.html", form=form, partner=None, roles=[])


@bp.route("/partners/<int:partner_id>/edit", methods=["GET", "POST"])
def edit_partner(partner_id: int) -> str | Response:
    partner = db.get_or_404(Partner, partner_id)
    form = PartnerForm(obj=partner)
    if form.validate_on_submit():
        saved = _save(form, partner)
        if saved is not None:
            flash(_("Gespeichert.") if saved.changes else _("Nichts geändert."))
            return redirect(url_for("backoffice.edit_partner", partner_id=partner.id))
    roles = db.session.scalars(
        select(EventPartner)
        .join(Event, Event.id == EventPartner.event_id)
        .where(EventPartner.partner_id == partner.id)
        .options(joinedload(EventPartner.event))
        .order_by(Event.starts_at.desc(), Event.id, EventPartner.role)
    ).all()
    return render_template("backoffice/partners/form.html", form=form, partner=partner, roles=roles)


def _save(form: PartnerForm, partner: Partner | None) -> SavedPartner | None:
    """Call the service and commit; on a refusal, the message goes next to its field and
    nothing is kept (None)."""
    folder = logo_folder(current_app.instance_path)
    upload = form.logo.data
    try:
        data = None
        if isinstance(upload, FileStorage) and upload.filename:
            data = read_upload(upload.stream)
        logo = LogoInput(folder=folder, data=data, remove=bool(form.remove_logo.data))
        if partner is None:
            saved = create_partner(db.session, form.partner_input(), actor=current_user, logo=logo)
        else:
            saved = update_partner(
                db.session, partner, form.partner_input(), actor=current_user, logo=logo
            )
    except DomainError as error:
        db.session.rollback()
        field = getattr(form, error.field or "", None) or form.name
        field.errors = [*field.errors, error.message]
        return None
    db.session.commit()
    discard_logo(folder, saved.obsolete_logo)
    return saved
