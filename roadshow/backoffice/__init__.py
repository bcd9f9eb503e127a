"""The organisers' pages under ``/organiser/``: events and the outbox.

The back office sits above every domain: it calls their services and shows their data,
and no domain imports it. One guard (``views.organisers_only``) protects every page.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from roadshow.backoffice import views

    app.register_blueprint(views.bp)
