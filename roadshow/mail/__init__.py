"""The outbox, composing emails, delivery. A leaf: it knows no other domain."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The ``flask mail`` commands and delivery after responses (the outbox page is in the
    back office)."""
    from roadshow.mail import after_response, cli

    app.cli.add_command(cli.mail)
    after_response.init_app(app)
