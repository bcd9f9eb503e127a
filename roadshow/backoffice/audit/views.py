"""The audit log: what organisers did, per event and per person."""

from __future__ import annotations

from flask import render_template

from roadshow.backoffice.blueprint import bp


@bp.get("/audit/")
def audit() -> str:
    return render_template("backoffice/layout.html")


@bp.get("/events/<int:event_id>/history")
def event_audit(event_id: int) -> str:
    return render_template("backoffice/layout.html")


@bp.get("/users/<int:user_id>/history")
def user_audit(user_id: int) -> str:
    return render_template("backoffice/layout.html")
