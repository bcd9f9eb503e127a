"""Company registrations, capacity, waiting list, self-service."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from roadshow.registrations import views

    app.register_blueprint(views.bp)
