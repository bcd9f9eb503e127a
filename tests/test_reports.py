"""Reports on who came: figures per event, tour and partner, the no-show rule, the funnel,
two editions compared, breakdowns, the pages with chart, table and downloads."""

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

from roadshow.attendance import reports
from roadshow.attendance.reports import Figures
from roadshow.events.models import Event, EventStatus
from roadshow.extensions import db
from tests.fixtures_reports import ReportWorld, add_registration, check_in
from tests.fixtures_pages import log_in


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
