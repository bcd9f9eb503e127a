"""Reading a JSON body (or a query string) field by field, for the organiser endpoints.

Each reader checks one field's type, length or range and notes a message under the field's
name instead of raising, so that one answer lists every problem (422 with messages per
field); nothing a client can send makes it fail. Text with control characters is refused
(PostgreSQL stores no NUL), numbers are bounded (no integer overflow in the database),
times are ISO 8601 and a local time without offset is read in the given zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from roadshow.errors import NotFound
from roadshow.events.models import Venue
from roadshow.events.services import UNCHANGED, Unchanged
from roadshow.extensions import db

MAX_SEATS = 100_000
MAX_ID = 2**31 - 1
TEXT_LIMITS = {
    "title": 200,
    "slug": 120,
    "description": 20_000,
    "join_url": 500,
    "name": 200,
    "street": 200,
    "postcode": 10,
    "town": 100,
    "timezone": 64,
    "tour": 80,
}
EARLIEST_YEAR, LATEST_YEAR = 1970, 2200


class Fields:
    """The fields of one JSON body (or query string), read one by one; each problem is
    noted under the field's name and the value read as ``None``."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, list[str]] = {}

    def given(self, name: str) -> bool:
        return name in self.data

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def text(self, name: str, *, required: bool = False, nullable: bool = False) -> str | None:
        value = self.data.get(name)
        if value is None:
            if required or (name in self.data and not nullable):
                self.fail(name, _("Bitte ausfüllen."))
            return None
        if not isinstance(value, str):
            self.fail(name, _("Erwartet wird Text."))
            return None
        if any(ord(c) < 32 and c not in "\n\r\t" for c in value):
            self.fail(name, _("Der Text enthält Steuerzeichen."))
            return None
        if required and not value.strip():
            self.fail(name, _("Bitte ausfüllen."))
            return None
        limit = TEXT_LIMITS.get(name, 200)
        if len(value) > limit:
            self.fail(name, _("Höchstens %(n)d Zeichen.", n=limit))
            return None
        return value

    def integer(
        self, name: str, *, required: bool = False, minimum: int = 0, maximum: int = MAX_SEATS
    ) -> int | None:
        value = self.data.get(name)
        if value is None:
            if required or name in self.data:
                self.fail(name, _("Bitte ausfüllen."))
            return None
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value) if len(value) < 20 else maximum + 1  # from a query string
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(name, _("Erwartet wird eine ganze Zahl."))
            return None
        if not minimum <= value <= maximum:
            self.fail(
                name,
                _("Erlaubt sind Werte von %(low)d bis %(high)d.", low=minimum, high=maximum),
            )
            return None
        return value

    def number(self, name: str, limit: float) -> float | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, int | float) or isinstance(value, bool):
            self.fail(name, _("Erwartet wird eine Zahl."))
            return None
        if not -limit <= value <= limit:
            self.fail(
                name, _("Erlaubt sind Werte von %(low)d bis %(high)d.", low=-limit, high=limit)
            )
            return None
        return float(value)

    def boolean(self, name: str) -> bool:
        value = self.data.get(name, False)
        if not isinstance(value, bool):
            self.fail(name, _("Erwartet wird true oder false."))
            return False
        return value

    def instant(self, name: str, zone: str, *, required: bool = False) -> datetime | None:
        """ISO 8601 with offset; a local time without one is read in ``zone``."""
        text = self.text(name, required=required)
        if text is None:
            return None
        try:
            value = datetime.fromisoformat(text.strip())
            if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
                raise ValueError(text)
            if value.tzinfo is None:
                value = value.replace(tzinfo=ZoneInfo(zone))
            return value.astimezone(UTC)
        except (ValueError, OverflowError):
            self.fail(
                name,
                _("Erwartet wird ein Zeitpunkt nach ISO 8601, z. B. 2027-04-06T18:00:00+02:00."),
            )
            return None

    def venue(self, name: str = "venue_id") -> Venue | None | Unchanged:
        """A venue by id; ``null`` (or an empty value in a query string) means online."""
        if name not in self.data:
            return UNCHANGED
        value = self.data[name]
        if value is None or value == "" or value == "null":
            return None
        venue_id = self.integer(name, minimum=1, maximum=2**63)
        if venue_id is None:
            return UNCHANGED
        venue = db.session.get(Venue, venue_id) if venue_id <= MAX_ID else None
        if venue is None:
            raise NotFound(_("Diesen Ort gibt es nicht."), field=name)
        return venue
