"""iCalendar invitations and feeds; feed subscribers."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from flask import Flask

from roadshow.urls import external_url, webcal_url

if TYPE_CHECKING:
    from roadshow.events.services import FilterChoices, ListingFilter

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


def listing_feed_url(filters: ListingFilter, choices: FilterChoices) -> str | None:
    """The public feed holding what the listing shows with ``filters``, or None.

    None where no feed can: the listing narrows by town *and* kind, whereas a feed adds
    the two up (webinars have no town, see ``filters``); and a town, tour or partner that
    the listing does not offer has no feed (its URL would answer 404).
    """
    if filters.town and filters.kind:
        return None
    values: dict[str, list[str]] = {}
    if filters.town:
        towns = {town.casefold(): town for town in choices.towns}
        if filters.town.casefold() not in towns:
            return None
        values["town"] = [towns[filters.town.casefold()]]
    if filters.kind:
        values["kind"] = [filters.kind.value]
    if filters.tour:
        if filters.tour not in {tour.slug for tour in choices.tours}:
            return None
        values["tour"] = [filters.tour]
    if filters.partner:
        if filters.partner not in {partner.slug for partner in choices.partners}:
            return None
        values["partner"] = [filters.partner]
    return calendar_feed_url(**values)


def init_app(app: Flask) -> None:
    from roadshow.calendar import cli, notifications, subscription_views, views  # noqa: F401

    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.calendar_cli)
    app.add_template_filter(webcal_url, "webcal_url")
    app.add_template_filter(google_calendar_url, "google_calendar_url")
    app.add_template_global(calendar_feed_url, "calendar_feed_url")
    app.add_template_global(listing_feed_url, "listing_feed_url")
    notifications.listen_to_events()
