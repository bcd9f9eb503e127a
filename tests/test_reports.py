"""Reports on who came: figures per event, tour and partner, the no-show rule, the funnel,
two editions compared, breakdowns, the pages with chart, table and downloads."""

from __future__ import annotations

import csv
import io
import random
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from roadshow.attendance import reports
from roadshow.attendance.models import CheckIn, CheckInMethod
from roadshow.attendance.reports import Figures
from roadshow.events.models import Event, EventKind, EventStatus, PartnerRole, Series, Tour
from roadshow.extensions import db
from roadshow.partners.models import Partner
from roadshow.registrations.models import (
    Attendee,
    AttendeeStatus,
    Registration,
    RegistrationStatus,
)
from tests.fixtures_pages import log_in
from tests.fixtures_reports import ReportWorld, add_registration, check_in


def figures_of(report: reports.GroupReport, event: Event) -> Figures:
    (found,) = [item.figures for item in report.events if item.event.id == event.id]
    return found


def as_tuple(f: Figures) -> tuple[int, ...]:
    return (f.registered, f.companies, f.confirmed, f.waiting, f.cancelled, f.attended, f.no_show)


def test_figures_per_event_count_persons_companies_and_no_shows(report_world: ReportWorld) -> None:
    w = report_world
    report = reports.tour_report(db.session, w.tour).report
    assert [item.event.title for item in report.events] == [
        "Tourstopp Weilheim",
        "Webinar Cloud",
        "Workshop KI",
    ]
    stop = figures_of(report, w.stop)
    assert as_tuple(stop) == (5, 4, 4, 1, 2, 2, 2)
    assert stop.held and stop.no_show_rate == 0.5
    webinar = figures_of(report, w.webinar)
    assert as_tuple(webinar) == (3, 3, 3, 0, 0, 1, 2)
    assert webinar.no_show_rate == pytest.approx(2 / 3)
    workshop = figures_of(report, w.workshop)
    assert as_tuple(workshop) == (1, 1, 1, 0, 0, 0, 0)
    assert not workshop.held and workshop.no_show_rate is None
    assert as_tuple(report.totals) == (9, 5, 8, 1, 2, 3, 4)
    assert report.totals.confirmed_held == 7
    assert report.totals.no_show_rate == pytest.approx(4 / 7)


def test_an_event_ahead_with_a_check_in_counts_as_held(
    report_world: ReportWorld, make_event: Callable[..., Event]
) -> None:
    ahead = make_event(title="Weilheim heute")
    people = add_registration(ahead, "Firma A", 3)
    assert not reports.event_report(db.session, ahead).totals.held
    check_in(people[0])
    db.session.commit()
    figures = reports.event_report(db.session, ahead).totals
    assert figures.held
    assert (figures.attended, figures.no_show) == (1, 2)
    assert figures.no_show_rate == pytest.approx(2 / 3)


def test_referrals_per_partner(report_world: ReportWorld) -> None:
    report = reports.event_report(db.session, report_world.stop)
    assert [(r.partner_name, r.registrations, r.persons) for r in report.referrals] == [
        ("Netzwerk Telekom GmbH", 2, 2)
    ]


def test_breakdowns_by_company_size_industry_and_town(report_world: ReportWorld) -> None:
    report = reports.event_report(db.session, report_world.stop)
    as_rows = {
        column: [(r.value, r.registered, r.attended) for r in rows]
        for column, rows in report.breakdowns.items()
    }
    assert as_rows == {
        "company_size": [("", 2, 0), ("1-9", 2, 1), ("10-49", 1, 1)],
        "industry": [("", 2, 0), ("Handel", 1, 1), ("Handwerk", 2, 1)],
        "town": [("", 2, 0), ("Murnau", 1, 1), ("Weilheim", 2, 1)],
    }


def test_the_funnel_follows_the_same_companies_across_the_tour(report_world: ReportWorld) -> None:
    funnel = reports.tour_report(db.session, report_world.tour).report.funnel
    assert funnel is not None
    assert funnel.registered == (4, 2, 1)
    assert funnel.attended == (2, 1, 0)


def test_two_editions_compared(report_world: ReportWorld) -> None:
    first, second = reports.compare_tours(db.session, report_world.tour, report_world.old_tour)
    assert as_tuple(first.report.totals) == (9, 5, 8, 1, 2, 3, 4)
    assert as_tuple(second.report.totals) == (2, 1, 2, 0, 0, 1, 1)
    assert second.report.funnel is not None and second.report.funnel.registered == (1, 0, 0)


