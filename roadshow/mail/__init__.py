"""The outbox, composing emails, delivery."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The ``flask mail`` commands, the organisers' outbox page, delivery after responses."""
    from roadshow.mail import after_response, cli, views

    app.cli.add_command(cli.mail)
    app.register_blueprint(views.bp)
    after_response.init_app(app)
