"""Helpers for tests of the pages: logging in, the demo data, dates as pages write them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from roadshow.accounts.models import User
from roadshow.database import DBSession
from roadshow.demo import seed, tour_year

PASSWORD = "correct horse battery"  # every make_user user's, unless the test gives one


def log_in(submit_form: Callable[..., Any], user: User) -> None:
    """Log ``user`` in through the login page (``make_user`` gives everyone ``PASSWORD``)."""
    response = submit_form("/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def seed_demo_ahead(session: DBSession) -> date:
    """Seed the demo tour for today, so that it lies ahead whenever the suite runs (a fixed
    day would let its events pass); returns the day of its Weilheim stop, 6 April."""
    today = datetime.now(ZoneInfo("Europe/Berlin")).date()
    seed(session, today=today)
    session.commit()
    return date(tour_year(today), 4, 6)


GERMAN_WEEKDAY_NAMES = (
    "Montag",
    "Dienstag",
    "Mittwoch",
    "Donnerstag",
    "Freitag",
    "Samstag",
    "Sonntag",
)


def german_day_written_out(day: date) -> str:
    """An April day as the event page and mail write it: "Dienstag, 6. April 2027"."""
    return f"{GERMAN_WEEKDAY_NAMES[day.weekday()]}, {day.day}. April {day.year}"
