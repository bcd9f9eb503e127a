"""Erasing one person (DSGVO Art. 17): everywhere the export found them, and nothing else.

The whole path: she registers on the form, mail is delivered (to a real SMTP server, or as
``.eml`` files), the export finds her, the erasure removes her, the export finds nothing,
every figure stays, and neither the database file nor the instance folder holds her name,
her address or her phone number any more.
"""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import sqlalchemy as sa

from roadshow.accounts.models import AuditLog, Role, User
from roadshow.calendar.models import Subscriber, SubscriberStatus
from roadshow.events.models import PartnerRole
from roadshow.mail.delivery import deliver_all_due
from roadshow.mail.models import OutboxMessage, OutboxStatus
from roadshow.registrations.models import Attendee, Registration
from tests.conftest import csrf_token_from
from tests.fixtures_pages import log_in
from tests.fixtures_privacy import (
    COLLEAGUE,
    EMAIL,
    TYPED_EMAIL,
    audit_entries,
    exported,
    henrike_everywhere,
    register_henrike,
    statistics,
    traces_in_database,
    traces_in_folder,
)

EMPTY = {
    "registrations": [],
    "attendees": [],
    "check_ins": [],
    "subscriptions": [],
    "messages": [],
    "audit_entries": [],
    "account": None,
}


def _tour_event(make_event, make_partner):
    partner = make_partner(slug="alpentel", name="Alpentel Kommunikation GmbH")
    event = make_event(title="Digital vor Ort: Weilheim", partners={partner: PartnerRole.HOST})
    return event, partner


def test_erased_means_gone_after_mail_went_to_the_smtp_server(
    app, db, client, submit_form, runner, smtp_sink, make_event, make_partner, register_company
):
    event, partner = _tour_event(make_event, make_partner)
    register_company(event, "Grete Obermaier")  # another company, untouched throughout
    registration = henrike_everywhere(client, submit_form, event, ref=partner.slug)
    report = deliver_all_due(db.session)
    assert report.failed == 0
    subjects = [m.message["Subject"] for m in smtp_sink.messages if m.rcpt_tos == [TYPED_EMAIL]]
    assert any("bestätigt" in s for s in subjects), subjects  # her confirmation arrived
    assert traces_in_database(app), "the search must find her before the erasure"

    before = exported(runner, EMAIL.upper())
    assert [r["id"] for r in before["registrations"]] == [registration.id]
    assert before["registrations"][0]["contact"]["phone"] == "+49 881 4711 0815"
    assert len(before["attendees"]) == len(before["check_ins"]) == 1
    assert before["subscriptions"][0]["confirmed_ip"] == "127.0.0.1"
    assert len(before["messages"]) >= 3  # confirmation, invitation, subscription mails
    assert any("Rückruf" in str(e["details"]) for e in before["audit_entries"])
    figures = statistics()

    result = runner.invoke(args=["privacy", "erase", f"  {EMAIL.title()} "])

    assert result.exit_code == 0, result.output
    assert "registrations: 1" in result.output and "attendees: 1" in result.output
    assert "subscribers: 1" in result.output
    after = exported(runner, EMAIL)
    assert {k: after[k] for k in EMPTY} == EMPTY
    assert statistics() == figures
    assert traces_in_database(app) == []
    assert traces_in_folder(Path(app.instance_path)) == []

    # What stays is anonymous, and says so; her colleague is still there as he was.
    db.session.expire_all()
    kept = db.session.get(Registration, registration.id)
    assert kept.anonymised_at is not None and kept.company_size == "1-9"
    assert kept.referral_partner_id == partner.id and kept.contact_email.endswith(".invalid")
    people = {a.name: a.email for a in kept.attendees}
    assert people == {"—": people["—"], COLLEAGUE[0]: COLLEAGUE[1]}
    subscriber = db.session.scalars(sa.select(Subscriber)).one()
    assert subscriber.status is SubscriberStatus.CANCELLED and subscriber.feed_token_hash is None
    [entry] = audit_entries("privacy.erased")
    assert entry.details["registrations"] == 1
    assert EMAIL not in str(entry.details).lower()


def test_mail_files_of_the_person_go_and_others_lose_her_name(
    app, db, submit_form, runner, make_event, make_partner
):
    event, partner = _tour_event(make_event, make_partner)
    register_henrike(submit_form, event, ref=partner.slug)
    deliver_all_due(db.session)  # no SMTP server configured: .eml files
    folder = Path(app.instance_path) / "mail"
    files = sorted(folder.glob("*.eml"))
    assert len(files) == 3  # her confirmation, her invitation, her colleague's invitation
    assert traces_in_folder(folder), "the search must find her in the files first"
    colleague = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == COLLEAGUE[1])
    ).one()
    assert "Schreinerei Lindqvist hat Sie angemeldet" in mail_text(folder, colleague.id)

    result = runner.invoke(args=["privacy", "erase", EMAIL])

    assert result.exit_code == 0, result.output
    assert traces_in_folder(Path(app.instance_path)) == []
    assert traces_in_database(app) == []
    # Her two mails are deleted; her colleague's invitation is still there, without her.
    [left] = sorted(folder.glob("*.eml"))
    assert left.name.endswith(f"-{colleague.id:06d}.eml")
    assert "achterberg.example" in left.read_text()
    assert "[gelöscht] hat Sie angemeldet" in mail_text(folder, colleague.id)
    db.session.expire_all()
    statuses = dict(db.session.execute(sa.select(OutboxMessage.id, OutboxMessage.status)).all())
    assert set(statuses.values()) == {OutboxStatus.SENT}


