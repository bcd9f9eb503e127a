"""Delivering the outbox to a real SMTP server, and what arrives there."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from roadshow.events.models import EventKind
from roadshow.extensions import db
from roadshow.mail.delivery import deliver_due
from roadshow.mail.message import UnsafeHeaderError
from roadshow.mail.models import OutboxMessage, OutboxStatus
from roadshow.mail.services import enqueue
from roadshow.registrations.invitations import queue_invitation
from tests.fixtures_mail import calendar_parts, mime_tree
from tests.fixtures_settings import configure


@pytest.fixture
def confirmed_attendee(make_event, make_registration):
    event = make_event(title="Digital vor Ort: Weilheim")
    registration = make_registration(
        event, attendees=[('Anna "die Chefin" Müller, GF', "anna@firma.example")]
    )
    return registration.attendees[0]


def queue_confirmation(attendee, key="confirmed-1"):
    row = queue_invitation(
        db.session,
        attendee=attendee,
        method="REQUEST",
        template="registrations/invitation",
        idempotency_key=key,
    )
    db.session.commit()
    return row


def test_invitation_arrives_as_imip_with_text_html_calendar_and_attachment(
    app, smtp_sink, confirmed_attendee
):
    row = queue_confirmation(confirmed_attendee)

    report = deliver_due(db.session)

    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    [received] = smtp_sink.messages
    message = received.message
    assert mime_tree(message) == [
        "multipart/mixed",
        "  multipart/alternative",
        "    text/plain",
        "    multipart/related",
        "      text/html",
        "      image/png",
        "    text/calendar",
        "  application/ics",
    ]
    assert received.rcpt_tos == ["anna@firma.example"]
    assert received.mail_from == "noreply@roadshow.example"
    assert message["From"] == "Roadshow <noreply@roadshow.example>"
    [to] = message["To"].addresses
    assert (to.display_name, to.addr_spec) == ('Anna "die Chefin" Müller, GF', "anna@firma.example")
    assert message["Subject"] == "Einladung: Digital vor Ort: Weilheim"
    assert message["Message-ID"] == row.message_id
    assert message["MIME-Version"] == "1.0"
    sent_at = parsedate_to_datetime(message["Date"])
    assert abs(sent_at - datetime.now(UTC)) < timedelta(minutes=1)

    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Muster Maschinenbau GmbH hat Sie angemeldet; Ihr Platz ist bestätigt." in text
    assert "Digital vor Ort: Weilheim" in text
    assert "Digital vor Ort: Weilheim" in html and "Ihr Platz ist bestätigt" in html

    inline, attached = calendar_parts(message)
    assert inline.get_content_type() == "text/calendar"
    assert inline.get_param("method") == "REQUEST"
    assert inline.get_content_charset() == "utf-8"
    assert attached.get_content_disposition() == "attachment"
    assert attached.get_content_type() == "application/ics"
    ics = inline.get_payload(decode=True)
    assert attached.get_payload(decode=True) == ics
    assert b"\r\nMETHOD:REQUEST\r\n" in ics  # the MIME method= equals the METHOD inside
    assert ics.endswith(b"END:VCALENDAR\r\n")

    db.session.expire_all()
    assert row.status is OutboxStatus.SENT and row.sent_at is not None and row.attempts == 1


def test_a_message_without_calendar_is_text_and_html_only(app, smtp_sink, make_event):
    event = make_event()
    enqueue(
        db.session,
        template="events/reminder",
        language="en",
        recipient="ben@firma.example",
        recipient_name="Ben",
        idempotency_key="reminder-1",
        context={
            "event": event,
            "attendee": {"name": "Ben"},
            "event_url": "http://roadshow.example/events/x",
            "join_url": None,
        },
    )
    db.session.commit()
    deliver_due(db.session)
    [received] = smtp_sink.messages
    assert mime_tree(received.message) == ["multipart/alternative", "  text/plain", "  text/html"]
    assert received.message["Subject"] == f"Reminder: {event.title}"


def test_extra_headers_are_sent_and_line_breaks_refused(app, smtp_sink, make_event):
    unsubscribe = "<http://roadshow.example/feeds/unsubscribe/abc>"
    enqueue(
        db.session,
        template="events/reminder",
        language="de",
        recipient="ben@firma.example",
        idempotency_key="with-header",
        context={"event": make_event(), "attendee": {"name": "Ben"}, "event_url": "x"},
        headers={"List-Unsubscribe": unsubscribe},
    )
    db.session.commit()
    with pytest.raises(UnsafeHeaderError):
        enqueue(
            db.session,
            template="events/reminder",
            language="de",
            recipient="ben@firma.example",
            idempotency_key="injected",
            context={"event": make_event(), "attendee": {"name": "Ben"}, "event_url": "x"},
            headers={"List-Unsubscribe": "<x>\r\nBcc: victim@example.org"},
        )
    db.session.rollback()
    for name in ("Bcc", "Content-Type", "Bad Name"):
        with pytest.raises(UnsafeHeaderError):
            enqueue(
                db.session,
                template="events/reminder",
                language="de",
                recipient="ben@firma.example",
                idempotency_key=f"reserved-{name}",
                context={"event": make_event(), "attendee": {"name": "Ben"}, "event_url": "x"},
                headers={name: "x"},
            )
        db.session.rollback()

    deliver_due(db.session)
    [received] = smtp_sink.messages
    assert received.message["List-Unsubscribe"] == unsubscribe
    assert received.message["Bcc"] is None


def test_a_row_whose_headers_were_tampered_with_fails_instead_of_injecting(
    app, smtp_sink, confirmed_attendee
):
    row = queue_confirmation(confirmed_attendee)
    row.headers = {"X-Note": "a\r\nBcc: victim@example.org"}
    db.session.commit()
    report = deliver_due(db.session)
    assert report.failed == 1 and smtp_sink.messages == []
    db.session.expire_all()
    assert row.status is OutboxStatus.FAILED
    assert "line break" in row.last_error


def test_a_name_with_line_breaks_stays_one_header(app, smtp_sink, make_event, make_registration):
    registration = make_registration(
        make_event(), attendees=[("Eve\r\nBcc: victim@example.org", "eve@firma.example")]
    )
    enqueue(
        db.session,
        template="events/reminder",
        language="de",
        recipient="eve@firma.example",
        recipient_name=registration.attendees[0].name,
        idempotency_key="eve",
        context={"event": registration.event, "attendee": {"name": "Eve"}, "event_url": "x"},
    )
    db.session.commit()
    deliver_due(db.session)
    [received] = smtp_sink.messages
    assert received.rcpt_tos == ["eve@firma.example"]
    assert received.message["Bcc"] is None
    assert received.message["To"].addresses[0].display_name == "Eve Bcc: victim@example.org"


def test_one_logical_message_is_queued_once(app, confirmed_attendee):
    first = queue_confirmation(confirmed_attendee, key="same")
    again = queue_confirmation(confirmed_attendee, key="same")
    assert first.id == again.id
    assert db.session.scalar(select(db.func.count()).select_from(OutboxMessage)) == 1


def test_without_smtp_server_messages_become_eml_files_in_the_instance_folder(
    app, confirmed_attendee
):
    assert not app.config.get("MAIL_SERVER")
    row = queue_confirmation(confirmed_attendee)
    report = deliver_due(db.session)
    assert report.sent == 1
    [path] = (Path(app.instance_path) / "mail").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
    assert message["Message-ID"] == row.message_id
    inline, _attached = calendar_parts(message)
    assert inline.get_param("method") == "REQUEST"
    assert not list((Path(app.instance_path) / "mail").glob("*.part"))


def test_webinar_invitation_carries_the_join_link_only_for_the_attendee(
    app, smtp_sink, make_event, make_registration
):
    join = "https://meet.example/j/secret-123"
    event = make_event(kind=EventKind.WEBINAR, venue=None, join_url=join)
    attendee = make_registration(event).attendees[0]
    queue_confirmation(attendee)
    deliver_due(db.session)
    inline, _ = calendar_parts(smtp_sink.messages[0].message)
    ics = inline.get_payload(decode=True).decode()
    assert f"URL:{join}" in ics
    assert f"LOCATION:{join}" in ics


def test_a_template_folder_of_our_own_overrides_the_shipped_texts(
    app, smtp_sink, tmp_path, make_event, make_registration
):
    """Operators adapt letterhead and wording through ROADSHOW_MAIL_TEMPLATE_FOLDERS."""
    folder = tmp_path / "our-emails" / "registrations"
    folder.mkdir(parents=True)
    (folder / "invitation.subject.txt").write_text("Kammer lädt ein: {{ event.title }}")
    configure(app, MAIL_TEMPLATE_FOLDERS=[str(tmp_path / "our-emails")])
    attendee = make_registration(make_event(title="Digital vor Ort")).attendees[0]
    queue_invitation(
        db.session,
        attendee=attendee,
        method="REQUEST",
        template="registrations/invitation",
        idempotency_key="override",
    )
    db.session.commit()
    deliver_due(db.session)
    (received,) = smtp_sink.to(attendee.email)
    assert received.message["Subject"] == "Kammer lädt ein: Digital vor Ort"
    # the parts not overridden are still the shipped ones
    assert "Ihr Platz ist bestätigt" in received.message.get_body(("plain",)).get_content()
