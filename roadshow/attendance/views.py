"""The check-in page at the door (``/check-in/<event_id>/``) and what it calls."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("attendance", __name__, url_prefix="/check-in")
