"""Organisers' pages for the registrations of an event."""

from __future__ import annotations

from flask import render_template

from roadshow.backoffice.blueprint import bp


@bp.get("/events/<int:event_id>/registrations")
def registrations(event_id: int) -> str:
    return render_template("backoffice/layout.html")
