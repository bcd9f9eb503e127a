"""Webinar tools' attendance reports read into minutes per person.

The format is recognised from the content: the column headers (in the tool's UI language),
section titles and the shape of the rows, never from the file name.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

__all__ = ["Person", "Report", "ReportError", "name_key", "parse_report"]


class ReportError(ValueError):
    """A file that cannot be read as an attendance report; the message names the line.

    The message is translated when it is shown (``str(error)``), in the language of the
    request or command that shows it, not in the one that parsed the file.
    """

    def __init__(self, message: LazyString) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


@dataclass
class Person:
    name: str
    email: str
    minutes: int


@dataclass
class Report:
    format: str
    people: list[Person] = field(default_factory=list)


_SUFFIX = re.compile(
    r"\s*[\(\[](guest|gast|extern|ext|invitado|invité|gość|host|co-host)[\)\]]\s*$", re.I
)
_UMLAUT = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss", "æ": "ae", "ø": "o"})


def name_key(name: str) -> str:
    """A name as a key that ignores order, case, accents, commas and a "(Guest)"-like suffix.

    Umlauts fold to the plain vowel (ä → a), so "Müller" and "Muller" meet; "Mueller" does not.
    """
    text = name.strip()
    while True:
        stripped = _SUFFIX.sub("", text)
        if stripped == text:
            break
        text = stripped
    text = text.casefold().translate(_UMLAUT)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    tokens = re.split(r"[\s,;_.]+", text)
    return " ".join(sorted(t for t in tokens if t and not t.isdigit()))


# --- decoding -----------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise ReportError(
                _l("Zeile %(line)d: Die Datei ist kein lesbares UTF-16.", line=1)
            ) from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ReportError(
            _l("Zeile %(line)d: Die Datei ist nicht in UTF-8 oder UTF-16.", line=line)
        ) from error


def _rows(text: str) -> list[list[str]]:
    lines = text.splitlines()
    sample = "\n".join(lines[:50])
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    if delimiter == "," and sample.count(";") > sample.count(","):
        delimiter = ";"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append([_cell(c) for c in row])
    except csv.Error as error:
        raise ReportError(
            _l("Zeile %(line)d: %(error)s", line=reader.line_num, error=str(error))
        ) from error
    return rows


def _cell(value: str) -> str:
    value = value.strip()
    match = re.fullmatch(r'="(.*)"', value)
    return match.group(1).strip() if match else value


# --- columns ------------------------------------------------------------------------------

_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": (
        "name (original name)",
        "name",
        "full name",
        "user name",
        "nombre completo",
        "imię i nazwisko",
        "teilnehmer",
        "vollständiger name",
    ),
    "first": ("first name", "vorname"),
    "last": ("last name", "nachname"),
    "email": (
        "user email",
        "email",
        "e-mail",
        "attendee email",
        "adres e-mail",
        "correo electrónico",
        "e-mail-adresse",
    ),
    "join": (
        "join time",
        "first join",
        "join",
        "pierwsze dołączenie",
        "godzina dołączenia",
        "beitrittszeit",
        "erster beitritt",
        "hora de unión",
    ),
    "leave": (
        "leave time",
        "last leave",
        "ostatnie wyjście",
        "godzina opuszczenia",
        "verlassen",
        "letztes verlassen",
        "hora de salida",
    ),
    "duration": (
        "duration (minutes)",
        "total duration (minutes)",
        "time in session (minutes)",
        "duration",
        "in-meeting duration",
        "attendance duration",
        "czas trwania",
        "czas udziału w spotkaniu",
        "dauer",
        "minutes",
        "minuten",
        "duración",
    ),
    "waiting": ("in waiting room",),
    "action": ("user action", "acción del usuario", "benutzeraktion", "akcja użytkownika"),
    "timestamp": ("timestamp", "marca de tiempo", "zeitstempel", "sygnatura czasowa"),
    "attended": ("attended",),
}


def _header_map(row: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(row):
        label = cell.strip().strip('"').casefold()
        for key, labels in _COLUMNS.items():
            if label in labels:
                # Duplicate labels (Zoom's wide export): the participant's column is the last.
                found[key] = index
                break
    return found


def _is_header(columns: dict[str, int]) -> bool:
    has_name = "name" in columns or ("first" in columns and "last" in columns)
    return has_name and bool({"duration", "join", "action"} & columns.keys())


# --- values -------------------------------------------------------------------------------

_DATE_FORMATS_US = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y, %I:%M:%S %p",
    "%m/%d/%Y, %H:%M:%S",
    "%m/%d/%y, %I:%M:%S %p",
    "%m/%d/%y, %H:%M:%S",
    "%m/%d/%Y %I:%M %p",
)
_DATE_FORMATS_EU = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y, %H:%M:%S",
    "%d/%m/%y, %H:%M:%S",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y, %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d/%m/%y %H:%M:%S",
)
_DATE_FORMATS_ANY = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%b %d, %Y %H:%M:%S",
    "%b %d, %Y %I:%M %p",
    "%Y-%m-%d %H:%M",
)


def _parse_date(value: str, european: bool) -> datetime | None:
    value = re.sub(r"\s+", " ", value.strip())
    if not value or value in {"--", "NA"}:
        return None
    formats = (
        (_DATE_FORMATS_EU + _DATE_FORMATS_US) if european else (_DATE_FORMATS_US + _DATE_FORMATS_EU)
    )
    for fmt in formats + _DATE_FORMATS_ANY:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


_UNITS = (
    (r"(\d+)\s*(h|std\.?|godz\.?|hrs?|hours?|stunden?)\b", 3600),
    (r"(\d+)\s*(m|min\.?|mins|minutes?|minuten?)\b", 60),
    (r"(\d+)\s*(s|sec|sek\.?|seconds?|sekunden?)\b", 1),
)


def _parse_minutes(value: str) -> float | None:
    """Minutes from "69", "204 mins", "1h 54m", "53m 56s", "2 godz. 18 min 8 s"."""
    value = value.strip().strip('"').casefold()
    if not value or value in {"--", "na"}:
        return None
    if re.fullmatch(r"\d+([.,]\d+)?", value):
        return float(value.replace(",", "."))
    seconds = 0
    matched = False
    for pattern, factor in _UNITS:
        for number, _unit in re.findall(pattern, value):
            seconds += int(number) * factor
            matched = True
    if re.fullmatch(r"\d+:\d{2}:\d{2}", value):
        h, m, s = (int(p) for p in value.split(":"))
        return (h * 3600 + m * 60 + s) / 60
    return seconds / 60 if matched else None


# --- merging ------------------------------------------------------------------------------


@dataclass
class _Acc:
    name: str
    email: str
    intervals: list[tuple[datetime, datetime]] = field(default_factory=list)
    loose_minutes: float = 0.0


def _merged_minutes(acc: _Acc) -> int:
    total = 0.0
    for start, end in _union(acc.intervals):
        total += (end - start).total_seconds()
    minutes = total / 60 + acc.loose_minutes
    return math.ceil(minutes - 1e-9) if minutes > 0 else 0


def _union(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


_BAD_EMAILS = {"email", "e-mail", "--", "na"}


def _clean_email(value: str) -> str:
    value = value.strip()
    return value if "@" in value and value.casefold() not in _BAD_EMAILS else ""


def _key(name: str, email: str) -> str:
    return "e:" + email.casefold() if email else "n:" + name_key(name)


# --- format ------------------------------------------------------------------------------


def _detect(rows: list[list[str]], headers: list[tuple[int, dict[str, int]]]) -> str:
    first = [c.casefold() for c in rows[0]] if rows else []
    header_cells = [c.casefold() for c in rows[headers[0][0]]]
    cells = " ".join(header_cells)
    if "action" in headers[0][1]:
        return "teams_joined_left"
    if first and re.match(r"^1\.\s", first[0]):
        return "teams_sections"
    if first and first[0] == "meeting summary":
        return "teams_summary"
    if "attendance duration" in cells or "connection type" in cells:
        return "webex_attendees"
    if first and first[0] == "attendee report":
        return "zoom_webinar_attendees"
    if "total duration (minutes)" in cells:
        return "zoom_unique_users"
    if "name (original name)" in cells:
        return "zoom_participants"
    return "plain_csv"


def parse_report(data: bytes) -> Report:
    """Read a webinar tool's report: the format found and the minutes per person, merged."""
    if not data.strip(b"\x00\r\n\t \xef\xbb\xbf\xff\xfe"):
        raise ReportError(_l("Zeile %(line)d: Die Datei ist leer.", line=1))
    rows = _rows(_decode(data))
    headers = [(i, m) for i, row in enumerate(rows) if _is_header(m := _header_map(row))]
    if not headers:
        raise ReportError(
            _l(
                "Zeile %(line)d: Keine Spaltenüberschriften eines Teilnahmeberichts gefunden "
                "(Name, E-Mail, Dauer oder Beitritt/Verlassen).",
                line=1,
            )
        )
    fmt = _detect(rows, headers)
    if fmt == "teams_sections" and len(headers) > 1:
        headers = headers[-1:]  # section 3 lists every session; section 2 repeats its sums
    european = _is_european(rows, headers)
    people: dict[str, _Acc] = {}
    events: dict[str, list[tuple[datetime, bool]]] = {}
    last_seen: datetime | None = None
    bounds = [h[0] for h in headers] + [len(rows)]
    for (start, columns), end in zip(headers, bounds[1:], strict=True):
        for index in range(start + 1, end):
            row = rows[index]
            line = index + 1
            if not any(c.strip() for c in row):
                continue
            if _is_section_title(row, columns):
                break
            rec = _Row(row, columns, line)
            name = rec.name()
            if not name:
                raise ReportError(_l("Zeile %(line)d: Der Name fehlt.", line=line))
            email = _clean_email(rec.get("email"))
            if rec.get("attended").casefold() == "no":
                continue
            if rec.get("waiting").casefold() in {"yes", "ja", "sí", "tak"}:
                continue
            key = _key(name, email)
            acc = people.setdefault(key, _Acc(name=name, email=email))
            if not acc.email and email:
                acc.email = email
            if "action" in columns:
                when = _parse_date(rec.get("timestamp"), european)
                if when is None:
                    raise ReportError(
                        _l(
                            "Zeile %(line)d: Zeitpunkt „%(value)s“ unlesbar.",
                            line=line,
                            value=rec.get("timestamp"),
                        )
                    )
                action = rec.get("action").casefold()
                joined = not any(w in action for w in ("left", "abandon", "verlassen", "opuści"))
                events.setdefault(key, []).append((when, joined))
                last_seen = max(last_seen, when) if last_seen else when
                continue
            joined_at = _parse_date(rec.get("join"), european)
            left_at = _parse_date(rec.get("leave"), european)
            if joined_at and left_at and left_at >= joined_at:
                acc.intervals.append((joined_at, left_at))
                continue
            minutes = _parse_minutes(rec.get("duration"))
            if minutes is None:
                raise ReportError(
                    _l(
                        "Zeile %(line)d: Die Dauer „%(value)s“ ist keine Zeitangabe.",
                        line=line,
                        value=rec.get("duration"),
                    )
                )
            acc.loose_minutes += minutes
    for key, items in events.items():
        acc = people[key]
        opened: datetime | None = None
        for when, joined in sorted(items, key=lambda item: item[0]):
            if joined:
                opened = opened or when
            elif opened is not None:
                acc.intervals.append((opened, when))
                opened = None
        if opened is not None and last_seen is not None:
            acc.intervals.append((opened, last_seen))
    return Report(
        format=fmt,
        people=[Person(a.name, a.email, _merged_minutes(a)) for a in people.values()],
    )


