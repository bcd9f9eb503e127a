"""The back office's one blueprint and its guards.

Every page module of the back office (``views`` and the ``views`` of its sub-packages)
adds its routes to ``bp``; ``organisers_only`` runs before each of them, and
``admins_only`` marks the pages only admins see (accounts, security settings).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from roadshow.accounts.twofactor import must_enrol
from roadshow.extensions import db

bp = Blueprint("backoffice", __name__, url_prefix="/organiser")


@bp.before_request
@login_required
def organisers_only() -> Response | None:
    """Every page here: logged in (else to the login page) as an organiser or admin, with a
    second factor when an admin requires one (else to enrolling it first)."""
    if not current_user.is_organiser:
        abort(403)
    if must_enrol(db.session, current_user):
        flash(_("Bitte richten Sie zuerst einen zweiten Faktor ein."))
        return redirect(url_for("accounts.twofactor"))
    return None


def admins_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only admins; organisers get 403 (``organisers_only`` ran before)."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return guarded
