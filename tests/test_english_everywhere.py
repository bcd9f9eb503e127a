"""English complete: no German text of the catalogues is left on an English page or mail.

The German texts are the catalogues' msgids (the templates and the code are written in
German). Every public page of the demo, the back office as organiser and admin, the
partner portal, the check-in page and every kind of mail are rendered in English, and
none of them may show a German msgid. Only texts of at least 12 characters with a space
count, which leaves out words that both languages share ("Name", "E-Mail", "Workshop").
A msgid with placeholders counts by its fixed pieces.
"""

from __future__ import annotations

import html as html_module
import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select

from roadshow.accounts.models import Role, User
from roadshow.accounts.services import invite_user, request_password_reset
from roadshow.calendar.notifications import notify_subscribers
from roadshow.database import utcnow
from roadshow.events.models import Event, EventKind, EventStatus, Series, Tour, Venue
from roadshow.events.services import cancel_event, change_event
from roadshow.extensions import db
from roadshow.mail.models import OutboxMessage
from roadshow.partners.models import Partner
from roadshow.registrations.reminders import queue_reminders
from roadshow.registrations.selfservice import cancel_registration
from tests.conftest import csrf_token_from
from tests.fixtures_attendance import own_report
from tests.fixtures_feeds import link_in, path_of
from tests.fixtures_pages import PASSWORD, seed_demo_ahead
from tests.fixtures_registrations import form_fields

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted((ROOT / "roadshow").glob("**/translations/en/LC_MESSAGES/messages.po"))
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}|\n")
EMAIL = "grace.hopper@firm.example"
MAIL_KINDS = {
    "registrations/confirmed",
    "registrations/waitlisted",
    "registrations/promoted",
    "registrations/cancelled",
    "registrations/invitation",
    "registrations/invitation_cancelled",
    "events/changed",
    "events/cancelled",
    "events/reminder",
    "calendar/confirm_subscription",
    "calendar/subscription_active",
    "calendar/subscription_exists",
    "calendar/event_notice",
    "accounts/invitation",
    "accounts/password_reset",
}


def _collapse(text: str) -> str:
    return " ".join(text.split())


def german_texts() -> set[str]:
    """The German texts to look for: msgids (or their fixed pieces) of 12 characters or
    more with a space, unless the English text is the same or contains them."""
    found: set[str] = set()
    english: list[str] = []
    for path in CATALOGUES:
        with path.open("rb") as handle:
            catalogue = read_po(handle)
        for message in catalogue:
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            english.extend(_collapse(s) for s in strings if s)
            for msgid in ids:
                if msgid in strings:
                    continue
                for piece in PLACEHOLDER.split(msgid):
                    piece = _collapse(piece).strip(" ,.:;()–-")
                    if len(piece) >= 12 and " " in piece:
                        found.add(piece)
    return {piece for piece in found if not any(piece in text for text in english)}


GERMAN = german_texts()


def visible_text(markup: str) -> str:
    """What a reader sees of an HTML page or part: no tags, no scripts, entities decoded."""
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S | re.I)
    markup = re.sub(r"<!--.*?-->", " ", markup, flags=re.S)
    return _collapse(html_module.unescape(re.sub(r"<[^>]+>", " ", markup)))


def data_texts() -> list[str]:
    """What organisers and the demo typed (German, and rightly shown as typed): titles,
    descriptions, names, and the subjects of German mails in the outbox. Longest first."""
    texts: set[str] = set()
    for model in (Tour, Event, Venue, Series, Partner):
        for row in db.session.scalars(select(model)):
            for column in model.__table__.columns:
                value = getattr(row, column.key, None)
                if isinstance(value, str) and " " in value:
                    texts.add(_collapse(value))
    texts.update(_collapse(s) for s in db.session.scalars(select(OutboxMessage.subject)))
    return sorted(texts, key=len, reverse=True)


def without_data(text: str) -> str:
    for value in data_texts():
        text = text.replace(value, " ")
    return text


