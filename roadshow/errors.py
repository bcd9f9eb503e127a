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