def test_partner_report_shows_its_events_and_what_it_brought(report_world: ReportWorld) -> None:
    found = reports.partner_report(db.session, report_world.partner)
    assert [item.event.title for item in found.report.events] == [
        "Tourstopp Weilheim",
        "Webinar Cloud",
    ]
    assert as_tuple(found.report.totals) == (8, 5, 7, 1, 2, 3, 4)
    referred = found.referred
    assert (referred.registered, referred.companies, referred.confirmed, referred.attended) == (
        4,
        3,
        4,
        2,
    )


def test_drafts_are_in_no_report(
    report_world: ReportWorld, make_event: Callable[..., Event]
) -> None:
    make_event(tour=report_world.tour, status=EventStatus.DRAFT, title="Entwurf")
    report = reports.tour_report(db.session, report_world.tour).report
    assert "Entwurf" not in [item.event.title for item in report.events]


# --- pages ---------------------------------------------------------------------------


@pytest.fixture
def organiser(make_user: Callable[..., Any], submit_form: Callable[..., Any]) -> Any:
    user = make_user()
    log_in(submit_form, user)
    return user


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _row(html: str, row_id: str) -> list[str]:
    """The cells of the table row with ``id``, as text."""
    match = re.search(rf'<tr id="{row_id}">(.*?)</tr>', html, re.DOTALL)
    assert match, row_id
    return [
        _text(c).strip()
        for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", match.group(1), re.DOTALL)
    ]


def _svg(html: str) -> str:
    match = re.search(r"<svg\b.*?</svg>", html, re.DOTALL)
    assert match
    return match.group(0)


def test_the_back_office_has_a_reports_entry(client: FlaskClient, organiser: Any) -> None:
    html = client.get("/organiser/").get_data(as_text=True)
    assert 'href="/organiser/reports/">Berichte</a>' in html


