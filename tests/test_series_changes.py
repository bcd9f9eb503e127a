"""Moving a series: every future date to a new local time, attendees told by a real mail with
an updated invitation (SEQUENCE 1); past and cancelled dates stay as they were."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from roadshow.accounts.models import AuditLog, Role
from roadshow.events.models import Event, EventKind
from roadshow.events.series import NewSeries, SeriesRule, create_series
from roadshow.events.services import cancel_event
from roadshow.extensions import db
from roadshow.mail.delivery import deliver_due
from roadshow.mail.models import OutboxMessage
from tests.fixtures_mail import calendar_parts
from tests.fixtures_pages import log_in
from tests.fixtures_series import BERLIN


def test_moving_the_series_tells_attendees_of_future_dates_only(
    client, submit_form, make_user, make_registration, smtp_sink
):
    today = datetime.now(BERLIN).date()
    series = create_series(
        db.session,
        NewSeries(
            kind=EventKind.WEBINAR,
            title="Digitale Mittagspause",
            rule=SeriesRule(
                first_local=datetime.combine(
                    today - timedelta(days=15), datetime.min.time()
                ).replace(hour=12),
                duration_minutes=60,
                timezone="Europe/Berlin",
                rrule="FREQ=WEEKLY;COUNT=6",
            ),
            capacity=50,
            publish=True,
        ),
        None,
    )
    db.session.commit()
    events = db.session.scalars(select(Event).order_by(Event.starts_at)).all()
    past, future, cancelled = events[:3], events[3:5], events[5]
    cancel_event(db.session, cancelled)
    db.session.commit()
    make_registration(past[-1], attendees=[("Anna", "anna@firma.example")])
    make_registration(
        future[0], attendees=[("Ben", "ben@firma.example"), ("Cem", "cem@firma.example")]
    )
    before = {e.id: (e.starts_at, e.ends_at, e.sequence) for e in events}
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    log_in(submit_form, make_user(role=Role.ORGANISER))
    url = f"/organiser/series/{series.id}"
    page = client.get(url).get_data(as_text=True)
    assert (
        "Betrifft 2 künftige Termine. Benachrichtigt werden 2 bestätigt angemeldete Personen"
        in page
    )
    assert 'value="12:00"' in page and 'value="60"' in page

    preview = submit_form(
        url, {"start_time": "14:30", "duration_minutes": "90", "preview": "Vorschau"}
    )
    assert preview.status_code == 200
    assert "14:30–16:00" in preview.get_data(as_text=True)
    db.session.expire_all()
    assert {e.id: (e.starts_at, e.ends_at, e.sequence) for e in events} == before
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    saved = submit_form(
        url,
        {"start_time": "14:30", "duration_minutes": "90", "save": "Künftige Termine verschieben"},
    )
    assert saved.status_code == 302
    db.session.expire_all()
    for event in past + [cancelled]:
        assert (event.starts_at, event.ends_at) == before[event.id][:2]
    assert cancelled.sequence == 1  # its cancellation, nothing more
    for event in future:
        local = event.local_starts_at
        assert (local.hour, local.minute, event.sequence) == (14, 30, 1)
        assert local.date() == before[event.id][0].astimezone(BERLIN).date()
        assert event.ends_at - event.starts_at == timedelta(minutes=90)
    db.session.refresh(series)
    assert series.duration_minutes == 90
    assert series.first_starts_at.astimezone(BERLIN).strftime("%H:%M") == "14:30"
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "series.changed"))
    assert audit.details["events"] == 2

    deliver_due(db.session)
    assert smtp_sink.to("anna@firma.example") == []
    for address in ("ben@firma.example", "cem@firma.example"):
        [received] = smtp_sink.to(address)
        inline, _ = calendar_parts(received.message)
        ics = inline.get_payload(decode=True).decode()
        day = future[0].local_starts_at.strftime("%Y%m%d")
        assert inline.get_param("method") == "REQUEST"
        assert "SEQUENCE:1" in ics and f"DTSTART;TZID=Europe/Berlin:{day}T143000" in ics
        assert future[0].uid in ics


def test_a_duration_out_of_range_is_told_next_to_it(client, submit_form, make_user):
    series = create_series(
        db.session,
        NewSeries(
            kind=EventKind.WEBINAR,
            title="Reihe",
            rule=SeriesRule(datetime(2027, 5, 6, 12), 60, "Europe/Berlin", "FREQ=WEEKLY;COUNT=2"),
            capacity=5,
        ),
        None,
    )
    db.session.commit()
    log_in(submit_form, make_user(role=Role.ORGANISER))
    url = f"/organiser/series/{series.id}"
    response = submit_form(url, {"start_time": "13:00", "duration_minutes": "0", "save": "x"})
    html = response.get_data(as_text=True)
    assert 'id="duration_minutes-error"' in html and 'value="13:00"' in html
    db.session.expire_all()
    assert {e.local_starts_at.hour for e in series.events} == {12}