def german_in(text: str) -> list[str]:
    return sorted(piece for piece in GERMAN if piece in text)


class Findings:
    """German texts found, per page or mail; the test fails listing all of them."""

    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}
        self.looked_at: list[str] = []

    def page(self, client: FlaskClient, url: str, response: Any = None) -> str:
        response = response if response is not None else client.get(url)
        assert response.status_code in (200, 400, 404, 422), (url, response.status_code)
        markup = response.get_data(as_text=True)
        assert '<html lang="en"' in markup, url
        self.check(url, visible_text(markup))
        return markup

    def check(self, name: str, text: str) -> None:
        self.looked_at.append(name)
        german = german_in(without_data(text))
        if german:
            self.found[name] = german

    def mail(self, message: OutboxMessage) -> None:
        name = f"mail {message.template}"
        self.check(f"{name} (subject)", message.subject)
        self.check(f"{name} (text)", message.text_body)
        self.check(f"{name} (html)", visible_text(message.html_body or ""))

    def assert_none(self) -> None:
        report = "\n".join(f"{name}: {texts}" for name, texts in self.found.items())
        assert not self.found, "German on English pages or mails:\n" + report


def english_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert client.get("/language/en").status_code == 302
    return client


def submit(client: FlaskClient, url: str, data: dict[str, Any], action: str | None = None) -> Any:
    # The test's app context outlives requests, and Flask-WTF keeps a request's CSRF
    # token in ``g``: without this, a second client would be given the first one's.
    g.pop("csrf_token", None)
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(action or url, data={"csrf_token": token, **data})


def log_in(client: FlaskClient, user: User) -> None:
    response = submit(client, "/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, visible_text(response.get_data(as_text=True))[:600]


def newest_mail(template: str, recipient: str | None = None) -> OutboxMessage:
    db.session.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.template == template)
    if recipient is not None:
        query = query.where(OutboxMessage.recipient == recipient)
    message = db.session.scalars(query.order_by(OutboxMessage.id.desc())).first()
    assert message is not None, template
    return message


@pytest.fixture
def demo(app: Flask) -> Iterator[dict[str, Any]]:
    seed_demo_ahead(db.session)
    stop = db.session.scalars(
        select(Event)
        .where(Event.kind == EventKind.STOP, Event.status == EventStatus.PUBLISHED)
        .order_by(Event.starts_at)
    ).first()
    webinar = db.session.scalars(
        select(Event)
        .where(Event.kind == EventKind.WEBINAR, Event.status == EventStatus.PUBLISHED)
        .order_by(Event.starts_at)
    ).first()
    assert stop is not None and webinar is not None
    yield {
        "stop": stop,
        "webinar": webinar,
        "tour": db.session.scalars(select(Tour)).first(),
        "series": db.session.scalars(select(Series)).first(),
        "venue": db.session.scalars(select(Venue)).first(),
        "partner": db.session.scalars(select(Partner)).first(),
    }


def test_the_german_texts_to_look_for_are_many():
    assert len(GERMAN) > 300
    # A msgid with placeholders counts by its pieces; short words shared by both do not.
    assert "Ihre Anmeldung ist bestätigt" in GERMAN
    assert "Name" not in GERMAN and "E-Mail" not in GERMAN


