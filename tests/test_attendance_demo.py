"""The issue's whole path on the demo: four people checked in at the Weilheim stop, a Zoom
and a Teams report imported for the first webinar (a row assigned by hand), and the
partner's user seeing attended and no-show figures with a chart in the portal."""

from __future__ import annotations

import re

import sqlalchemy as sa

from roadshow.accounts.models import User
from roadshow.attendance import checkin
from roadshow.attendance.imports import assign_unmatched, import_report
from roadshow.attendance.models import CheckIn, CheckInMethod
from roadshow.demo import PARTNER_USER_EMAIL
from roadshow.events.models import Event, EventKind
from roadshow.extensions import db
from roadshow.registrations.models import Attendee
from tests.conftest import csrf_token_from
from tests.fixtures_attendance import real_report
from tests.fixtures_pages import seed_demo_ahead

DEMO_PASSWORD = "roadshow-demo-2027"


def _cells(html: str, row_id: str) -> list[str]:
    row = re.search(rf'<tr id="{row_id}">(.*?)</tr>', html, re.DOTALL)
    assert row, row_id
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.DOTALL)
    ]


def test_door_imports_and_the_partners_figures_on_the_demo(app, client):
    seed_demo_ahead(db.session)
    weilheim = db.session.scalar(sa.select(Event).where(Event.slug.like("%-04-06-weilheim")))
    webinar = db.session.scalar(
        sa.select(Event).where(Event.kind == EventKind.WEBINAR).order_by(Event.starts_at).limit(1)
    )
    organiser = db.session.scalar(
        sa.select(User).where(User.email == "organisator@roadshow.example")
    )

    people = db.session.scalars(
        sa.select(Attendee).where(Attendee.event_id == weilheim.id).order_by(Attendee.id)
    ).all()
    assert len(people) == 10
    for person in people[:4]:
        checkin.check_in(db.session, weilheim, person, method=CheckInMethod.QR, by=organiser)
    db.session.commit()

    zoom = import_report(
        db.session,
        webinar,
        real_report("zoom_meeting_participants_2021_guest_excerpt.csv"),
        "zoom.csv",
        by=organiser,
    )
    teams = import_report(
        db.session,
        webinar,
        real_report("teams_2022_meeting-summary_en-US_utf16le_A.csv"),
        "teams.csv",
        by=organiser,
    )
    db.session.commit()
    assert zoom.format.startswith("zoom") and teams.format.startswith("teams")
    assert zoom.unmatched and teams.unmatched  # real exports: nobody of the demo in them
    someone = db.session.scalar(
        sa.select(Attendee).where(Attendee.event_id == webinar.id).order_by(Attendee.id).limit(1)
    )
    longest = max(range(len(teams.unmatched)), key=lambda i: teams.unmatched[i]["minutes"] or 0)
    assign_unmatched(db.session, teams.import_, longest, someone, by=organiser)
    db.session.commit()
    row = db.session.scalar(sa.select(CheckIn).where(CheckIn.attendee_id == someone.id))
    assert row.method is CheckInMethod.WEBINAR_IMPORT
    assert row.minutes_attended == teams.unmatched[longest]["minutes"]

    page = client.get("/login").get_data(as_text=True)
    login = client.post(
        "/login",
        data={
            "email": PARTNER_USER_EMAIL,
            "password": DEMO_PASSWORD,
            "csrf_token": csrf_token_from(page),
        },
    )
    assert login.status_code == 302
    html = client.get(f"/partner/events/{weilheim.id}").get_data(as_text=True)
    cells = _cells(html, f"event-{weilheim.id}")
    assert cells[-3:] == ["4", "6", "60,0 %"]  # attended, no-shows, no-show rate
    svg = re.search(r"<svg\b.*?</svg>", html, re.DOTALL)
    assert svg and "Teilgenommen" in svg.group(0) and "<script" not in svg.group(0)
