"""The audit log pages: who did what when, with old and new values, per event and per person."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from roadshow.accounts.models import AuditLog, Role
from roadshow.accounts.services import issue_api_token, record
from roadshow.events.services import change_event
from roadshow.extensions import db
from tests.fixtures_pages import log_in

SUMMER = datetime(2027, 7, 6, 16, 0, tzinfo=UTC)  # 18:00 in Berlin


def entry_rows(page: str) -> list[str]:
    return re.findall(r'<tr id="entry-\d+">(.*?)</tr>', page, re.S)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def organiser(make_user, submit_form):
    user = make_user(role=Role.ORGANISER, name="Olga Organisatorin")
    log_in(submit_form, user)
    return user


@pytest.fixture
def moved_event(organiser, make_event, make_registration):
    """An event an organiser moved by an hour, one of its registrations cancelled."""
    event = make_event(title="Digital vor Ort: Weilheim", starts_at=SUMMER)
    registration = make_registration(event, attendees=[("Anna", "anna@firma.example")])
    change_event(db.session, event, starts_at=SUMMER + timedelta(hours=1), actor=organiser)
    record(db.session, "registration.cancelled_by_organiser", registration, organiser)
    db.session.commit()
    return event


def test_the_audit_pages_need_an_organiser(app, client, submit_form, make_user, make_partner):
    partner_user = make_user(role=Role.PARTNER, partner_id=make_partner().id)
    urls = ["/organiser/audit/", f"/organiser/users/{partner_user.id}/history"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    log_in(submit_form, partner_user)
    for url in urls:
        assert client.get(url).status_code == 403


def test_a_change_shows_who_what_when_and_old_and_new_in_local_time(
    app, client, organiser, moved_event
):
    page = client.get("/organiser/audit/").get_data(as_text=True)
    [cancelled, changed] = [text_of(row) for row in entry_rows(page)]  # latest first
    assert "Olga Organisatorin" in changed
    assert "Veranstaltung geändert" in changed
    assert "Veranstaltung „Digital vor Ort: Weilheim“" in changed
    assert f'href="/organiser/events/{moved_event.id}/edit"' in page
    # the time span, old → new, as local times in Berlin
    assert (
        "Zeit: Di., 6. Juli 2027, 18:00 Uhr – Di., 6. Juli 2027, 21:00 Uhr → "
        "Di., 6. Juli 2027, 19:00 Uhr – Di., 6. Juli 2027, 22:00 Uhr"
    ) in changed
    assert "Kalenderfassung (SEQUENCE): 1" in changed
    # an action without a label is shown by its code
    assert "registration.cancelled_by_organiser" in cancelled
    assert "zu „Digital vor Ort: Weilheim“" in cancelled

    english = text_of(client.get("/organiser/audit/?lang=en").get_data(as_text=True))
    assert "Event changed" in english
    assert "Time: Tue, Jul 6, 2027, 18:00" in english


def test_the_log_can_show_one_kind_of_action(app, client, organiser, moved_event):
    issue_api_token(db.session, organiser)
    db.session.commit()
    everything = client.get("/organiser/audit/").get_data(as_text=True)
    assert len(entry_rows(everything)) == 3
    assert '<option value="user.api_token_issued">API-Schlüssel ausgestellt</option>' in everything

    only = client.get("/organiser/audit/?action=event.changed").get_data(as_text=True)
    rows = entry_rows(only)
    assert len(rows) == 1 and "Veranstaltung geändert" in rows[0]
    assert '<option value="event.changed" selected>' in only


def test_an_events_history_holds_its_registrations_entries_and_nothing_else(
    app, client, organiser, moved_event, make_event
):
    other = make_event(title="Anderer Stopp")
    change_event(db.session, other, starts_at=SUMMER + timedelta(days=3), actor=organiser)
    db.session.commit()

    page = client.get(f"/organiser/events/{moved_event.id}/history").get_data(as_text=True)
    rows = [text_of(row) for row in entry_rows(page)]
    assert len(rows) == 2
    assert "registration.cancelled_by_organiser" in rows[0]
    assert "Veranstaltung geändert" in rows[1]
    assert "Anderer Stopp" not in "".join(rows)
    assert client.get("/organiser/events/999999/history").status_code == 404


def test_a_persons_history_holds_what_they_did(
    app, client, organiser, moved_event, make_user, make_event
):
    colleague = make_user(role=Role.ADMIN, name="Carl Kollege")
    change_event(db.session, make_event(title="Sein Webinar"), starts_at=SUMMER, actor=colleague)
    db.session.commit()

    mine = client.get(f"/organiser/users/{organiser.id}/history").get_data(as_text=True)
    assert "Olga Organisatorin" in mine
    assert len(entry_rows(mine)) == 2 and "Sein Webinar" not in mine
    theirs = client.get(f"/organiser/users/{colleague.id}/history").get_data(as_text=True)
    [row] = entry_rows(theirs)
    assert "Carl Kollege" in row and "Sein Webinar" in row
    assert client.get("/organiser/users/999999/history").status_code == 404


def add_entries(count: int, event_id: int, actors: list) -> None:
    now = datetime.now(UTC)
    db.session.add_all(
        AuditLog(
            at=now - timedelta(minutes=n),
            actor_id=actors[n % len(actors)].id,
            event_id=event_id,
            action="event.changed",
            object_type="event",
            object_id=event_id,
            details={"changes": [{"field": "join_url", "old": None, "new": f"https://x/{n}"}]},
        )
        for n in range(count)
    )
    db.session.commit()


def test_the_audit_pages_take_the_same_queries_for_10_and_500_entries(
    app, client, organiser, make_user, make_event, count_queries
):
    event = make_event()
    actors = [organiser, *(make_user(name=f"Person {n}") for n in range(5))]

    def queries() -> list[int]:
        counts = []
        for url in (
            "/organiser/audit/",
            "/organiser/audit/?action=event.changed&page=2",
            f"/organiser/events/{event.id}/history",
            f"/organiser/users/{organiser.id}/history",
        ):
            with count_queries() as statements:
                assert client.get(url).status_code == 200
            counts.append(len(statements))
        return counts

    add_entries(10, event.id, actors)
    small = queries()
    add_entries(490, event.id, [*actors, *(make_user() for _ in range(30))])
    page = client.get("/organiser/audit/").get_data(as_text=True)
    assert len(entry_rows(page)) == 50
    assert 'rel="next" href="/organiser/audit/?page=2"' in page
    last = client.get("/organiser/audit/?page=10").get_data(as_text=True)
    assert len(entry_rows(last)) == 50 and 'rel="next"' not in last
    assert queries() == small
