"""Organisers' pages for series of webinars and workshops, and for cloning a tour."""

from __future__ import annotations

from flask import render_template

from roadshow.backoffice.blueprint import bp


@bp.get("/series/")
def series_list() -> str:
    return render_template("backoffice/layout.html")
