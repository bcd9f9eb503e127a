"""Security headers on every response, from one after-request hook.

Every byte the pages need is served by the app itself (no CDN, no inline script or
``style=""``), so the Content-Security-Policy allows nothing but our own origin, and images
from ``data:`` URIs (QR codes). Pages reached through a secret link set their own
``Referrer-Policy: no-referrer`` (``web.private``), which is kept. The camera is denied
everywhere except on views marked with ``allow_camera`` (the check-in scanner). HSTS is sent
only over HTTPS (``request.is_secure`` follows ProxyFix behind a proxy), so a local
``http://`` trial never pins a browser to HTTPS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request
from werkzeug.wrappers import Response

F = TypeVar("F", bound=Callable[..., Any])

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=()"
CAMERA_PERMISSIONS_POLICY = "camera=(self), microphone=(), geolocation=(), payment=()"
REFERRER_POLICY = "strict-origin-when-cross-origin"
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"

_CAMERA_MARK = "allows_camera"


def allow_camera(view: F) -> F:
    """Let the page of ``view`` use the camera of this origin (``camera=(self)``).

    Decorators that wrap the view with ``functools.wraps`` carry the mark along, so it may
    stand anywhere below the route decorator.
    """
    setattr(view, _CAMERA_MARK, True)
    return view


def _camera_allowed() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, _CAMERA_MARK, False))


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers.setdefault("Referrer-Policy", REFERRER_POLICY)
    headers["Permissions-Policy"] = (
        CAMERA_PERMISSIONS_POLICY if _camera_allowed() else PERMISSIONS_POLICY
    )
    if request.is_secure:
        headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
