"""Cloning a tour to next year: drafts at the same local times across the clock change,
with venues, partner roles and series copied; the original stays as it was."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from roadshow.accounts.models import AuditLog, Role
from roadshow.errors import DomainError
from roadshow.events.cloning import clone_tour
from roadshow.events.models import Event, EventKind, EventStatus, PartnerRole, Series, Tour
from roadshow.events.series import NewSeries, SeriesRule, create_series
from roadshow.extensions import db
from roadshow.registrations.models import Registration
from tests.fixtures_pages import log_in
from tests.fixtures_series import BERLIN

# Thursday 25 March 2027, 18:00 CET (17:00 UTC), three days before summer time begins;
# a year and a week later, Thursday 30 March 2028 is four days after it began (CEST).
FIRST_STOP = datetime(2027, 3, 25, 17, tzinfo=UTC)
NEW_START = date(2028, 3, 30)


@pytest.fixture
def tour_2027(make_tour, make_event, make_venue, make_partner, make_registration):
    tour = make_tour(slug="digital-vor-ort-2027", title="Digital vor Ort 2027")
    host, speaker = make_partner(name="Alpentel"), make_partner(name="Shopwerk")
    weilheim = make_venue(town="Weilheim")
    rosenheim = make_venue(town="Rosenheim")
    first = make_event(
        slug="2027-03-25-weilheim",
        title="Digital vor Ort: Weilheim",
        description="Der Auftakt.",
        tour=tour,
        venue=weilheim,
        starts_at=FIRST_STOP,
        ends_at=FIRST_STOP.replace(hour=20),
        capacity=60,
        partners={host: PartnerRole.HOST, speaker: PartnerRole.SPEAKER},
    )
    summer = datetime(2027, 6, 17, 16, tzinfo=UTC)  # 18:00 CEST
    second = make_event(
        slug="rosenheim-stop",
        title="Digital vor Ort: Rosenheim",
        tour=tour,
        venue=rosenheim,
        starts_at=summer,
        ends_at=summer.replace(hour=19),
        capacity=40,
        partners={host: PartnerRole.HOST},
    )
    make_event(slug="2027-07-01-abgesagt", tour=tour, status=EventStatus.CANCELLED)
    make_registration(first, attendees=[("Anna", "anna@firma.example")])
    create_series(
        db.session,
        NewSeries(
            kind=EventKind.WEBINAR,
            title="Mittagspause 2027",
            rule=SeriesRule(
                first_local=datetime(2027, 10, 21, 12),
                duration_minutes=60,
                timezone="Europe/Berlin",
                rrule="FREQ=WEEKLY;BYDAY=TH;UNTIL=20271104T235959Z",
                exclude_dates=("2027-10-28",),
            ),
            capacity=200,
            tour=tour,
            publish=True,
        ),
        None,
    )
    db.session.commit()
    return tour, first, second


def snapshot(tour: Tour) -> list[tuple]:
    events = db.session.scalars(select(Event).where(Event.tour_id == tour.id).order_by(Event.id))
    return [(e.id, e.slug, e.uid, e.status, e.starts_at, e.sequence, e.seats_taken) for e in events]


def test_cloning_to_next_year_keeps_local_times_roles_and_venues(tour_2027, make_user):
    tour, first, second = tour_2027
    original = snapshot(tour)
    organiser = make_user(role=Role.ORGANISER)
    new = clone_tour(
        db.session,
        tour,
        title="Digital vor Ort 2028",
        slug="digital-vor-ort-2028",
        starts_on=NEW_START,
        actor=organiser,
    )
    db.session.commit()

    copies = db.session.scalars(
        select(Event).where(Event.tour_id == new.id).order_by(Event.starts_at)
    ).all()
    assert len(copies) == 4  # two stops and two webinars; the cancelled stop stays behind
    assert {c.status for c in copies} == {EventStatus.DRAFT}
    assert {(c.sequence, c.seats_taken, c.published_at) for c in copies} == {(0, 0, None)}
    originals = {e[2] for e in original}
    assert not {c.uid for c in copies} & originals
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(Registration.event_id.in_([c.id for c in copies]))
        )
        == 0
    )

    weilheim, rosenheim, *webinars = copies
    # 18:00 local on both sides of the clock change: 17:00 UTC before, 16:00 UTC after
    assert weilheim.starts_at == datetime(2028, 3, 30, 16, tzinfo=UTC)
    assert weilheim.local_starts_at.strftime("%Y-%m-%d %H:%M") == "2028-03-30 18:00"
    assert weilheim.local_ends_at.strftime("%H:%M") == "21:00"
    assert weilheim.slug == "2028-03-30-weilheim"
    assert (weilheim.venue_id, weilheim.capacity, weilheim.description) == (
        first.venue_id,
        60,
        "Der Auftakt.",
    )
    assert weilheim.kind is EventKind.STOP and weilheim.timezone == "Europe/Berlin"
    assert sorted((r.partner_id, r.role) for r in weilheim.partner_roles) == sorted(
        (r.partner_id, r.role) for r in first.partner_roles
    )
    assert rosenheim.local_starts_at.strftime("%Y-%m-%d %H:%M") == "2028-06-22 18:00"
    assert rosenheim.slug == "rosenheim-stop-2028-06-22"
    assert rosenheim.venue_id == second.venue_id

    # the series: 21 October and 4 November 2027 (28 October left out) become 26 October
    # and 9 November 2028, both at 12:00 local, on either side of the change back
    [series] = db.session.scalars(select(Series).where(Series.tour_id == new.id)).all()
    assert [w.local_starts_at.strftime("%Y-%m-%d %H:%M") for w in webinars] == [
        "2028-10-26 12:00",
        "2028-11-09 12:00",
    ]
    assert [w.starts_at.hour for w in webinars] == [10, 11]
    assert {w.series_id for w in webinars} == {series.id}
    assert series.slug == "mittagspause-2028"
    assert [w.slug for w in webinars] == [
        "mittagspause-2028-2028-10-26",
        "mittagspause-2028-2028-11-09",
    ]
    assert series.rrule == "FREQ=WEEKLY;BYDAY=TH;UNTIL=20281109T235959Z"
    assert series.exclude_dates == ["2028-11-02"]
    assert (
        series.first_starts_at.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M") == "2028-10-26 12:00"
    )

    db.session.expire_all()
    assert snapshot(tour) == original
    entries = db.session.scalars(select(AuditLog).where(AuditLog.action == "tour.cloned")).all()
    assert [(e.object_id, e.actor_id, e.details["source_tour_id"]) for e in entries] == [
        (new.id, organiser.id, tour.id)
    ]


def test_cloning_twice_by_days_gives_fresh_slugs(tour_2027):
    tour, _first, _second = tour_2027
    one = clone_tour(db.session, tour, title="Kopie eins", slug="kopie-eins", shift_days=7)
    two = clone_tour(db.session, tour, title="Kopie zwei", slug="kopie-zwei", shift_days=7)
    db.session.commit()
    slugs = [
        db.session.scalars(
            select(Event.slug).where(Event.tour_id == t.id).order_by(Event.starts_at)
        ).all()
        for t in (one, two)
    ]
    assert slugs[0][0] == "2027-04-01-weilheim"
    assert slugs[1][0] == "2027-04-01-weilheim-2"
    assert not set(slugs[0]) & set(slugs[1])


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"slug": "digital-vor-ort-2027", "shift_days": 364}, "slug"),
        ({"slug": "Neue Tour", "shift_days": 364}, "slug"),
        ({"slug": "neu"}, "shift_days"),
        ({"slug": "neu", "shift_days": 7, "starts_on": NEW_START}, "shift_days"),
        ({"slug": "neu", "shift_days": 0}, "shift_days"),
        ({"slug": "neu", "starts_on": date(2027, 3, 25)}, "starts_on"),
    ],
)
def test_what_cannot_be_cloned_is_told_on_its_field(tour_2027, values, field):
    tour, _first, _second = tour_2027
    with pytest.raises(DomainError) as refused:
        clone_tour(db.session, tour, title="Neue Tour", **values)
    assert refused.value.field == field


def test_the_clone_page_proposes_previews_and_then_lists_the_drafts(
    client, submit_form, make_user, tour_2027
):
    tour, _first, _second = tour_2027
    log_in(submit_form, make_user(role=Role.ORGANISER))
    url = f"/organiser/tours/{tour.id}/clone"
    page = client.get(url).get_data(as_text=True)
    assert 'value="Digital vor Ort 2028"' in page and 'value="digital-vor-ort-2028"' in page

    data = {
        "title": "Digital vor Ort 2028",
        "slug": "digital-vor-ort-2028",
        "starts_on": "2028-03-30",
    }
    preview = submit_form(url, {**data, "preview": "Vorschau"})
    html = preview.get_data(as_text=True)
    assert '<time datetime="2028-03-30T18:00:00+02:00">' in html
    assert "/events/2028-03-30-weilheim" in html
    assert db.session.scalar(select(func.count()).select_from(Tour)) == 1

    neither = submit_form(url, {"title": "X", "slug": "x", "save": "Tour kopieren"})
    assert "entweder eine Verschiebung in Tagen oder ein neues Startdatum" in neither.get_data(
        as_text=True
    )

    saved = submit_form(url, {**data, "save": "Tour kopieren"})
    assert saved.status_code == 302
    new = db.session.scalar(select(Tour).where(Tour.slug == "digital-vor-ort-2028"))
    assert saved.headers["Location"] == f"/organiser/tours/{new.id}/cloned"
    listing = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "4 Entwürfe" in listing
    for event in db.session.scalars(select(Event).where(Event.tour_id == new.id)):
        assert f'href="/organiser/events/{event.id}/edit"' in listing


def test_the_clone_preview_takes_the_same_queries_for_small_and_large_tours(
    client, submit_form, make_user, make_tour, make_event, make_partner, count_queries
):
    log_in(submit_form, make_user(role=Role.ORGANISER))
    partner = make_partner()
    measured = []
    for size in (2, 40):
        tour = make_tour()
        for n in range(size):
            make_event(tour=tour, partners={partner: PartnerRole.HOST}, slug=f"t{size}-{n}")
        url = f"/organiser/tours/{tour.id}/clone"
        with count_queries() as queries:
            response = submit_form(
                url,
                {
                    "title": f"Neu {size}",
                    "slug": f"neu-{size}",
                    "shift_days": "364",
                    "preview": "Vorschau",
                },
            )
        assert response.get_data(as_text=True).count('class="clone-date"') == size
        measured.append(len(queries))
    assert measured[0] == measured[1]