def test_overview_lists_tours_partners_and_every_event_with_figures(
    client: FlaskClient, organiser: Any, report_world: ReportWorld
) -> None:
    response = client.get("/organiser/reports/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Digitaltour 2026" in html and "Digitaltour 2025" in html
    assert "Netzwerk Telekom GmbH" in html
    w = report_world
    assert _row(html, f"event-{w.stop.id}")[3:] == ["5", "4", "4", "1", "2", "2", "2", "50,0 %"]
    assert _row(html, f"event-{w.workshop.id}")[3:] == ["1", "1", "1", "0", "0", "0", "–", "–"]
    # Totals over five events: the other partner's event adds one confirmed person ahead.
    assert _row(html, "totals")[1:] == ["12", "6", "11", "1", "2", "4", "5", "55,6 %"]
    svg = _svg(html)
    assert "<script" not in html.lower()
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "Tourstopp Weilheim" in svg and "Nicht erschienen" in svg


def test_event_page_shows_chart_table_referrals_and_breakdowns(
    client: FlaskClient, organiser: Any, report_world: ReportWorld
) -> None:
    w = report_world
    html = client.get(f"/organiser/reports/events/{w.stop.id}").get_data(as_text=True)
    assert _row(html, f"event-{w.stop.id}")[3:] == ["5", "4", "4", "1", "2", "2", "2", "50,0 %"]
    assert _row(html, f"referral-{w.partner.id}") == ["Netzwerk Telekom GmbH", "2", "2"]
    assert "Nach Unternehmensgröße" in html and "Handwerk" in html and "Murnau" in html
    assert "10–49 Beschäftigte" in html  # the form's label, not the stored "10-49"
    svg = _svg(html)
    assert "Teilnahme je Veranstaltung" in svg and "Bestätigt" in svg and "Teilgenommen" in svg
    # No script, and no <style> either: the content security policy would refuse it, and
    # roadshow.css draws the chart.
    assert "<script" not in svg and "<style" not in svg
    stylesheet = client.get("/static/roadshow.css")
    assert "svg.pygal-chart .color-0" in stylesheet.get_data(as_text=True)
    stylesheet.close()  # static files are streamed from an open file


def test_a_draft_or_unknown_event_has_no_report(
    client: FlaskClient, organiser: Any, make_event: Callable[..., Event]
) -> None:
    draft = make_event(status=EventStatus.DRAFT)
    assert client.get(f"/organiser/reports/events/{draft.id}").status_code == 404
    assert client.get("/organiser/reports/events/999999").status_code == 404
    assert client.get("/organiser/reports/tours/999999").status_code == 404
    assert client.get("/organiser/reports/partners/999999").status_code == 404


def test_tour_page_shows_the_funnel(
    client: FlaskClient, organiser: Any, report_world: ReportWorld
) -> None:
    html = client.get(f"/organiser/reports/tours/{report_world.tour.id}").get_data(as_text=True)
    funnel = re.search(r'<table class="report funnel".*?</table>', html, re.DOTALL)
    assert funnel
    text = _text(funnel.group(0))
    assert "Tourstopp 4 2" in text and "und Webinar 2 1" in text and "und Workshop 1 0" in text
    assert "Unternehmen über die Tour" in html
    assert _row(html, "totals")[1:] == ["9", "5", "8", "1", "2", "3", "4", "57,1 %"]


def test_partner_page(client: FlaskClient, organiser: Any, report_world: ReportWorld) -> None:
    html = client.get(f"/organiser/reports/partners/{report_world.partner.id}").get_data(
        as_text=True
    )
    assert "Tourstopp Weilheim" in html and "Webinar Cloud" in html
    assert "Sicherheitstag" not in html
    assert _row(html, "totals")[1:] == ["8", "5", "7", "1", "2", "3", "4", "57,1 %"]
    referred = re.search(r'<table class="report referred".*?</table>', html, re.DOTALL)
    assert referred and _text(referred.group(0)).split()[-4:] == ["4", "3", "4", "2"]


def test_comparison_form_and_figures(
    client: FlaskClient, organiser: Any, report_world: ReportWorld
) -> None:
    w = report_world
    html = client.get("/organiser/reports/compare").get_data(as_text=True)
    assert 'id="first" name="first"' in html and 'id="comparison"' not in html
    html = client.get(f"/organiser/reports/compare?first={w.tour.id}&second={w.tour.id}").get_data(
        as_text=True
    )
    assert "Bitte wählen Sie zwei verschiedene Ausgaben." in html
    html = client.get(
        f"/organiser/reports/compare?first={w.tour.id}&second={w.old_tour.id}"
    ).get_data(as_text=True)
    assert _row(html, f"edition-{w.tour.id}")[1:] == [
        "3",
        "9",
        "5",
        "8",
        "1",
        "2",
        "3",
        "4",
        "57,1 %",
        "4",
        "2",
        "1",
    ]
    assert _row(html, f"edition-{w.old_tour.id}")[1:] == [
        "1",
        "2",
        "1",
        "2",
        "0",
        "0",
        "1",
        "1",
        "50,0 %",
        "1",
        "0",
        "0",
    ]
    assert "Vergleich der Ausgaben" in _svg(html)
    for nonsense in ("first=abc&second=1", f"first={w.tour.id}&second=999999"):
        response = client.get(f"/organiser/reports/compare?{nonsense}")
        assert response.status_code == 200
        assert 'class="error"' in response.get_data(as_text=True)


def _csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def _xlsx(data: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_event_downloads_hold_the_figures_and_breakdowns(
    client: FlaskClient, organiser: Any, report_world: ReportWorld
) -> None:
    url = f"/organiser/reports/events/{report_world.stop.id}/report"
    response = client.get(f"{url}.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response.data)
    assert rows[0][:4] == ["Veranstaltung", "Art", "Datum", "Angemeldete Personen"]
    assert rows[1][0] == "Tourstopp Weilheim"
    assert rows[1][3:] == ["5", "4", "4", "1", "2", "2", "2", "0.5"]
    assert rows[2][0] == "Summe"
    assert ["Nach Branche", "Angemeldete Personen", "Teilgenommen"] in rows
    assert ["Handwerk", "2", "1"] in rows
    sheet = _xlsx(client.get(f"{url}.xlsx").data)
    assert sheet[1][0] == "Tourstopp Weilheim"
    assert sheet[1][3:11] == [5, 4, 4, 1, 2, 2, 2, 0.5]
    assert tuple(next(r for r in sheet if r[0] == "Handwerk")[:3]) == ("Handwerk", 2, 1)


def test_tour_partner_and_comparison_downloads(
    client: FlaskClient, organiser: Any, report_world: ReportWorld
) -> None:
    w = report_world
    rows = _csv(client.get(f"/organiser/reports/tours/{w.tour.id}/report.csv").data)
    assert ["Summe", "", "", "9", "5", "8", "1", "2", "3", "4", "0.5714"] in rows
    assert ["und Webinar", "2", "1"] in rows
    sheet = _xlsx(client.get(f"/organiser/reports/partners/{w.partner.id}/report.xlsx").data)
    assert [r[0] for r in sheet[1:3]] == ["Tourstopp Weilheim", "Webinar Cloud"]
    assert list(sheet[-1][:5]) == [None, 4, 3, 4, 2]  # an empty cell reads back as None
    compared = _csv(
        client.get(f"/organiser/reports/compare/{w.tour.id}/{w.old_tour.id}/report.csv").data
    )
    assert compared[1] == [
        "Digitaltour 2026",
        "3",
        "9",
        "5",
        "8",
        "1",
        "2",
        "3",
        "4",
        "0.5714",
        "4",
        "2",
        "1",
    ]
    assert compared[2][0] == "Digitaltour 2025"
    assert _xlsx(client.get("/organiser/reports/report.xlsx").data)[-1][0] == "Summe"


def test_downloads_are_safe_from_formulas(
    client: FlaskClient, organiser: Any, make_event: Callable[..., Event]
) -> None:
    event = make_event(title='=HYPERLINK("http://böse.example")')
    add_registration(event, "@Firma", industry="+Branche")
    db.session.commit()
    rows = _csv(client.get(f"/organiser/reports/events/{event.id}/report.csv").data)
    assert rows[1][0] == '\'=HYPERLINK("http://böse.example")'
    assert ["'+Branche", "1", "0"] in rows
    sheet = load_workbook(
        io.BytesIO(client.get(f"/organiser/reports/events/{event.id}/report.xlsx").data)
    ).active
    assert sheet is not None
    assert sheet["A2"].data_type == "s" and sheet["A2"].value.startswith("=HYPERLINK")


def test_pages_run_a_bounded_number_of_queries(
    client: FlaskClient,
    organiser: Any,
    report_world: ReportWorld,
    make_event: Callable[..., Event],
    count_queries: Callable[[], Any],
) -> None:
    w = report_world
    urls = [
        "/organiser/reports/",
        f"/organiser/reports/tours/{w.tour.id}",
        f"/organiser/reports/partners/{w.partner.id}",
        f"/organiser/reports/events/{w.stop.id}",
        f"/organiser/reports/compare?first={w.tour.id}&second={w.old_tour.id}",
        f"/organiser/reports/tours/{w.tour.id}/report.xlsx",
    ]

    def counts() -> list[int]:
        found = []
        for url in urls:
            with count_queries() as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    before = counts()
    starts = datetime.now(UTC) - timedelta(days=2)
    from roadshow.events.models import PartnerRole

    for n in range(15):
        event = make_event(
            tour=w.tour,
            starts_at=starts + timedelta(days=n),
            partners={w.partner: PartnerRole.SPONSOR},
        )
        people = add_registration(event, f"Firma {n}", 3, industry=f"Branche {n}")
        check_in(people[0])
    db.session.commit()
    assert counts() == before


def test_chart_labels_are_escaped(
    client: FlaskClient, organiser: Any, make_event: Callable[..., Event]
) -> None:
    event = make_event(title='<script>alert("x")</script> & Co')
    add_registration(event, "Firma")
    db.session.commit()
    html = client.get(f"/organiser/reports/events/{event.id}").get_data(as_text=True)
    assert "<script" not in html
    assert "&lt;script&gt;" in _svg(html)


# --- every figure against a plain recount ------------------------------------------------


def _key(name: str) -> str:
    return name.strip(" ").replace("Ä", "ä").replace("Ö", "ö").replace("Ü", "ü").lower()


def _check_in_of(attendee: Attendee) -> CheckIn | None:
    return db.session.scalar(select(CheckIn).where(CheckIn.attendee_id == attendee.id))


def _present(attendee: Attendee) -> bool:
    found = _check_in_of(attendee)
    return found is not None and found.attended


def _recount(
    events: list[Event], now: datetime, *, one_event: bool = False
) -> tuple[dict[int, tuple[Any, ...]], tuple[Any, ...]]:
    """Figures per event and in total, counted in Python from the loaded rows by the rules
    the module ``reports`` states (``one_event``: companies as ``event_figures`` counts them,
    among the persons not cancelled)."""
    per_event: dict[int, tuple[Any, ...]] = {}
    all_companies: set[str] = set()
    for event in events:
        people = [
            (a, r)
            for r in db.session.scalars(
                select(Registration).where(Registration.event_id == event.id)
            )
            for a in r.attendees
        ]
        active = [(a, r) for a, r in people if a.status is AttendeeStatus.ACTIVE]
        kept = [(a, r) for a, r in active if r.status is not RegistrationStatus.CANCELLED]
        confirmed = [a for a, r in active if r.status is RegistrationStatus.CONFIRMED]
        present = {a.id for a, _ in people if _present(a)}
        check_ins = sum(_check_in_of(a) is not None for a, _ in people)
        # Companies from the registrations, with persons or without (none left).
        named = {
            _key(r.company_name)
            for r in db.session.scalars(
                select(Registration).where(Registration.event_id == event.id)
            )
            if not r.is_cancelled
        }
        companies = {_key(r.company_name) for _, r in kept} if one_event else named
        all_companies |= named
        if not people:
            companies = set()
        held = event.ends_at < now or check_ins > 0
        absent = sum(a.id not in present for a in confirmed)
        per_event[event.id] = (
            len(kept),
            len(companies),
            len(confirmed),
            sum(r.status is RegistrationStatus.WAITLISTED for _, r in active),
            len(people) - len(kept),
            len(present),
            absent if held else 0,
            held,
            len(confirmed) if held else 0,
        )
    sums = [sum(f[i] for f in per_event.values()) for i in range(7)]
    sums[1] = len(all_companies) if events else 0
    totals = (
        *sums,
        any(f[7] for f in per_event.values()),
        sum(f[8] for f in per_event.values()),
    )
    return per_event, totals


def _all_figures(f: Figures) -> tuple[Any, ...]:
    return (*as_tuple(f), f.held, f.confirmed_held)


def _recount_referrals(events: list[Event]) -> dict[int, list[tuple[str, int, int]]]:
    found: dict[int, list[tuple[str, int, int]]] = {}
    for event in events:
        per_partner: dict[str, list[int]] = {}
        for r in db.session.scalars(select(Registration).where(Registration.event_id == event.id)):
            persons = sum(a.status is AttendeeStatus.ACTIVE for a in r.attendees)
            if r.referral_partner is None or r.is_cancelled or not persons:
                continue
            counts = per_partner.setdefault(r.referral_partner.name, [0, 0])
            counts[0] += 1
            counts[1] += persons
        found[event.id] = [(name, n, p) for name, (n, p) in sorted(per_partner.items())]
    return found


def _recount_breakdowns(events: list[Event]) -> dict[str, list[tuple[str, int, int]]]:
    found: dict[str, dict[str, list[int]]] = {c: {} for c in reports.BREAKDOWNS}
    for event in events:
        for r in db.session.scalars(select(Registration).where(Registration.event_id == event.id)):
            if r.is_cancelled:
                continue
            for a in r.attendees:
                if a.status is not AttendeeStatus.ACTIVE:
                    continue
                for column in reports.BREAKDOWNS:
                    counts = found[column].setdefault((getattr(r, column) or "").strip(" "), [0, 0])
                    counts[0] += 1
                    counts[1] += bool(_present(a))
    return {c: [(v, n, p) for v, (n, p) in sorted(rows.items())] for c, rows in found.items()}


def _recount_funnel(events: list[Event]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    registered: dict[str, set[EventKind]] = {}
    attended: dict[str, set[EventKind]] = {}
    for event in events:
        for r in db.session.scalars(select(Registration).where(Registration.event_id == event.id)):
            for a in r.attendees:
                key = _key(r.company_name)
                registered.setdefault(key, set())
                attended.setdefault(key, set())
                if a.status is AttendeeStatus.ACTIVE and not r.is_cancelled:
                    registered[key].add(event.kind)
                if _present(a):
                    attended[key].add(event.kind)

    def stages(kinds: dict[str, set[EventKind]]) -> tuple[int, ...]:
        path = (EventKind.STOP, EventKind.WEBINAR, EventKind.WORKSHOP)
        return tuple(sum(set(path[: n + 1]) <= k for k in kinds.values()) for n in range(3))

    return stages(registered), stages(attended)


@pytest.fixture
def mixed_world(
    make_tour: Callable[..., Tour],
    make_event: Callable[..., Event],
    make_partner: Callable[..., Partner],
) -> tuple[Tour, Tour, Partner]:
    """Two tours (one with a series), drafts, an event nobody registered for, and random
    registrations of every status with cancelled persons, door check-ins and webinar rows
    too short to count, names typed in varying case, umlauts and spaces."""
    chance = random.Random(20261203)
    partners = [make_partner(name=f"Partner {n}") for n in range(3)]
    tour, other_tour = make_tour(title="Tour A"), make_tour(title="Tour B")
    series = Series(
        kind=EventKind.WEBINAR,
        title="Reihe",
        rrule="FREQ=WEEKLY;COUNT=2",
        first_starts_at=datetime.now(UTC),
        duration_minutes=60,
        tour_id=tour.id,
    )
    db.session.add(series)
    db.session.flush()
    past = datetime.now(UTC).replace(microsecond=0) - timedelta(days=20)
    events = []
    for n in range(12):
        kind = (EventKind.STOP, EventKind.WEBINAR, EventKind.WORKSHOP)[n % 3]
        events.append(
            make_event(
                tour=(tour, other_tour, None)[n % 4 % 3],
                series_id=series.id if n == 7 else None,
                kind=kind,
                status=EventStatus.DRAFT if n == 5 else EventStatus.PUBLISHED,
                starts_at=past + timedelta(days=3 * n),
                partners={
                    partners[n % 3]: PartnerRole.HOST,
                    partners[(n + 1) % 3]: PartnerRole.SPEAKER,
                },
            )
        )
    names = ["Bäckerei Huber", "BÄCKEREI HUBER ", " Öko Bau", "öko bau", "Übersee KG", "Druck GmbH"]
    for event in events[:-1]:  # the last one: nobody registered
        for _ in range(chance.randint(3, 9)):
            status = chance.choice(list(RegistrationStatus))
            people = add_registration(
                event,
                chance.choice(names) + chance.choice(["", " ", "x"]),
                chance.randint(0 if status is not RegistrationStatus.CANCELLED else 1, 3),
                status=status,
                cancelled_people=chance.randint(0, 1),
                referral=chance.choice([None, *partners]),
                size=chance.choice(["", "1-9", " 1-9", "10-49"]),
                industry=chance.choice(["", "Handel", "Handwerk "]),
                town=chance.choice(["", "Weilheim", "Murnau"]),
            )
            for person in people:
                if chance.random() < 0.5:
                    webinar = event.kind is EventKind.WEBINAR
                    check_in(
                        person,
                        CheckInMethod.WEBINAR_IMPORT if webinar else CheckInMethod.QR,
                        attended=not webinar or chance.random() < 0.5,
                        minutes=chance.randint(1, 90) if webinar else None,
                    )
    db.session.commit()
    return tour, other_tour, partners[0]


def test_every_report_agrees_with_a_plain_recount(mixed_world: tuple[Tour, Tour, Partner]) -> None:
    tour, other_tour, partner = mixed_world
    now = datetime.now(UTC)
    shown = list(
        db.session.scalars(
            select(Event)
            .where(Event.status != EventStatus.DRAFT)
            .order_by(Event.starts_at, Event.id)
        )
    )
    of_tour = [
        e for e in shown if e.tour_id == tour.id or (e.series and e.series.tour_id == tour.id)
    ]
    of_partner = [e for e in shown if partner.id in {r.partner_id for r in e.partner_roles}]
    assert len(of_tour) > 2 and len(of_partner) > 2 and any(e.series_id for e in of_tour)

    def check(report: reports.GroupReport, events: list[Event]) -> None:
        per_event, totals = _recount(events, now)
        assert [item.event.id for item in report.events] == [e.id for e in events]
        assert {item.event.id: _all_figures(item.figures) for item in report.events} == per_event
        assert _all_figures(report.totals) == totals
        referrals = _recount_referrals(events)
        assert {
            item.event.id: [(r.partner_name, r.registrations, r.persons) for r in item.referrals]
            for item in report.events
        } == referrals

    check(reports.overview(db.session, now=now), shown)
    for each in (tour, other_tour):
        found = reports.tour_report(db.session, each, now=now).report
        events = of_tour if each is tour else [e for e in shown if e.tour_id == other_tour.id]
        check(found, events)
        assert {
            c: [(r.value, r.registered, r.attended) for r in rows]
            for c, rows in found.breakdowns.items()
        } == _recount_breakdowns(events)
        assert found.funnel is not None
        assert (found.funnel.registered, found.funnel.attended) == _recount_funnel(events)
    first, second = reports.compare_tours(db.session, tour, other_tour, now=now)
    assert _all_figures(first.report.totals) == _recount(of_tour, now)[1]
    check(reports.partner_report(db.session, partner, now=now).report, of_partner)
    for event in shown:
        assert (
            _all_figures(reports.event_report(db.session, event, now=now).totals)
            == (_recount([event], now)[1])
        )
        assert (
            _all_figures(reports.event_figures(db.session, event, now=now))
            == (_recount([event], now, one_event=True)[0][event.id])
        )
