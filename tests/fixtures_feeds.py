"""Fixtures for the feed and subscription tests: a live server, khal, libical, the outbox.

``live_server`` serves the app on 127.0.0.1 (an ephemeral port) from a thread and stops
after the test. ``khal`` is Debian's khal with a configuration of its own in a temporary
folder (Europe/Berlin), so that it imports a feed and lists events as a person would see
them. ``libical_events`` reads a feed with libical through Debian's python3-gi (the
project's virtualenv has no ``gi``), so it runs in /usr/bin/python3.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from roadshow.database import utcnow
from roadshow.events.models import (
    Event,
    EventKind,
    EventStatus,
    PartnerRole,
    Series,
    Tour,
    Venue,
)
from roadshow.events.series import create_series_events
from roadshow.extensions import db
from roadshow.mail.models import OutboxMessage
from roadshow.partners.models import Partner

BERLIN = ZoneInfo("Europe/Berlin")
SYSTEM_PYTHON = "/usr/bin/python3"


def berlin(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Berlin wall time as a UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


def next_year() -> int:
    """A year wholly ahead, so that its March and April lie in every feed's window."""
    return datetime.now(UTC).year + 1


def year_ahead_where(month: int, day: int, weekday: int) -> int:
    """The first year from ``next_year()`` in which that day falls on ``weekday`` (0 is
    Monday), so that a test can spell out the date it expects, weekday and all."""
    year = next_year()
    while datetime(year, month, day).weekday() != weekday:
        year += 1
    return year


def retitle_event(event: Event, title: str) -> Event:
    """Give ``event`` a new title, and commit.

    The event services offer no title change (``change_event`` moves time, place and join
    link; ``cancel_event`` and ``publish_event`` change the status), so this changes the
    row directly, the way a real change does: SEQUENCE and ``content_changed_at`` rise.
    Subscribers hear of it only if the test calls ``notify_subscribers`` as well.
    """
    event.title = title
    event.sequence += 1
    event.content_changed_at = utcnow()
    db.session.commit()
    return event


def last_mail(recipient: str, template: str) -> OutboxMessage:
    """The newest outbox message of ``template`` to ``recipient``."""
    db.session.expire_all()
    message = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.recipient == recipient, OutboxMessage.template == template)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert message is not None, f"no {template} mail to {recipient}"
    return message


def link_in(text: str, path_part: str) -> str:
    """The first link in a mail text whose path contains ``path_part``."""
    for url in re.findall(r"https?://[^\s<>\"]+", text):
        if path_part in url:
            return url
    raise AssertionError(f"no link with {path_part!r} in:\n{text}")


EMAIL = "anna.huber@baeckerei-huber.example"


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def subscribe(
    submit_form: Callable[..., Any], email: str = EMAIL, url: str = "/subscribe", **choices: Any
) -> Any:
    return submit_form(url, {"email": email, "consent": "y", **choices})


def confirm(client: FlaskClient, submit_form: Callable[..., Any], email: str = EMAIL) -> str:
    """Follow the link of the newest confirmation mail and press the button; the page."""
    mail = last_mail(email, "calendar/confirm_subscription")
    confirm_path = path_of(link_in(mail.text_body, "/subscribe/confirm/"))
    response = submit_form(confirm_path, {})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@dataclass
