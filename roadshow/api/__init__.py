"""The JSON API under /api/v1."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from roadshow.api import (  # noqa: F401 (routes)
        attendance_reports,
        check_ins,
        planning,
        registrations,
        reports,
        series,
        views,
    )
    from roadshow.extensions import csrf

    # JSON clients send no cookies, so there is no session to forge requests with.
    csrf.exempt(views.bp)
    app.register_blueprint(views.bp)
