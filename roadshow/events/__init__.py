"""Tours, venues, events and series; the public listing."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from roadshow.events import views

    app.register_blueprint(views.bp)

    from roadshow.events import cli

    app.cli.add_command(cli.events)
