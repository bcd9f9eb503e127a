"""Partners and their roles at events."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The public logo route, and ``partner_logo_url(partner)`` for templates."""
    from roadshow.partners import views

    app.register_blueprint(views.bp)
    app.add_template_global(views.partner_logo_url, "partner_logo_url")
