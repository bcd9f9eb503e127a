"""iCalendar invitations and feeds; feed subscribers."""

from __future__ import annotations

from urllib.parse import quote

from flask import Flask

from roadshow.urls import external_url, webcal_url

# Defaults of this domain's settings; ``ROADSHOW_<NAME>`` overrides each (read before).
DEFAULTS = {
    "SUBSCRIBE_RATE_LIMIT": "5 per minute;30 per hour",
}


def google_calendar_url(https_url: str) -> str:
    """Google Calendar's "add by URL" link for a feed (Google wants the webcal form)."""
    return "https://calendar.google.com/calendar/r?cid=" + quote(webcal_url(https_url), safe="")


def calendar_feed_url(**filters: list[str]) -> str:
    """The public feed's absolute URL, e.g. ``calendar_feed_url(town=["Rosenheim"])``."""
    return external_url("calendar.public_feed", **filters)


def init_app(app: Flask) -> None:
    from roadshow.calendar import cli, subscription_views, views  # noqa: F401 - routes on views.bp

    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.calendar_cli)
    app.add_template_filter(webcal_url, "webcal_url")
    app.add_template_filter(google_calendar_url, "google_calendar_url")
    app.add_template_global(calendar_feed_url, "calendar_feed_url")
