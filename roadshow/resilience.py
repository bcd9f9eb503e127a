"""A lost database connection: the request runs once more when that is safe, else 503.

A PostgreSQL backend can end under a running request (a failover, a restart, an operator's
``pg_terminate_backend``). The pool's pre-ping finds dead connections only when they are
taken from the pool, so a connection that dies while a request uses it fails that request.
What happens then:

- The request is replayed once, from the start, on a new connection, if replaying it cannot
  do anything twice: a GET or HEAD, or a view marked ``replayable`` (the registration form,
  whose submission key makes a second submit find the first registration). This also covers
  the ambiguous case of a COMMIT whose answer never arrived: whether it was applied or not,
  the replay either finds what was stored or stores it now, never twice.
- Anything else answers 503 with ``Retry-After``: a page ("Bitte versuchen Sie es gleich
  noch einmal") or, under ``/api`` and for JSON clients, ``{"error": …}``. Nothing was
  half-written: the transaction died with its connection.

The replay happens in ``ReplayOnLostConnection``, a WSGI middleware that keeps the body of
the request (small bodies only) and runs the app again with a fresh environment when the
error handler asks for it, so the second run goes through every hook as the first did.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, jsonify, request
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError
from werkzeug.wrappers import Response

from roadshow.errors import database_unavailable
from roadshow.i18n import select_locale

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_AFTER_SECONDS = 5
# Bodies up to this size are kept so that the request can be replayed (forms, JSON).
MAX_REPLAYED_BODY = 256 * 1024
ENVIRON_KEY = "roadshow.replay"

View = TypeVar("View", bound=Callable[..., Any])

# Views whose POST may run twice, each with the test that says so for the current request.
_replayable: dict[Callable[..., Any], Callable[[], bool]] = {}


def replayable(when: Callable[[], bool]) -> Callable[[View], View]:
    """Mark a view whose unsafe request may be replayed after a lost connection, when
    ``when()`` says so for the request at hand (e.g. it carries a submission key). Put it
    right under the route decorator."""

    def mark(view: View) -> View:
        _replayable[view] = when
        return view

    return mark


@dataclass
class _Replay:
    """What the middleware and the error handler share about one request."""

    possible: bool
    requested: bool = False


class ReplayOnLostConnection:
    """WSGI middleware: run the request a second time when the app asks for it."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        body = _kept_body(environ)
        replay, started, result = self._attempt(environ, body, possible=body is not None)
        if replay.requested:
            close = getattr(result, "close", None)
            if close is not None:
                close()
            replay, started, result = self._attempt(environ, body, possible=False)
        for status, headers, exc_info in started:
            start_response(status, headers, exc_info)
        return result

    def _attempt(
        self, environ: dict[str, Any], body: bytes | None, *, possible: bool
    ) -> tuple[_Replay, list[tuple[Any, ...]], Iterable[bytes]]:
        """One run of the app on a copy of the environment; its start is kept, not sent."""
        replay = _Replay(possible=possible)
        attempt_environ = dict(environ)
        attempt_environ[ENVIRON_KEY] = replay
        if body is not None:
            attempt_environ["wsgi.input"] = io.BytesIO(body)
        started: list[tuple[Any, ...]] = []

        def keep(status: str, headers: list[Any], exc_info: Any = None) -> Any:
            started.append((status, headers, exc_info))
            return _no_write

        return replay, started, self.app(attempt_environ, keep)


def _no_write(_data: bytes) -> None:
    raise RuntimeError("the app wrote before returning its response")


def _kept_body(environ: dict[str, Any]) -> bytes | None:
    """The request's body, read once so that it can be given again; None if too large or
    streamed without a length."""
    length_header = environ.get("CONTENT_LENGTH") or ""
    if not length_header:
        if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
            return None
        return b""
    try:
        length = int(length_header)
    except ValueError:
        return None
    if length < 0 or length > MAX_REPLAYED_BODY:
        return None
    body: bytes = environ["wsgi.input"].read(length)
    return body


def may_replay() -> bool:
    """Whether the current request may run once more after its connection was lost."""
    replay = request.environ.get(ENVIRON_KEY)
    if not isinstance(replay, _Replay) or not replay.possible:
        return False
    if request.method in SAFE_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    when = _replayable.get(view) if view is not None else None
    return bool(when and when())


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def unavailable_response() -> Response:
    """503 with Retry-After, as a page or as JSON. Touches no database: it has just failed."""
    message = _(
        "Die Datenbank ist gerade nicht erreichbar. Bitte versuchen Sie es gleich noch einmal."
    )
    response: Response
    if wants_json():
        response = jsonify({"error": message, "message": message, "errors": {}})
    else:
        page = current_app.jinja_env.get_template("unavailable.html").render(
            message=message,
            submitted=request.method not in SAFE_METHODS,
            current_language=select_locale(),
        )
        response = Response(page, mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def lost_connection(error: DBAPIError) -> Response:
    """The error handler: replay the request if that is safe, else answer 503. Any other
    database error stays what it is (a 500, logged as a fault of ours)."""
    if not database_unavailable(error):
        raise error
    from roadshow.extensions import db

    db.session.rollback()
    replay = request.environ.get(ENVIRON_KEY)
    if may_replay() and isinstance(replay, _Replay):
        replay.requested = True
        logger.warning(
            "database connection lost during %s %s; running it once more: %s",
            request.method,
            request.path,
            _first_line(error),
        )
    else:
        logger.warning(
            "database connection lost during %s %s; answered 503: %s",
            request.method,
            request.path,
            _first_line(error),
        )
    return unavailable_response()


def _first_line(error: BaseException) -> str:
    return str(getattr(error, "orig", error)).strip().splitlines()[0] if str(error) else ""


def init_app(app: Flask) -> None:
    app.register_error_handler(DBAPIError, lost_connection)
    app.wsgi_app = ReplayOnLostConnection(app.wsgi_app)  # type: ignore[method-assign]
