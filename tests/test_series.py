"""Series: the Thursday webinars of 2027 from a rule, without Bavarian holidays and a summer
break, previewed and saved on the organisers' page; the rule's limits and messages."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from roadshow.accounts.models import AuditLog, Role
from roadshow.errors import DomainError
from roadshow.events.models import Event, EventKind, EventStatus, Series
from roadshow.events.series import SeriesRule, series_dates
from tests.fixtures_pages import log_in
from tests.fixtures_series import (
    BAVARIAN_THURSDAY_HOLIDAYS,
    BERLIN,
    SUMMER_BREAK,
    expected_thursdays,
    noon_in_utc,
    previewed_dates,
    previewed_exclusions,
    series_form,
)


def counts(db) -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Series)),
        db.session.scalar(select(func.count()).select_from(Event)),
    )


@pytest.fixture
def organiser(client, submit_form, make_user):
    user = make_user(role=Role.ORGANISER)
    log_in(submit_form, user)
    return user


def test_only_organisers_see_series_pages(client, submit_form, make_user, make_partner):
    assert client.get("/organiser/series/new").status_code == 302
    log_in(submit_form, make_user(role=Role.PARTNER, partner_id=make_partner().id))
    assert client.get("/organiser/series/new").status_code == 403
    assert client.get("/organiser/series/").status_code == 403


def test_the_preview_lists_the_thursdays_and_the_days_left_out_without_saving(
    db, submit_form, organiser
):
    response = submit_form("/organiser/series/new", {**series_form(), "preview": "Vorschau"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)

    listed = previewed_dates(html)
    assert [d.date() for d in listed] == expected_thursdays()
    assert {(d.hour, d.minute) for d in listed} == {(12, 0)}  # local noon, summer and winter
    assert listed[0].utcoffset().total_seconds() == 2 * 3600  # May: CEST
    assert listed[-1].utcoffset().total_seconds() == 3600  # December: CET
    excluded = previewed_exclusions(html)
    assert excluded == {
        **BAVARIAN_THURSDAY_HOLIDAYS,
        **dict.fromkeys(SUMMER_BREAK, "ausgenommen"),
    }
    assert 'value="digitale-mittagspause"' in html  # the proposed slug, to edit
    assert counts(db) == (0, 0)  # nothing saved


def test_holiday_names_follow_the_page_language(client, db, submit_form, organiser):
    client.get("/language/en")
    html = submit_form("/organiser/series/new", {**series_form(), "preview": "Vorschau"}).get_data(
        as_text=True
    )
    excluded = previewed_exclusions(html)
    assert excluded[date(2027, 5, 6)] == "Ascension Day"
    assert excluded[date(2027, 8, 5)] == "excluded"


def test_saving_creates_one_published_event_per_date_in_local_time(
    client, db, submit_form, organiser
):
    response = submit_form(
        "/organiser/series/new",
        {**series_form(status="published"), "save": "Reihe anlegen"},
    )
    assert response.status_code == 302
    series = db.session.scalar(select(Series))
    assert response.headers["Location"] == f"/organiser/series/{series.id}"
    assert (series.slug, series.exclude_holidays) == ("digitale-mittagspause", "DE-BY")
    assert series.exclude_dates == [d.isoformat() for d in SUMMER_BREAK]

    events = db.session.scalars(select(Event).order_by(Event.starts_at)).all()
    assert [e.starts_at for e in events] == [noon_in_utc(d) for d in expected_thursdays()]
    assert events[0].starts_at.hour == 10 and events[-1].starts_at.hour == 11  # UTC
    assert {e.local_starts_at.hour for e in events} == {12}
    assert {(e.ends_at - e.starts_at).seconds for e in events} == {3600}
    assert len({e.uid for e in events}) == len(events)
    assert {e.series_id for e in events} == {series.id}
    assert {e.status for e in events} == {EventStatus.PUBLISHED}
    assert {(e.kind, e.capacity, e.sequence) for e in events} == {(EventKind.WEBINAR, 100, 0)}
    first = events[0]
    assert first.slug == "digitale-mittagspause-2027-05-13"
    assert client.get(f"/events/{first.slug}").status_code == 200
    assert client.get(f"/events/{events[-1].slug}").status_code == 200

    actions = db.session.scalars(select(AuditLog.action)).all()
    assert actions.count("series.created") == 1
    assert actions.count("event.published") == len(events)

    page = client.get(f"/organiser/series/{series.id}").get_data(as_text=True)
    assert f'href="/organiser/events/{first.id}/edit"' in page
    assert "28 Termine" in page


def test_drafts_have_no_public_page_until_published(client, db, submit_form, organiser):
    submit_form("/organiser/series/new", {**series_form(), "save": "Reihe anlegen"})
    events = db.session.scalars(select(Event)).all()
    assert {e.status for e in events} == {EventStatus.DRAFT}
    assert client.get(f"/events/{events[0].slug}").status_code == 404


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"rrule": "FREQ=WEEKLY"},
            "rrule",
            "Die Regel braucht genau ein Ende",
        ),
        ({"rrule": "FREQ=SOMETIMES;COUNT=3"}, "rrule", "FREQ=DAILY, WEEKLY, MONTHLY oder YEARLY"),
        ({"rrule": "FREQ=DAILY;UNTIL=20291231"}, "rrule", "höchstens 200 Termine"),
        ({"repeat_until": "2027-04-01"}, "repeat_until", "Das Ende liegt vor dem ersten Termin."),
        ({"rrule": "FREQ=WEEKLY;UNTIL=20270401"}, "rrule", "liegt vor dem ersten Termin"),
        (
            {"exclude_dates": "2027-08-05, 32.13.2027"},
            "exclude_dates",
            "„32.13.2027“ ist kein Datum",
        ),
        ({"timezone": "Europe/Atlantis"}, "timezone", "Unbekannte Zeitzone"),
        ({"kind": "workshop"}, "venue_id", "Ein Workshop braucht einen Ort."),
        ({"slug": "Mittags Pause"}, "slug", "Kleinbuchstaben, Ziffern und Bindestriche"),
    ],
)
def test_bad_input_is_told_next_to_its_field_and_nothing_is_saved(
    db, submit_form, organiser, values, field, message
):
    for button in ({"preview": "Vorschau"}, {"save": "Reihe anlegen"}):
        response = submit_form("/organiser/series/new", {**series_form(**values), **button})
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        error = html[html.index(f'id="{field}-error"') :]
        assert message in error[: error.index("</p>")]
        for name, typed in values.items():
            if name not in ("kind",):
                assert typed.split(",")[0] in html  # what was typed stays
        assert counts(db) == (0, 0)


def test_a_taken_slug_is_told_next_to_the_slug(db, submit_form, organiser, make_event):
    make_event(slug="digitale-mittagspause-2027-09-02", kind=EventKind.WEBINAR)
    response = submit_form("/organiser/series/new", {**series_form(), "save": "Reihe anlegen"})
    html = response.get_data(as_text=True)
    error = html[html.index('id="slug-error"') :]
    assert "Die Adresse digitale-mittagspause-2027-09-02 hat schon eine Veranstaltung." in error
    assert counts(db) == (0, 1)


def test_an_rrule_text_takes_any_rule_dateutil_accepts(db, submit_form, organiser):
    response = submit_form(
        "/organiser/series/new",
        {
            **series_form(rrule="FREQ=MONTHLY;BYDAY=1TH;COUNT=6", exclude_dates=""),
            "preview": "Vorschau",
        },
    )
    listed = [d.date() for d in previewed_dates(response.get_data(as_text=True))]
    # first Thursdays of June to October 2027; 6 May is Ascension Day
    assert listed == [date(2027, m, d) for m, d in ((6, 3), (7, 1), (8, 5), (9, 2), (10, 7))]


def rule(text: str, **values) -> SeriesRule:
    return SeriesRule(
        first_local=values.pop("first_local", datetime(2027, 5, 6, 12)),
        duration_minutes=values.pop("duration_minutes", 60),
        timezone=values.pop("timezone", "Europe/Berlin"),
        rrule=text,
        **values,
    )


def test_the_rule_in_local_wall_time_across_the_clock_change(app):
    dates = series_dates(rule("FREQ=WEEKLY;COUNT=3", first_local=datetime(2027, 10, 21, 12)))
    local = [d.starts_at.astimezone(BERLIN) for d in dates.taking_place]
    assert [(d.day, d.hour) for d in local] == [(21, 12), (28, 12), (4, 12)]
    assert [d.starts_at.hour for d in dates.taking_place] == [10, 10, 11]  # UTC


@pytest.mark.parametrize(
    ("text", "values", "field"),
    [
        ("FREQ=WEEKLY;UNTIL=20271216T235959Z", {"exclude_holidays": "DE-XX"}, "exclude_holidays"),
        ("FREQ=WEEKLY;COUNT=201", {}, "rrule"),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20271216", {}, "rrule"),
        ("FREQ=DAILY;BYHOUR=9,14;COUNT=4", {}, "rrule"),
        ("FREQ=WEEKLY;COUNT=3\nRDATE:20270601", {}, "rrule"),
        ("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30;COUNT=3", {}, "rrule"),
        ("FREQ=WEEKLY;UNTIL=20270101", {}, "until"),
        ("FREQ=WEEKLY;COUNT=3", {"duration_minutes": 0}, "duration_minutes"),
        ("FREQ=WEEKLY;COUNT=3", {"first_local": datetime(9999, 12, 30, 12)}, "starts_at"),
        ("FREQ=WEEKLY;COUNT=3", {"exclude_dates": ("2027-02-30",)}, "exclude_dates"),
    ],
)
def test_rules_that_cannot_be_planned(app, text, values, field):
    with pytest.raises(DomainError) as refused:
        series_dates(rule(text, **values))
    assert refused.value.field == field


def test_the_list_of_series_takes_the_same_queries_for_few_and_many(
    client, db, organiser, count_queries
):
    from roadshow.events.series import NewSeries, create_series

    def add(number: int) -> None:
        for n in range(number):
            create_series(
                db.session,
                NewSeries(
                    kind=EventKind.WEBINAR,
                    title=f"Reihe {n} {number}",
                    rule=rule("FREQ=WEEKLY;COUNT=3", first_local=datetime(2027, 5, 6 + n % 20, 12)),
                    capacity=10,
                ),
                None,
            )
        db.session.commit()

    add(2)
    with count_queries() as few:
        page = client.get("/organiser/series/")
    assert "Reihe 1 2" in page.get_data(as_text=True)
    add(30)
    with count_queries() as many:
        page = client.get("/organiser/series/")
    html = page.get_data(as_text=True)
    assert "Reihe 29 30" in html and re.search(r"<td[^>]*>3</td>", html)
    assert len(many) == len(few)


def test_the_series_page_and_preview_take_the_same_queries_for_few_and_many_dates(
    client, db, submit_form, organiser, count_queries
):
    from roadshow.events.series import NewSeries, create_series

    measured = []
    for count in (3, 150):
        series = create_series(
            db.session,
            NewSeries(
                kind=EventKind.WEBINAR,
                title=f"Reihe mit {count}",
                rule=rule(f"FREQ=DAILY;COUNT={count}"),
                capacity=10,
            ),
            None,
        )
        db.session.commit()
        with count_queries() as page_queries:
            client.get(f"/organiser/series/{series.id}")
        form = series_form(rrule=f"FREQ=DAILY;COUNT={count}", title=f"Neu {count}")
        page = client.get("/organiser/series/new")
        assert page.status_code == 200
        with count_queries() as preview_queries:
            submit_form("/organiser/series/new", {**form, "preview": "Vorschau"})
        measured.append((len(page_queries), len(preview_queries)))
    assert measured[0] == measured[1]
