"""Organisers' pages for tours and venues."""

from __future__ import annotations

from flask import render_template

from roadshow.backoffice.blueprint import bp


@bp.get("/tours/")
def tours() -> str:
    return render_template("backoffice/layout.html")


@bp.get("/venues/")
def venues() -> str:
    return render_template("backoffice/layout.html")