class Khal:
    """Debian's khal with its own configuration and calendar folder."""

    config: Path

    def run(self, *args: str) -> str:
        result = subprocess.run(
            ["khal", "-c", str(self.config), *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin", "HOME": str(self.config.parent), "TZ": "UTC"},
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def import_ics(self, path: Path) -> None:
        self.run("import", "--batch", "-a", "roadshow", str(path))

    def list(self, start: str, end: str) -> list[str]:
        """One line per event: ``2027-03-24 12:00-13:00 Title [CANCELLED]``."""
        output = self.run(
            "list",
            "--format",
            "{start-date} {start-time}-{end-time} {title} {cancelled}",
            "--day-format",
            "",
            start,
            end,
        )
        return [line.strip() for line in output.splitlines() if line.strip()]


@pytest.fixture
def khal(tmp_path: Path) -> Khal:
    if shutil.which("khal") is None:
        pytest.skip("khal is not installed (Debian package khal; `make test` installs it)")
    folder = tmp_path / "khal"
    (folder / "calendar").mkdir(parents=True)
    config = folder / "khal.conf"
    config.write_text(
        f"""[calendars]
[[roadshow]]
path = {folder / "calendar"}
type = calendar

[locale]
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M
local_timezone = Europe/Berlin
default_timezone = Europe/Berlin

[sqlite]
path = {folder / "khal.db"}
""",
        encoding="utf-8",
    )
    return Khal(config=config)


LIBICAL_READER = r"""
import json, sys
import gi
gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib as I

calendar = I.Component.new_from_string(sys.stdin.read())
utc = I.Timezone.get_utc_timezone()
events = []
vevent = calendar.get_first_component(I.ComponentKind.VEVENT_COMPONENT)
while vevent is not None:
    start = vevent.get_dtstart()
    zone = start.get_timezone()
    start_utc = start.clone()
    start_utc.convert_to_zone_inplace(utc)
    events.append({
        "uid": vevent.get_uid(),
        "summary": vevent.get_summary(),
        "tzid": zone.get_tzid() if zone else None,
        "start_utc": start_utc.as_ical_string(),
        "status": vevent.get_status().value_nick,
        "sequence": vevent.get_sequence(),
        "attendees": vevent.count_properties(I.PropertyKind.ATTENDEE_PROPERTY),
    })
    vevent = calendar.get_next_component(I.ComponentKind.VEVENT_COMPONENT)
print(json.dumps({
    "kind": calendar.isa().value_nick,
    "errors": calendar.count_errors(),
    "methods": calendar.count_properties(I.PropertyKind.METHOD_PROPERTY),
    "events": events,
}))
"""


@pytest.fixture
def libical_read() -> Callable[[bytes], dict[str, Any]]:
    """Parse iCalendar bytes with libical; returns its errors and events (UTC starts)."""
    check = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import gi; gi.require_version('ICalGLib', '3.0')"],
        capture_output=True,
        check=False,
    )
    if check.returncode != 0:
        pytest.skip("libical for Python is not installed (Debian: gir1.2-ical-3.0 python3-gi)")

    def read(ics: bytes) -> dict[str, Any]:
        result = subprocess.run(
            [SYSTEM_PYTHON, "-c", LIBICAL_READER],
            input=ics,
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr.decode()
        return dict(json.loads(result.stdout))

    return read


@dataclass
class SpringTour:
    """Next year's spring: stops in Rosenheim and Weilheim, a workshop in Rosenheim, and a
    weekly webinar at 12:00 Berlin time from 17 March to 14 April, across the change to
    summer time (always between 25 and 31 March)."""

    year: int
    tour: Tour
    partner: Partner
    rosenheim_stop: Event
    weilheim_stop: Event
    rosenheim_workshop: Event
    webinars: list[Event]

    @property
    def events(self) -> list[Event]:
        return [
            self.rosenheim_stop,
            self.weilheim_stop,
            self.rosenheim_workshop,
            *self.webinars,
        ]


@pytest.fixture
def spring_tour(
    app: Flask,
    make_tour: Callable[..., Tour],
    make_venue: Callable[..., Venue],
    make_partner: Callable[..., Partner],
    make_event: Callable[..., Event],
) -> SpringTour:
    year = next_year()
    tour = make_tour(slug=f"digital-vor-ort-{year}", title=f"Digital vor Ort {year}")
    partner = make_partner(slug="alpentel", name="Alpentel Kommunikation GmbH")
    rosenheim = make_venue(
        name="Kultur- und Kongresszentrum",
        street="Kufsteiner Straße 4",
        postcode="83022",
        town="Rosenheim",
    )
    weilheim = make_venue(name="Stadthalle", town="Weilheim")
    published = utcnow() - timedelta(days=10)
    rosenheim_stop = make_event(
        slug=f"{year}-03-10-rosenheim",
        title="Digital vor Ort: Rosenheim",
        tour=tour,
        venue=rosenheim,
        starts_at=berlin(year, 3, 10, 18),
        ends_at=berlin(year, 3, 10, 21),
        published_at=published,
        partners={partner: PartnerRole.HOST},
    )
    weilheim_stop = make_event(
        slug=f"{year}-04-06-weilheim",
        title="Digital vor Ort: Weilheim",
        tour=tour,
        venue=weilheim,
        starts_at=berlin(year, 4, 6, 18),
        ends_at=berlin(year, 4, 6, 21),
        published_at=published,
    )
    workshop = make_event(
        kind=EventKind.WORKSHOP,
        slug=f"{year}-04-20-workshop-rosenheim",
        title="Workshop: Online-Shop in 30 Tagen",
        venue=rosenheim,
        starts_at=berlin(year, 4, 20, 9),
        ends_at=berlin(year, 4, 20, 13),
        published_at=published,
    )
    series = Series(
        kind=EventKind.WEBINAR,
        tour_id=tour.id,
        title="Digitale Mittagspause",
        description="Jeden Mittwoch eine Stunde Praxiswissen online.",
        rrule="FREQ=WEEKLY;COUNT=5",
        first_starts_at=berlin(year, 3, 17, 12),
        duration_minutes=60,
        timezone="Europe/Berlin",
        capacity=200,
    )
    db.session.add(series)
    webinars = create_series_events(
        db.session, series, slug_prefix="digitale-mittagspause", status=EventStatus.PUBLISHED
    )
    for webinar in webinars:
        webinar.join_url = f"https://webinar.roadshow.example/join/{webinar.slug}"
        webinar.published_at = published
    db.session.commit()
    return SpringTour(
        year=year,
        tour=tour,
        partner=partner,
        rosenheim_stop=rosenheim_stop,
        weilheim_stop=weilheim_stop,
        rosenheim_workshop=workshop,
        webinars=webinars,
    )
