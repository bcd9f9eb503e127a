"""Organisers move or cancel an event on a page; attendees get the calendar update by mail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from roadshow.accounts.models import AuditLog, Role
from roadshow.events.models import EventStatus
from roadshow.extensions import db
from roadshow.mail.delivery import deliver_due
from roadshow.mail.models import OutboxMessage
from tests.fixtures_mail import calendar_parts
from tests.fixtures_pages import PASSWORD, log_in
from tests.fixtures_planning import press

SUMMER = datetime(2027, 7, 6, 16, 0, tzinfo=UTC)  # 18:00–21:00 in Berlin


@pytest.fixture
def event_with_attendee(make_event, make_registration):
    event = make_event(starts_at=SUMMER, ends_at=SUMMER.replace(hour=19))
    make_registration(event, attendees=[("Anna", "anna@firma.example")])
    return event


def test_only_organisers_may_change_events(
    app, client, submit_form, make_user, make_partner, event_with_attendee
):
    url = f"/organiser/events/{event_with_attendee.id}/edit"
    assert client.get(url).status_code == 302
    log_in(submit_form, make_user(role=Role.PARTNER, partner_id=make_partner().id))
    assert client.get(url).status_code == 403


def test_moving_an_event_on_the_page_sends_the_update(
    app, client, submit_form, make_user, smtp_sink, event_with_attendee
):
    event = event_with_attendee
    organiser = make_user(role=Role.ORGANISER)
    log_in(submit_form, organiser)
    url = f"/organiser/events/{event.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="2027-07-06T18:00"' in page  # local time, not UTC

    bad = submit_form(
        url, {"starts_at": "2027-07-06T19:00", "ends_at": "2027-07-06T18:00", "venue_id": "0"}
    )
    assert bad.status_code == 200
    text = bad.get_data(as_text=True)
    assert "Das Ende muss nach dem Beginn liegen." in text
    assert 'value="2027-07-06T19:00"' in text  # what was typed stays
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    preview = submit_form(
        url,
        {
            "starts_at": "2027-07-06T19:00",
            "ends_at": "2027-07-06T22:00",
            "venue_id": str(event.venue_id),
            "join_url": "",
        },
    )
    assert preview.status_code == 200
    assert "1 Teilnehmende·r aus 1 Firma erhält eine aktualisierte Einladung" in preview.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert (event.starts_at, event.sequence) == (SUMMER, 0)  # nothing saved yet
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    response = press(client, preview.get_data(as_text=True), url, "confirm")
    assert response.status_code == 302
    db.session.expire_all()
    assert (event.starts_at, event.sequence) == (SUMMER.replace(hour=17), 1)
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "event.changed"))
    assert audit.actor_id == organiser.id

    deliver_due(db.session)
    [received] = smtp_sink.to("anna@firma.example")
    inline, _ = calendar_parts(received.message)
    ics = inline.get_payload(decode=True).decode()
    assert "SEQUENCE:1" in ics and "DTSTART;TZID=Europe/Berlin:20270706T190000" in ics


def test_a_stop_cannot_move_online_and_says_so_next_to_the_venue(
    app, client, submit_form, make_user, event_with_attendee
):
    event = event_with_attendee
    log_in(submit_form, make_user(role=Role.ORGANISER))
    url = f"/organiser/events/{event.id}/edit"
    refused = submit_form(
        url, {"starts_at": "2027-07-06T19:00", "ends_at": "2027-07-06T22:00", "venue_id": "0"}
    )
    text = refused.get_data(as_text=True)
    venue_field = text[text.index('for="venue_id"') : text.index('for="join_url"')]
    assert "Nur Webinare finden online statt; bitte wählen Sie einen Ort." in venue_field
    assert 'value="2027-07-06T19:00"' in text  # what was typed stays
    db.session.expire_all()
    assert (event.starts_at, event.venue_id is not None, event.sequence) == (SUMMER, True, 0)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_webinar_can_move_online_and_unchanged_is_not_online(db, make_event, make_venue):
    from roadshow.events.models import EventKind
    from roadshow.events.services import change_event

    webinar = make_event(kind=EventKind.WEBINAR, venue=make_venue(), starts_at=SUMMER)
    assert change_event(db.session, webinar, join_url="https://meet.example/x")
    assert webinar.venue is not None  # the venue was left as it is
    [moved] = change_event(db.session, webinar, venue=None)
    assert (moved.field, moved.new, webinar.venue_id) == ("venue", None, None)
    db.session.commit()


def test_cancelling_needs_a_confirmation_and_then_tells_everyone(
    app, client, submit_form, make_user, smtp_sink, event_with_attendee
):
    event = event_with_attendee
    log_in(submit_form, make_user(role=Role.ADMIN))
    edit = f"/organiser/events/{event.id}/edit"
    cancel = f"/organiser/events/{event.id}/cancel"

    unconfirmed = submit_form(edit, {}, action=cancel)
    assert unconfirmed.status_code == 400
    assert "Bitte bestätigen Sie die Absage." in unconfirmed.get_data(as_text=True)
    db.session.expire_all()
    assert event.status is EventStatus.PUBLISHED

    done = submit_form(edit, {"confirm": "y"}, action=cancel)
    assert done.status_code == 302
    db.session.expire_all()
    assert event.status is EventStatus.CANCELLED and event.sequence == 1
    deliver_due(db.session)
    [received] = smtp_sink.to("anna@firma.example")
    inline, _ = calendar_parts(received.message)
    assert inline.get_param("method") == "CANCEL"
    assert "STATUS:CANCELLED" in inline.get_payload(decode=True).decode()


@pytest.mark.browser
def test_an_organiser_moves_an_event_by_an_hour_in_a_browser(
    app,
    live_server,
    page,
    make_user,
    smtp_sink,
    event_with_attendee,
):
    event = event_with_attendee
    organiser = make_user(role=Role.ORGANISER)
    page.goto(f"{live_server}/organiser/events/{event.id}/edit")
    page.get_by_label("E-Mail").fill(organiser.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Einloggen").click()
    page.get_by_label("Beginn", exact=True).fill("2027-07-06T19:00")
    page.get_by_label("Ende", exact=True).fill("2027-07-06T22:00")
    page.get_by_role("button", name="Änderung prüfen").click()
    assert "1 Teilnehmende·r aus 1 Firma" in page.inner_text("#impact")
    page.get_by_role("button", name="Speichern und benachrichtigen").click()
    page.wait_for_selector(".flash")
    assert "Alle Angemeldeten erhalten die Änderung" in page.inner_text(".flash")
    assert page.get_by_label("Beginn", exact=True).input_value() == "2027-07-06T19:00"
    deliver_due(db.session)
    [received] = smtp_sink.to("anna@firma.example")
    assert received.message["Subject"] == f"Geändert: {event.title}"
