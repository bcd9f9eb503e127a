"""Languages (German first, English), time zones and date formatting in pages and mail.

Dates are written with explicit CLDR patterns, one per place where a date appears, so that
what a reader sees is decided here and not by how a Babel release matches a skeleton:

=========  =========================  ======================  ====================
style      German                     English                 where
=========  =========================  ======================  ====================
compact    Di., 6. Apr. 2027          Tue, Apr 6, 2027        lists and tables
long       Dienstag, 6. April 2027    Tuesday, April 6, 2027  mail, the event page
day        6. April 2027              April 6, 2027           a date in a sentence
month      April 2027                 April 2027              month headings
=========  =========================  ======================  ====================

Times are 24 h in both languages ("18:00–21:00 Uhr" / "18:00–21:00").
"""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_format_datetime
from flask import Flask, has_request_context, redirect, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from roadshow.extensions import babel
from roadshow.settings import settings
from roadshow.web import local_target

PACKAGE = Path(__file__).resolve().parent

# The languages pages and mails exist in, by their own names; the first is the default.
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}
DEFAULT_LANGUAGE = next(iter(LANGUAGE_NAMES))

DateStyle = Literal["compact", "long", "day", "month"]
DATE_PATTERNS: dict[str, dict[str, str]] = {
    "compact": {"de": "EEE, d. MMM y", "en": "EEE, MMM d, y"},
    "long": {"de": "EEEE, d. MMMM y", "en": "EEEE, MMMM d, y"},
    "day": {"de": "d. MMMM y", "en": "MMMM d, y"},
    "month": {"de": "LLLL y", "en": "LLLL y"},
}
TIME_PATTERN = "HH:mm"


def supported_language(language: str | None) -> str:
    """``language`` if we speak it, else the default (German)."""
    return language if language in LANGUAGE_NAMES else DEFAULT_LANGUAGE


def requested_language() -> str | None:
    """The language the query asks for (``?lang=en``), if we speak it."""
    choice = request.args.get("lang")
    return choice if choice in LANGUAGE_NAMES else None


def select_locale() -> str:
    """The visitor's explicit choice, else German (outside requests: German)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    return requested_language() or supported_language(session.get("lang"))


def translation_directories() -> str:
    """Each domain package keeps its own ``translations`` folder; Flask-Babel merges them."""
    folders = sorted(str(p) for p in PACKAGE.glob("**/translations") if p.is_dir())
    return ";".join(folders) or str(PACKAGE / "translations")


def local_datetime(value: datetime, timezone: str | None = None) -> datetime:
    zone = ZoneInfo(timezone or settings().timezone)
    return value.astimezone(zone)


def _language() -> str:
    """The language being rendered (a page's visitor, a mail's recipient)."""
    locale = get_locale()
    return supported_language(locale.language if locale is not None else None)


def _format(local: datetime, pattern: str) -> str:
    return _formatted(local, str(local.tzinfo), pattern, _language())


@functools.lru_cache(maxsize=8192)
def _formatted(local: datetime, zone: str, pattern: str, language: str) -> str:
    """Babel's formatting, remembered: the same few instants (an event's start and end)
    are written on every page that lists them. ``zone`` is part of the key because aware
    datetimes of the same instant compare equal in any zone."""
    return babel_format_datetime(local, pattern, tzinfo=local.tzinfo, locale=language)


def format_date(value: datetime, timezone: str | None = None, style: DateStyle = "compact") -> str:
    """The local date of an instant, e.g. ``long``: "Dienstag, 6. April 2027"."""
    return _format(local_datetime(value, timezone), DATE_PATTERNS[style][_language()])


def format_time(value: datetime, timezone: str | None = None) -> str:
    """The local time of an instant: "18:00"."""
    return _format(local_datetime(value, timezone), TIME_PATTERN)


def format_instant(
    value: datetime, timezone: str | None = None, style: DateStyle = "compact"
) -> str:
    """Date and time of one instant: "6. April 2027, 10:00 Uhr" / "April 6, 2027, 10:00"."""
    return _(
        "%(date)s, %(time)s Uhr",
        date=format_date(value, timezone, style),
        time=format_time(value, timezone),
    )


def format_when(
    starts_at: datetime, ends_at: datetime, timezone: str | None = None, style: DateStyle = "long"
) -> str:
    """When an event takes place, in its own zone: "Dienstag, 6. April 2027, 18:00–21:00
    Uhr". An event that ends on a later day names both days."""
    start, end = local_datetime(starts_at, timezone), local_datetime(ends_at, timezone)
    if start.date() != end.date():
        return _(
            "%(start)s – %(end)s",
            start=format_instant(starts_at, timezone, style),
            end=format_instant(ends_at, timezone, style),
        )
    return _(
        "%(date)s, %(start)s–%(end)s Uhr",
        date=format_date(starts_at, timezone, style),
        start=format_time(starts_at, timezone),
        end=format_time(ends_at, timezone),
    )


def zone_name(value: datetime, timezone: str) -> str:
    """The time zone at that instant as people say it: "MESZ", or where the language has no
    short name (English for Berlin), the long one: "Central European Summer Time"."""
    local = local_datetime(value, timezone)
    short = _format(local, "z")
    if short[:1] in ("+", "-") or short.startswith("GMT"):
        return _format(local, "zzzz")
    return short


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", translation_directories())
    babel.init_app(app, locale_selector=select_locale)

    @app.get("/language/<lang>")
    def set_language(lang: str) -> Response:
        if lang in LANGUAGE_NAMES:
            session["lang"] = lang
        return redirect(local_target(request.args.get("next"), "events.index"))

    app.add_template_filter(format_date, "local_date")
    app.add_template_filter(format_time, "local_time")
    app.add_template_filter(format_instant, "local_datetime")
    app.add_template_filter(zone_name, "zone_name")
    app.add_template_global(format_when, "when")

    @app.context_processor
    def _language_choice() -> dict[str, object]:
        return {"current_language": _language(), "languages": list(LANGUAGE_NAMES)}