def _is_section_title(row: list[str], columns: dict[str, int]) -> bool:
    filled = [c for c in row if c.strip()]
    return (
        len(filled) == 1
        and len(columns) > 1
        and not _is_header(_header_map(row))
        and (
            filled[0].endswith(":")
            or "details" in filled[0].casefold()
            or "attended" in filled[0].casefold()
            or re.match(r"^\d\.\s", filled[0]) is not None
        )
    )


def _is_european(rows: list[list[str]], headers: list[tuple[int, dict[str, int]]]) -> bool:
    """Whether the file writes day before month: some date there is impossible as US."""
    for start, columns in headers:
        for row in rows[start + 1 : start + 400]:
            for key in ("join", "leave", "timestamp"):
                index = columns.get(key)
                if index is None or index >= len(row):
                    continue
                match = re.match(r"(\d{1,2})[/.](\d{1,2})[/.]\d{2,4}", row[index].strip())
                if match and int(match.group(2)) > 12:
                    return True
                if match and row[index].strip()[2:3] == ".":
                    return True
    return False


class _Row:
    def __init__(self, row: list[str], columns: dict[str, int], line: int) -> None:
        self.row = row
        self.columns = columns
        self.line = line

    def get(self, key: str) -> str:
        index = self.columns.get(key)
        if index is None or index >= len(self.row):
            return ""
        return self.row[index].strip()

    def name(self) -> str:
        name = self.get("name")
        if not name and ("first" in self.columns or "last" in self.columns):
            name = f"{self.get('first')} {self.get('last')}".strip()
        return re.sub(r"\s+", " ", name)
