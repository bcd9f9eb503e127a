"""Organisers' pages for partners."""

from __future__ import annotations

from flask import render_template

from roadshow.backoffice.blueprint import bp


@bp.get("/partners/")
def partners() -> str:
    return render_template("backoffice/layout.html")
