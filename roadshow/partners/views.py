"""Public partner pages: the logo, as events, feeds and partner websites embed it."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, request, send_file, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from roadshow.extensions import db
from roadshow.partners.logos import content_type, is_logo_filename, logo_folder, logo_version
from roadshow.partners.models import Partner

bp = Blueprint("partners", __name__)

# A logo's URL names its file (``?v=``), which changes on every replacement: such a URL
# can be cached for a year. Without it (or with an old one), caches must ask again soon.
CACHE_SECONDS_VERSIONED = 365 * 24 * 3600
CACHE_SECONDS_UNVERSIONED = 300


def partner_logo_url(partner: Partner) -> str | None:
    """Where the partner's logo is served (None: it has none); in templates too."""
    if not partner.logo_filename:
        return None
    return url_for("partners.logo", slug=partner.slug, v=logo_version(partner.logo_filename))


@bp.get("/partners/<slug>/logo")
def logo(slug: str) -> Response:
    filename = db.session.scalar(select(Partner.logo_filename).where(Partner.slug == slug))
    if not filename or not is_logo_filename(filename):
        abort(404)
    path = logo_folder(current_app.instance_path) / filename
    if not path.is_file():
        abort(404)
    version = logo_version(filename)
    versioned = request.args.get("v") == version
    response = send_file(
        path,
        mimetype=content_type(filename),
        etag=version,
        conditional=True,
        max_age=CACHE_SECONDS_VERSIONED if versioned else CACHE_SECONDS_UNVERSIONED,
    )
    if versioned:
        response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response
