"""Errors that services raise and views turn into messages a person can read."""

from __future__ import annotations


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