def mail_text(folder: Path, row_id: int) -> str:
    """The decoded text part of the ``.eml`` file of outbox row ``row_id``."""
    [path] = folder.glob(f"*-{row_id:06d}.eml")
    message = message_from_bytes(path.read_bytes(), policy=default_policy)
    part = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    return str(part.get_content())


def test_the_organiser_page_shows_asks_and_erases(
    app, db, client, submit_form, make_event, make_partner, make_user
):
    event, partner = _tour_event(make_event, make_partner)
    henrike_everywhere(client, submit_form, event, ref=partner.slug)
    organiser = make_user()
    log_in(submit_form, organiser)
    figures = statistics()

    found = submit_form("/organiser/privacy", {"email": EMAIL.upper()})
    page = found.get_data(as_text=True)
    assert found.status_code == 200 and "Gespeichert zu " + EMAIL in page
    assert '<tr id="count-registrations"><th scope="row">Anmeldungen</th><td>1</td>' in page
    assert '<tr id="count-subscribers"><th scope="row">Kalender-Abos</th><td>1</td>' in page
    assert found.headers["Cache-Control"] == "no-store"
    assert found.headers["Referrer-Policy"] == "no-referrer"

    asked = submit_form("/organiser/privacy", {"email": EMAIL}, action="/organiser/privacy/erase")
    assert asked.status_code == 200
    assert "Noch ist nichts gelöscht" in asked.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).where(Attendee.email_normalized == EMAIL))

    done = submit_form(
        "/organiser/privacy", {"email": EMAIL, "confirm": "1"}, action="/organiser/privacy/erase"
    )

    assert done.status_code == 200, done.get_data(as_text=True)
    assert "Die Daten der Person sind gelöscht" in done.get_data(as_text=True)
    assert EMAIL not in done.get_data(as_text=True)
    assert traces_in_database(app) == []
    assert statistics() == figures
    [entry] = audit_entries("privacy.erased")
    assert entry.actor_id == organiser.id
    again = submit_form("/organiser/privacy", {"email": EMAIL})
    assert "Zu dieser Adresse ist nichts gespeichert." in again.get_data(as_text=True)


def test_an_account_is_scrubbed_and_the_last_admin_is_refused(
    app, db, client, submit_form, runner, make_user
):
    admin = make_user(email=EMAIL, name="Henrike Lindqvist", role=Role.ADMIN)

    refused = runner.invoke(args=["privacy", "erase", EMAIL])

    assert refused.exit_code != 0
    assert "letzten aktiven Administratorkonto" in refused.output
    assert db.session.get(User, admin.id).email == EMAIL  # nothing happened
    assert audit_entries("privacy.erased") == []

    make_user(role=Role.ADMIN)
    result = runner.invoke(args=["privacy", "erase", EMAIL])

    assert result.exit_code == 0, result.output
    assert "accounts: 1" in result.output
    db.session.expire_all()
    account = db.session.get(User, admin.id)
    assert not account.active and account.email.endswith("@erased.invalid")
    assert account.name == "—"
    assert traces_in_database(app) == []


def test_the_erase_page_refuses_the_last_admin_next_to_the_field(
    db, client, submit_form, make_user
):
    admin = make_user(email=EMAIL, role=Role.ADMIN)
    log_in(submit_form, admin)

    response = submit_form(
        "/organiser/privacy", {"email": EMAIL, "confirm": "1"}, action="/organiser/privacy/erase"
    )

    assert response.status_code == 422
    assert "letzten aktiven Administratorkonto" in response.get_data(as_text=True)
    assert db.session.get(User, admin.id).active
    assert db.session.scalar(sa.select(sa.func.count(AuditLog.id))) == 0


def test_the_pages_need_an_organiser_and_a_csrf_token(
    db, client, submit_form, make_user, make_partner, make_event
):
    register_henrike(submit_form, make_event())
    assert client.get("/organiser/privacy").status_code == 302  # to the login page
    partner_user = make_user(role=Role.PARTNER, partner_id=make_partner().id)
    log_in(submit_form, partner_user)
    assert client.get("/organiser/privacy").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").text)})
    log_in(submit_form, make_user(role=Role.ORGANISER))

    refused = client.post("/organiser/privacy/erase", data={"email": EMAIL, "confirm": "1"})

    assert refused.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).where(Attendee.email_normalized == EMAIL))
