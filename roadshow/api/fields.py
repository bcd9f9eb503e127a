"""Reading a JSON body (or a query string) field by field, for the organiser endpoints.

Each reader checks one field's type, length or range and notes a message under the field's
name instead of raising, so that one answer lists every problem (422 with messages per
field); nothing a client can send makes it fail. Text with control characters or lone
surrogates is refused (no database stores a NUL or half a character), numbers are bounded
(no integer overflow in the database), times are ISO 8601 and a local time without offset
is read in the given zone. A JSON body gives each value its type; only a query string
(``query=True``) has numbers and ``null`` written as text.
"""

from __future__ import annotations

import re
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
QUERY_INTEGER = re.compile(r"-?[0-9]{1,19}")
# What no text field takes: control characters (tab and line breaks aside) and lone
# surrogates, which JSON can escape but no database stores.
CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
REFUSED_CHARACTERS = re.compile(f"[{CONTROL}\\ud800-\\udfff]")
# The same rules as patterns of the OpenAPI document, spelt out rather than as ``\s``
# (which means other characters in ECMA-262 than in Python), and without the surrogates,
# which some tools cannot read in a pattern (the document says so in words). SPACES: what
# ``str.strip()`` removes and the API takes.
SPACES = r"\t\n\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
TEXT_PATTERN = f"^[^{CONTROL}]*$"
FILLED_PATTERN = f"^[^{CONTROL}]*[^{CONTROL}{SPACES}][^{CONTROL}]*$"
SLUG_PATTERN = f"^[{SPACES}]*(?:[a-z0-9]+(?:-[a-z0-9]+)*)?[{SPACES}]*$"
QUERY_ID_PATTERN = "^(?:|null|-?[0-9]{1,19})$"


def refused_characters(value: str) -> bool:
    """Whether ``value`` holds a character that no text field of the API takes."""
    return REFUSED_CHARACTERS.search(value) is not None


class Fields:
    """The fields of one JSON body (or query string), read one by one; each problem is
    noted under the field's name and the value read as ``None``."""

    def __init__(self, data: dict[str, Any], *, query: bool = False) -> None:
        self.data = data
        self.query = query
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
        if refused_characters(value):
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
        if self.query and isinstance(value, str) and QUERY_INTEGER.fullmatch(value):
            value = int(value)
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
        if value is None or (self.query and value in ("", "null")):
            return None
        venue_id = self.integer(name, minimum=1, maximum=2**63)
        if venue_id is None:
            return UNCHANGED
        venue = db.session.get(Venue, venue_id) if venue_id <= MAX_ID else None
        if venue is None:
            raise NotFound(_("Diesen Ort gibt es nicht."), field=name)
        return venue