def test_public_pages_and_the_self_service_are_english(app, demo):
    findings = Findings()
    client = english_client(app)
    stop, webinar = demo["stop"], demo["webinar"]
    for url in (
        "/",
        "/?kind=webinar",
        f"/events/{stop.slug}",
        f"/events/{webinar.slug}",
        f"/tours/{demo['tour'].slug}",
        "/calendar",
        "/subscribe",
        "/privacy",
        "/login",
        "/password/forgot",
        f"/events/{stop.slug}/register",
    ):
        findings.page(client, url)

    # The registration form with its errors, then a registration, its thank-you page and
    # the self-service page behind the real link.
    register = f"/events/{stop.slug}/register"
    findings.page(client, f"{register} (errors)", submit(client, register, {"language": "en"}))
    fields = form_fields(
        ("Grace Hopper", EMAIL), ("Alan Turing", "alan@firm.example"), language="en"
    )
    fields["contact_email"] = EMAIL
    response = submit(client, register, fields)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    thanks = response.headers["Location"]
    findings.page(client, thanks)
    manage = path_of(
        link_in(newest_mail("registrations/confirmed", EMAIL).text_body, "/registrations/")
    )
    findings.page(client, manage)

    # Subscribing: the form's errors, the sent page, the confirmation, the manage page.
    findings.page(client, "/subscribe (errors)", submit(client, "/subscribe", {}))
    response = submit(
        client, "/subscribe", {"email": EMAIL, "consent": "y", "notify_by_email": "y"}
    )
    assert response.status_code == 302
    findings.page(client, "/subscribe/sent")
    confirm = path_of(
        link_in(newest_mail("calendar/confirm_subscription").text_body, "/subscribe/confirm/")
    )
    findings.page(client, confirm)
    findings.page(client, f"{confirm} (confirmed)", submit(client, confirm, {}))
    subscription = path_of(
        link_in(newest_mail("calendar/subscription_active").text_body, "/subscriptions/")
    )
    findings.page(client, subscription)
    findings.page(client, f"{subscription}/unsubscribe")
    findings.page(
        client,
        "/login (wrong password)",
        submit(client, "/login", {"email": "nobody@firm.example", "password": "wrong"}),
    )
    findings.assert_none()


def test_back_office_portal_and_check_in_are_english(app, demo, make_user):
    findings = Findings()
    stop, webinar = demo["stop"], demo["webinar"]
    organiser = english_client(app)
    log_in(organiser, make_user(role=Role.ORGANISER))
    for url in (
        "/organiser/",
        "/organiser/events/",
        "/organiser/events/new",
        f"/organiser/events/{stop.id}/edit",
        f"/organiser/events/{webinar.id}/edit",
        f"/organiser/events/{stop.id}/registrations",
        f"/organiser/events/{stop.id}/registrations/new",
        f"/organiser/events/{stop.id}/history",
        f"/organiser/events/{webinar.id}/attendance-reports",
        "/organiser/tours/",
        "/organiser/tours/new",
        f"/organiser/tours/{demo['tour'].id}/edit",
        f"/organiser/tours/{demo['tour'].id}/clone",
        "/organiser/series/",
        "/organiser/series/new",
        *([f"/organiser/series/{demo['series'].id}"] if demo["series"] else []),
        "/organiser/venues/",
        "/organiser/venues/new",
        f"/organiser/venues/{demo['venue'].id}/edit",
        "/organiser/partners/",
        "/organiser/partners/new",
        f"/organiser/partners/{demo['partner'].id}/edit",
        "/organiser/reports/",
        f"/organiser/reports/events/{stop.id}",
        f"/organiser/reports/tours/{demo['tour'].id}",
        f"/organiser/reports/partners/{demo['partner'].id}",
        "/organiser/reports/compare",
        "/organiser/mail/",
        "/organiser/audit/",
        "/organiser/privacy",
        "/account/password",
        "/account/two-factor",
        "/account/tokens",
        f"/check-in/{stop.id}/",
    ):
        findings.page(organiser, url)
    # An attendance report that cannot be read: the line's message in English.
    reports = f"/organiser/events/{webinar.id}/attendance-reports"
    g.pop("csrf_token", None)
    token = csrf_token_from(organiser.get(reports).get_data(as_text=True))
    for name, data in (("bad.csv", own_report("malformed.csv")), ("empty.csv", b" \r\n")):
        bad = organiser.post(
            reports,
            data={"csrf_token": token, "file": (io.BytesIO(data), name), "min_minutes": "7"},
            content_type="multipart/form-data",
        )
        assert bad.status_code == 422
        assert "Line " in findings.page(organiser, f"{reports} ({name})", bad)

    admin = english_client(app)
    admin_user = make_user(role=Role.ADMIN)
    log_in(admin, admin_user)
    for url in (
        "/organiser/users",
        "/organiser/users/invite",
        f"/organiser/users/{admin_user.id}",
        f"/organiser/users/{admin_user.id}/history",
        "/organiser/security",
    ):
        findings.page(admin, url)

    partner = english_client(app)
    log_in(partner, make_user(role=Role.PARTNER, partner_id=demo["partner"].id))
    findings.page(partner, "/partner/")
    findings.page(partner, "/partner/report")
    event_link = re.search(
        r'href="(/partner/events/\d+)"', partner.get("/partner/").get_data(as_text=True)
    )
    if event_link:
        findings.page(partner, event_link.group(1))
    findings.assert_none()


