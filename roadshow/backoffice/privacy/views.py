"""Requests about one person's data (DSGVO Art. 15 and 17): search, download, erase.

Every page here answers POSTs (the address is personal data and stays out of URLs) and
is marked private: never cached, never sent on as a Referer.
"""

from __future__ import annotations

import json

from flask import current_app, make_response, render_template
from flask_login import current_user
from werkzeug.wrappers import Response

from roadshow.backoffice.blueprint import bp
from roadshow.backoffice.privacy.forms import PersonForm
from roadshow.database import utcnow
from roadshow.errors import DomainError
from roadshow.extensions import db
from roadshow.mail.transport import eml_folder
from roadshow.privacy.records import export_person, find_person
from roadshow.privacy.services import erase_person
from roadshow.privacy.traces import remove_traces
from roadshow.web import private


def _page(template: str, status: int = 200, **context: object) -> Response:
    return private(make_response(render_template(template, **context), status))


@bp.route("/privacy", methods=["GET", "POST"])
def privacy() -> Response:
    """The search; after it, what exists about the address, counted per kind."""
    form = PersonForm()
    found = None
    if form.validate_on_submit():
        found = find_person(db.session, form.email.data or "")
    status = 422 if form.errors else 200
    return _page("backoffice/privacy/search.html", status, form=form, found=found)


@bp.post("/privacy/export")
def privacy_export() -> Response:
    """Everything about the address as a JSON file, as ``flask privacy export`` prints it."""
    form = PersonForm()
    if not form.validate_on_submit():
        return _page("backoffice/privacy/search.html", 422, form=form, found=None)
    document = export_person(find_person(db.session, form.email.data or ""))
    response = make_response(json.dumps(document, ensure_ascii=False, indent=2))
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    filename = f"personal-data-{utcnow():%Y%m%d-%H%M%S}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return private(response)


@bp.post("/privacy/erase")
def privacy_erase() -> Response:
    """First what will be erased and a confirmation; with ``confirm=1`` the erasure."""
    form = PersonForm()
    if not form.validate_on_submit():
        return _page("backoffice/privacy/search.html", 422, form=form, found=None)
    email = form.email.data or ""
    if not form.confirmed:
        found = find_person(db.session, email)
        return _page("backoffice/privacy/confirm.html", form=form, found=found)
    try:
        erasure = erase_person(db.session, email, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        form.email.errors = [*form.email.errors, error.message]
        found = find_person(db.session, email)
        return _page("backoffice/privacy/confirm.html", 422, form=form, found=found)
    db.session.commit()
    files = remove_traces(db.session, erasure, eml_folder(current_app))
    return _page("backoffice/privacy/erased.html", counts=erasure.counts, files=files)
