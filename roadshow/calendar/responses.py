"""How a feed is answered over HTTP, by this domain's views and by others that serve one.

Every ``.ics`` answer is ``text/calendar; charset=utf-8`` with a strong ETag and
Last-Modified, and answers If-None-Match / If-Modified-Since with 304. It is never
compressed: Outlook fails on compressed subscriptions, so ``no-transform`` asks proxies not
to either.

``no-cache``, not a max-age: a cache (a proxy, the calendar app) may keep a feed but asks
again every time, and the answer is a 304 that costs one small query (public and
subscriber feeds know their ETag before anything is built, ``feed_response``). So a change
reaches the next request at once; calendar apps decide themselves how often they ask
(REFRESH-INTERVAL suggests six hours), and a max-age would only hide changes from them.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import request
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.http import is_resource_modified
from werkzeug.wrappers import Response

from roadshow.calendar.feeds import FeedVersion
from roadshow.calendar.rendering import Feed
from roadshow.i18n import DEFAULT_LANGUAGE, requested_language
from roadshow.settings import settings


def calendar_response(feed: Feed, *, private: bool, filename: str) -> Response:
    """The feed as an HTTP answer, or 304 when the client has these bytes already."""
    response = Response(feed.body, mimetype="text/calendar")
    _describe(response, feed.etag, feed.last_modified, private=private, filename=filename)
    return response.make_conditional(request)


def feed_response(
    version: FeedVersion, build: Callable[[], Feed], *, private: bool, filename: str
) -> Response:
    """304 if the client holds ``version`` (nothing built), else the feed ``build`` gives."""
    if not is_resource_modified(
        request.environ, etag=version.etag, last_modified=version.last_modified
    ):
        response = Response(status=304)
        _describe(response, version.etag, version.last_modified, private=private, filename=filename)
        return response
    return calendar_response(build(), private=private, filename=filename)


def _describe(
    response: Response, etag: str, last_modified: object, *, private: bool, filename: str
) -> None:
    response.set_etag(etag)
    response.last_modified = last_modified  # type: ignore[assignment]
    if private:
        response.cache_control.private = True
    else:
        response.cache_control.public = True
    response.cache_control.no_cache = True
    response.cache_control.no_transform = True
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    if private:
        response.headers["X-Robots-Tag"] = "noindex, nofollow"


def feed_language() -> str:
    """A feed's language: ``?lang=`` only (calendar apps send no cookies), else German."""
    return requested_language() or DEFAULT_LANGUAGE


def feed_name(label: str, language: str) -> str:
    """``Roadshow: Rosenheim, Webinare`` — the name a calendar app shows for the feed."""
    organiser = settings().organizer_name
    with force_locale(language):
        return f"{organiser}: {label or _('alle Veranstaltungen')}"
