"""Errors that services raise and views turn into messages a person can read."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as NotFoundError
from werkzeug.wrappers import Response


class DomainError(Exception):
    """A business rule said no. ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    """The object does not exist, or the actor may not see it (we do not say which)."""


# SQLSTATEs of a server that is going away or cannot take us now: connection exceptions
# (class 08), an administrator's or a crash's shutdown, too many connections.
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")


def database_unavailable(error: BaseException) -> bool:
    """Whether a database error means the database could not be reached or dropped the
    connection (worth trying again in a moment), not that the statement was wrong."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, OperationalError):
        return False
    original = error.orig
    if type(original).__module__.startswith("psycopg"):
        sqlstate = getattr(original, "sqlstate", None)
        # No SQLSTATE: the server never answered (refused, reset, timed out).
        return sqlstate is None or sqlstate.startswith(_UNAVAILABLE_SQLSTATES)
    # SQLite: another writer held the database longer than the busy timeout.
    return "database is locked" in str(original)


# JSON errors under /api: a client of the API reads JSON whatever went wrong, also where
# no view of the API answers (an unknown path, a path parameter of the wrong type, a method
# the path does not take), in the shape its OpenAPI document gives as ``Error``.

API_PREFIX = "/api/"


def api_error_response(
    status: int, message: str, errors: dict[str, list[str]] | None = None
) -> Response:
    """The API's error answer: ``{"message": ..., "errors": {field: [messages]}}``."""
    response = jsonify({"message": message, "errors": errors or {}})
    response.status_code = status
    return response


def http_error_in_json(error: HTTPException) -> Response | HTTPException:
    """An HTTP error under ``/api`` as the API's JSON error, its headers (``Allow``,
    ``Retry-After``) kept; elsewhere Flask's own page (the error itself)."""
    if not request.path.startswith(API_PREFIX):
        return error
    status = error.code or 500
    if isinstance(error, MethodNotAllowed) and not _path_exists(error):
        status, error = 404, NotFoundError()
    messages = {
        400: _("Die Anfrage ist kein gültiges JSON-Objekt."),
        404: _("Das gibt es nicht."),
        405: _("Diese Methode ist hier nicht erlaubt."),
        413: _("Die Anfrage ist zu groß."),
        429: _("Zu viele Anfragen von Ihrer Adresse. Bitte versuchen Sie es später noch einmal."),
        500: _("Ein Fehler auf unserer Seite. Bitte versuchen Sie es später noch einmal."),
    }
    response = api_error_response(status, messages.get(status, error.name))
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _path_exists(error: MethodNotAllowed) -> bool:
    """Whether a route answers this path with one of the methods the error allows.

    Werkzeug answers 405 when another method's route has the same pattern, even when that
    route's converter refuses the value too (an id beyond the database's range): then
    nothing exists at the path, which is a 404.
    """
    adapter = current_app.create_url_adapter(request)
    if adapter is None:
        return True
    for method in error.valid_methods or ():
        try:
            adapter.match(method=method)
        except (NotFoundError, MethodNotAllowed):
            continue  # no route takes the path with this method either
        except HTTPException:
            return True  # a redirect: the route exists
        return True
    return False


# A NUL character cannot be typed, and PostgreSQL stores no text with one. In a path or a
# query it is refused before any view reads it. A form's own validators give it a message
# next to its field (the registration forms do); where a form has none and the character
# reaches PostgreSQL, the statement's error answers as a refusal, not as a server error
# (the transaction is rolled back: nothing of the request is kept).


def _nul_message() -> str:
    return _("Die Angaben enthalten ein Steuerzeichen (NUL), das kein Text enthalten kann.")


def refuse_nul_characters() -> Response | None:
    """404 for a path with NUL (nothing has such a name), 422 for a query parameter with
    one: as JSON under ``/api``, elsewhere the error page (400)."""
    from flask import abort

    if "\x00" in request.path:
        abort(404)
    fields = [
        name for name, value in request.args.items(multi=True) if "\x00" in name or "\x00" in value
    ]
    if not fields:
        return None
    return _refusal({name.replace("\x00", ""): [_nul_message()] for name in fields})


def nul_reached_the_database(error: Exception) -> Response:
    """A text with NUL that no validator caught, refused by PostgreSQL: 400 (422 in the
    API), after the session rolled back."""
    from sqlalchemy.exc import DataError

    from roadshow.extensions import db

    if not (isinstance(error, DataError) and "NUL" in str(error.orig)):
        raise error
    db.session.rollback()
    return _refusal({})


def _refusal(errors: dict[str, list[str]]) -> Response:
    if request.path.startswith(API_PREFIX):
        return api_error_response(422, _("Die Angaben sind unvollständig oder fehlerhaft."), errors)
    # The page itself (not raised): an error handler's exception would not be handled again.
    return BadRequest(description=_nul_message()).get_response()


def init_app(app: Flask) -> None:
    from sqlalchemy.exc import DataError

    app.before_request(refuse_nul_characters)
    app.register_error_handler(DataError, nul_reached_the_database)
