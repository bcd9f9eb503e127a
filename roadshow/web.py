"""Pieces every web page needs, whichever domain serves it.

Lower modules (``i18n``) and every domain's views use these; nothing here knows a domain.
"""

from __future__ import annotations

from flask import current_app, url_for
from werkzeug.wrappers import Response

from roadshow.extensions import limiter


def local_target(target: str | None, fallback_endpoint: str) -> str:
    """``target`` if it is a path on this site, else the URL of ``fallback_endpoint``.

    Only local paths: an open redirect (``//evil.example``, ``https://…``, ``/\\evil``)
    would let others borrow our domain for their links.
    """
    target = target or ""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return url_for(fallback_endpoint)


def private(response: Response) -> Response:
    """Pages reached through a secret link: never cached, never sent on as a Referer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _registration_rate_limit() -> str:
    return str(current_app.config["REGISTRATION_RATE_LIMIT"])


# One allowance per client address for every registration POST (form, self-service, API),
# so that switching between them does not multiply it.
registration_limit = limiter.shared_limit(
    _registration_rate_limit, scope="registration", methods=["POST"]
)