def test_every_kind_of_mail_is_english(app, db, make_event, register_company, make_user):
    findings = Findings()
    start = utcnow() + timedelta(hours=20)
    event = make_event(
        title="Digital vor Ort: Weilheim",
        capacity=2,
        starts_at=start,
        ends_at=start + timedelta(hours=3),
    )
    webinar = make_event(
        kind=EventKind.WEBINAR, title="KI im Betrieb", join_url="https://meet.example/ki"
    )
    first = register_company(event, "Ada Huber", "Max Huber", language="en")
    waiting = register_company(event, "Grace Hopper", contact_email=EMAIL, language="en")
    register_company(webinar, "Alan Turing", language="en")
    cancel_registration(db.session, first.registration)  # Grace moves up
    db.session.commit()
    client = english_client(app)
    assert waiting.token is not None
    second = register_company(event, "Lin Chen", "Kim Park", language="en")
    if second.token:
        page = client.get(f"/registrations/{second.token}").get_data(as_text=True)
        removal = re.search(r'action="(/registrations/[^"]+/attendees/\d+/remove)"', page)
        if removal:
            client.post(removal.group(1), data={"csrf_token": csrf_token_from(page)})
    queue_reminders(db.session, within_hours=24)
    change_event(db.session, event, starts_at=start + timedelta(hours=1))
    db.session.commit()
    cancel_event(db.session, event)
    db.session.commit()

    # Subscriptions: confirm, active, exists, and a notice of a change.
    response = submit(
        client, "/subscribe", {"email": EMAIL, "consent": "y", "notify_by_email": "y"}
    )
    assert response.status_code == 302
    confirm = path_of(
        link_in(newest_mail("calendar/confirm_subscription").text_body, "/subscribe/confirm/")
    )
    assert submit(client, confirm, {}).status_code == 200
    submit(client, "/subscribe", {"email": EMAIL, "consent": "y"})
    notify_subscribers(db.session, webinar, "changed")
    db.session.commit()

    admin = make_user(role=Role.ADMIN)
    invite_user(
        db.session,
        email="new.colleague@ihk.example",
        name="New Colleague",
        role=Role.ORGANISER,
        partner=None,
        language="en",
        actor=admin,
    )
    request_password_reset(db.session, admin.email, language="en")
    db.session.commit()

    db.session.expire_all()
    english = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.language == "en").order_by(OutboxMessage.id)
    ).all()
    assert {message.template for message in english} >= MAIL_KINDS, sorted(
        MAIL_KINDS - {message.template for message in english}
    )
    for message in english:
        findings.mail(message)
    findings.assert_none()


def test_a_german_text_is_found_where_it_is_left(app):
    """The control: the search finds German on a page rendered in German."""
    text = visible_text(app.test_client().get("/subscribe").get_data(as_text=True))
    assert "Bitte stimmen Sie zu" not in text  # no error shown yet
    assert any(
        piece.startswith("Ich möchte den gewählten Veranstaltungskalender abonnieren")
        for piece in german_in(text)
    )
