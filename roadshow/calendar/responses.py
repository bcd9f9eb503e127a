"""How a feed is answered over HTTP, by this domain's views and by others that serve one.

Every ``.ics`` answer is ``text/calendar; charset=utf-8`` with a strong ETag (a hash of the
bytes) and Last-Modified, and answers If-None-Match / If-Modified-Since with 304. It is
never compressed: Outlook fails on compressed subscriptions, so ``no-transform`` asks
proxies not to either.
"""

from __future__ import annotations

from flask import request
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from roadshow.calendar.rendering import Feed
from roadshow.i18n import DEFAULT_LANGUAGE, requested_language
from roadshow.settings import settings

CACHE_SECONDS = 900


def calendar_response(feed: Feed, *, private: bool, filename: str) -> Response:
    """The feed as an HTTP answer, or 304 when the client has these bytes already."""
    response = Response(feed.body, mimetype="text/calendar")
    response.set_etag(feed.etag)
    response.last_modified = feed.last_modified
    if private:
        response.cache_control.private = True
    else:
        response.cache_control.public = True
    response.cache_control.max_age = CACHE_SECONDS
    response.cache_control.no_transform = True
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    if private:
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response.make_conditional(request)


def feed_language() -> str:
    """A feed's language: ``?lang=`` only (calendar apps send no cookies), else German."""
    return requested_language() or DEFAULT_LANGUAGE


def feed_name(label: str, language: str) -> str:
    """``Roadshow: Rosenheim, Webinare`` — the name a calendar app shows for the feed."""
    organiser = settings().organizer_name
    with force_locale(language):
        return f"{organiser}: {label or _('alle Veranstaltungen')}"
