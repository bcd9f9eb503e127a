"""The back office's one blueprint and its one guard.

Every page module of the back office (``views`` and the ``views`` of its sub-packages)
adds its routes to ``bp``; ``organisers_only`` runs before each of them.
"""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user, login_required

bp = Blueprint("backoffice", __name__, url_prefix="/organiser")


@bp.before_request
@login_required
def organisers_only() -> None:
    """Every page here: logged in (else to the login page) as an organiser or admin."""
    if not current_user.is_organiser:
        abort(403)
