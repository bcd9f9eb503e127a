"""The partner's figures in its portal: attended and no-shows on its event pages with a
chart, a report over all its events with downloads, and nothing of another partner."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from roadshow.accounts.models import Role, User
from roadshow.events.models import Event, PartnerRole
from roadshow.extensions import db
from tests.fixtures_pages import log_in
from tests.fixtures_reports import ReportWorld, add_registration, check_in


@pytest.fixture
def partner_user(
    make_user: Callable[..., User], submit_form: Callable[..., Any], report_world: ReportWorld
) -> User:
    user = make_user(role=Role.PARTNER, partner_id=report_world.partner.id)
    log_in(submit_form, user)
    return user


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _cells(html: str, row_id: str) -> list[str]:
    match = re.search(rf'<tr id="{row_id}">(.*?)</tr>', html, re.DOTALL)
    assert match, row_id
    return [_text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", match.group(1), re.DOTALL)]


def test_the_event_page_shows_attended_and_no_shows_with_a_chart(
    client: FlaskClient, partner_user: User, report_world: ReportWorld
) -> None:
    stop = report_world.stop
    html = client.get(f"/partner/events/{stop.id}").get_data(as_text=True)
    assert "<h2>Teilnahme</h2>" in html
    assert _cells(html, f"event-{stop.id}") == ["5", "4", "4", "1", "2", "2", "2", "50,0 %"]
    svg = re.search(r"<svg\b.*?</svg>", html, re.DOTALL)
    assert svg and "<script" not in svg.group(0)
    assert "Teilgenommen" in svg.group(0) and "Nicht erschienen" in svg.group(0)
    assert 'role="img"' in svg.group(0)


def test_an_event_ahead_shows_no_no_shows_yet(
    client: FlaskClient,
    partner_user: User,
    report_world: ReportWorld,
    make_event: Callable[..., Event],
) -> None:
    ahead = make_event(partners={report_world.partner: PartnerRole.HOST})
    add_registration(ahead, "Firma A", 2)
    db.session.commit()
    html = client.get(f"/partner/events/{ahead.id}").get_data(as_text=True)
    assert _cells(html, f"event-{ahead.id}")[-2:] == ["–", "–"]
    assert "Nicht erschienene Personen zählen erst" in html


def test_the_report_page_lists_its_events_and_totals_only(
    client: FlaskClient, partner_user: User, report_world: ReportWorld
) -> None:
    w = report_world
    assert 'href="/partner/report"' in client.get("/partner/").get_data(as_text=True)
    html = client.get("/partner/report").get_data(as_text=True)
    assert _cells(html, f"event-{w.stop.id}")[3:] == ["5", "4", "4", "1", "2", "2", "2", "50,0 %"]
    assert _cells(html, f"event-{w.webinar.id}")[3:] == [
        "3",
        "3",
        "3",
        "0",
        "0",
        "1",
        "2",
        "66,7 %",
    ]
    assert _cells(html, "totals")[1:] == ["8", "5", "7", "1", "2", "3", "4", "57,1 %"]
    assert "Sicherheitstag" not in html and "Geheim KG" not in html
    assert "Digitaltour 2025" not in html  # the old stop is not the partner's event
    referred = re.search(r'<table class="report referred".*?</table>', html, re.DOTALL)
    assert referred and _text(referred.group(0)).split()[-4:] == ["4", "3", "4", "2"]
    assert "<script" not in html.lower()


def test_the_report_downloads(
    client: FlaskClient, partner_user: User, report_world: ReportWorld
) -> None:
    response = client.get("/partner/report.csv")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert [row[0] for row in rows[1:4]] == ["Tourstopp Weilheim", "Webinar Cloud", "Summe"]
    assert rows[3][3:] == ["8", "5", "7", "1", "2", "3", "4", "0.5714"]
    assert "Sicherheitstag" not in response.get_data(as_text=True)
    sheet = load_workbook(io.BytesIO(client.get("/partner/report.xlsx").data)).active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[3][0] == "Summe" and values[3][3:10] == [8, 5, 7, 1, 2, 3, 4]


def test_another_partners_event_answers_404(
    client: FlaskClient, partner_user: User, report_world: ReportWorld
) -> None:
    assert client.get(f"/partner/events/{report_world.other_event.id}").status_code == 404


def test_the_new_pages_take_the_same_number_of_queries_for_one_and_sixteen_events(
    client: FlaskClient,
    partner_user: User,
    report_world: ReportWorld,
    make_event: Callable[..., Event],
    count_queries: Callable[[], Any],
) -> None:
    urls = (
        "/partner/report",
        "/partner/report.csv",
        "/partner/report.xlsx",
        f"/partner/events/{report_world.stop.id}",
    )

    def counts() -> dict[str, int]:
        found = {}
        for url in urls:
            with count_queries() as statements:
                assert client.get(url).status_code == 200
            found[url] = len(statements)
        return found

    few = counts()
    starts = datetime.now(UTC) - timedelta(days=5)
    for n in range(14):
        event = make_event(
            starts_at=starts + timedelta(days=n),
            partners={report_world.partner: PartnerRole.SPEAKER},
        )
        people = add_registration(event, f"Firma {n}", 2)
        check_in(people[0])
    db.session.commit()
    assert counts() == few
    assert max(few.values()) <= 8, few


def test_a_stop_ahead_with_check_ins_shows_its_no_shows(
    client: FlaskClient,
    partner_user: User,
    report_world: ReportWorld,
    make_event: Callable[..., Event],
) -> None:
    """The demo's Weilheim stop lies ahead; once the door is worked, it counts as held."""
    ahead = make_event(partners={report_world.partner: PartnerRole.HOST})
    people = add_registration(ahead, "Firma A", 4)
    check_in(people[0])
    check_in(people[1])
    db.session.commit()
    html = client.get(f"/partner/events/{ahead.id}").get_data(as_text=True)
    assert _cells(html, f"event-{ahead.id}")[-3:] == ["2", "2", "50,0 %"]
    assert "Nicht erschienene Personen zählen erst" not in html
