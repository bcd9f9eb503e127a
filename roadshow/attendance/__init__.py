"""Check-in and webinar attendance, and the reports on who came."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from roadshow.attendance import cli, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.attendance)
