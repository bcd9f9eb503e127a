"""The JSON API under /api/v1."""

from __future__ import annotations

from flask import Flask
from werkzeug.exceptions import HTTPException


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
    from roadshow.errors import http_error_in_json
    from roadshow.extensions import csrf

    # JSON clients send no cookies, so there is no session to forge requests with.
    csrf.exempt(views.bp)
    app.register_blueprint(views.bp)
    # For the whole app: errors under /api that no view of the blueprint answers (an
    # unknown path, a wrong method) are JSON too; other paths keep their pages.
    app.register_error_handler(HTTPException, http_error_in_json)
