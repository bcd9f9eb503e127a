"""The partner portal: a partner's users see their own partner's events and attendees.

It sits beside the back office and the API, above every domain whose data it shows; no
domain imports it.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from roadshow.portal import views

    app.register_blueprint(views.bp)
