"""Registration rules: seats, the waiting list, promotion, duplicates, closed events, tokens."""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from roadshow.errors import DomainError
from roadshow.events.models import Event, EventStatus
from roadshow.mail.models import OutboxMessage
from roadshow.registrations.models import (
    Attendee,
    AttendeeStatus,
    Registration,
    RegistrationStatus,
)
from roadshow.registrations.selfservice import cancel_registration, remove_attendee
from roadshow.registrations.services import (
    AttendeeInput,
    RegistrationClosed,
    promote_from_waiting_list,
    recount_seats,
    register,
    seats_taken,
    set_capacity,
)
from roadshow.registrations.tokens import find_registration
from tests.fixtures_registrations import registration_input


def status_of(db, outcome) -> RegistrationStatus:
    return db.session.get(Registration, outcome.registration.id).status


def test_a_registration_that_fits_is_confirmed_and_its_attendees_take_seats(
    db, make_event, register_company
):
    event = make_event(capacity=5)
    outcome = register_company(event, "Ada Huber", "Max Huber")
    assert outcome.registration.status is RegistrationStatus.CONFIRMED
    assert [a.email for a in outcome.registration.attendees] == [
        "ada.huber@firma.example",
        "max.huber@firma.example",
    ]
    assert seats_taken(db.session, event.id) == 2


def test_the_whole_registration_waits_when_too_few_seats_are_left(db, make_event, register_company):
    event = make_event(capacity=3)
    first = register_company(event, "A1", "A2")
    second = register_company(event, "B1", "B2")  # one seat left, two wanted
    assert first.registration.status is RegistrationStatus.CONFIRMED
    assert second.registration.status is RegistrationStatus.WAITLISTED
    assert second.registration.waitlisted_at is not None
    assert seats_taken(db.session, event.id) == 2  # waiting attendees hold no seat
    third = register_company(event, "C1")  # the free seat goes to one that fits
    assert third.registration.status is RegistrationStatus.CONFIRMED
    assert seats_taken(db.session, event.id) == 3


def test_freed_seats_promote_the_oldest_waiting_registrations_that_fit(
    db, make_event, register_company
):
    event = make_event(capacity=4)
    a = register_company(event, "A1", "A2")
    b = register_company(event, "B1", "B2")
    big = register_company(event, "W1", "W2", "W3")
    small = register_company(event, "X1")
    smaller = register_company(event, "Y1")
    assert {status_of(db, o) for o in (big, small, smaller)} == {RegistrationStatus.WAITLISTED}

    promoted = cancel_registration(db.session, a.registration)
    db.session.commit()
    # two seats: the three-person company does not fit, the two behind it do
    assert [r.id for r in promoted] == [small.registration.id, smaller.registration.id]
    assert status_of(db, big) is RegistrationStatus.WAITLISTED
    assert seats_taken(db.session, event.id) == 4

    promoted = set_capacity(db.session, event, 7)
    db.session.commit()
    assert [r.id for r in promoted] == [big.registration.id]
    assert seats_taken(db.session, event.id) == 7
    assert status_of(db, b) is RegistrationStatus.CONFIRMED


def test_removing_one_attendee_promotes_a_waiting_company(db, make_event, register_company):
    event = make_event(capacity=2)
    ours = register_company(event, "Ada", "Max")
    waiting = register_company(event, "Grace")
    assert waiting.registration.status is RegistrationStatus.WAITLISTED

    max_id = ours.registration.attendees[1].id
    promoted = remove_attendee(db.session, ours.registration, max_id)
    db.session.commit()
    assert [r.id for r in promoted] == [waiting.registration.id]
    assert status_of(db, waiting) is RegistrationStatus.CONFIRMED
    assert status_of(db, ours) is RegistrationStatus.CONFIRMED
    assert db.session.get(Attendee, max_id).status is AttendeeStatus.CANCELLED
    assert seats_taken(db.session, event.id) == 2


def test_nobody_is_promoted_once_the_event_is_cancelled(db, make_event, register_company):
    event = make_event(capacity=1)
    register_company(event, "Ada")
    waiting = register_company(event, "Grace")
    event.status = EventStatus.CANCELLED
    event.capacity = 5
    db.session.commit()
    assert promote_from_waiting_list(db.session, event) == []
    db.session.commit()
    assert status_of(db, waiting) is RegistrationStatus.WAITLISTED


def test_fewer_seats_turn_nobody_away_but_take_nobody_new(db, make_event, register_company):
    event = make_event(capacity=3)
    first = register_company(event, "Ada", "Max")
    set_capacity(db.session, event, 1)
    db.session.commit()
    assert status_of(db, first) is RegistrationStatus.CONFIRMED
    assert register_company(event, "Grace").registration.status is RegistrationStatus.WAITLISTED


NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"status": EventStatus.DRAFT}, "noch keine Anmeldung möglich"),
        ({"status": EventStatus.CANCELLED}, "abgesagt"),
        ({"starts_at": NOW - timedelta(hours=1)}, "bereits begonnen"),
        ({"registration_opens_at": NOW + timedelta(days=2)}, "Die Anmeldung öffnet am"),
        ({"registration_closes_at": NOW - timedelta(days=1)}, "geschlossen"),
    ],
    ids=["draft", "cancelled", "started", "not-yet-open", "closed"],
)
def test_closed_events_refuse_with_a_clear_message_and_store_nothing(
    db, make_event, values, message
):
    event = make_event(**values)
    with pytest.raises(RegistrationClosed, match=message) as refused:
        register(db.session, event.id, registration_input("Ada"))
    db.session.rollback()
    assert refused.value.field == "event"
    assert db.session.scalar(select(func.count(Registration.id))) == 0
    assert db.session.scalar(select(func.count(Attendee.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_the_same_attendee_email_twice_for_one_event_gets_a_message_not_a_seat(
    db, make_event, register_company
):
    event = make_event()
    register_company(event, "Ada Huber")
    data = registration_input(
        attendees=[
            AttendeeInput("Max", "max@firma.example"),
            AttendeeInput("Ada", "  ADA.Huber@Firma.example "),
        ]
    )
    with pytest.raises(DomainError) as refused:
        register(db.session, event.id, data)
    db.session.rollback()
    assert refused.value.field == "attendees-1-email"
    assert "ADA.Huber@Firma.example ist für diese Veranstaltung bereits angemeldet" in str(
        refused.value
    )
    assert seats_taken(db.session, event.id) == 1
    other_event = make_event()  # the same person may come to another event
    assert register_company(other_event, "Ada Huber").registration.status.value == "confirmed"


def test_one_email_twice_in_one_registration_is_refused(db, make_event):
    event = make_event()
    data = registration_input(
        attendees=[
            AttendeeInput("Ada", "ada@firma.example"),
            AttendeeInput("A", "ADA@firma.example"),
        ]
    )
    with pytest.raises(DomainError) as refused:
        register(db.session, event.id, data)
    assert refused.value.field == "attendees-1-email"


def test_a_cancelled_attendee_may_register_again(db, make_event, register_company):
    event = make_event()
    first = register_company(event, "Ada Huber")
    cancel_registration(db.session, first.registration)
    db.session.commit()
    again = register_company(event, "Ada Huber")
    assert again.registration.status is RegistrationStatus.CONFIRMED


def test_the_database_allows_one_active_seat_per_email_and_event(db, make_event, register_company):
    event = make_event()
    first = register_company(event, "Ada")
    db.session.add(
        Attendee(
            registration_id=first.registration.id,
            event_id=event.id,
            name="Ada again",
            email="ada@firma.example",
            email_normalized="ada@firma.example",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_more_attendees_than_the_event_allows_are_refused(db, make_event):
    event = make_event(max_attendees_per_registration=2)
    with pytest.raises(DomainError, match="höchstens 2 Teilnehmende") as refused:
        register(db.session, event.id, registration_input("A", "B", "C"))
    assert refused.value.field == "attendees"


def test_privacy_consent_is_required(db, make_event):
    event = make_event()
    with pytest.raises(DomainError) as refused:
        register(db.session, event.id, registration_input("A", privacy_consent=False))
    assert refused.value.field == "privacy_consent"


def test_the_same_submission_twice_stores_one_registration(db, make_event, register_company):
    event = make_event()
    first = register_company(event, "Ada", submission_key="k" * 32)
    again = register_company(event, "Ada", submission_key="k" * 32)
    assert again.repeated and again.token is None
    assert again.registration.id == first.registration.id
    assert db.session.scalar(select(func.count(Registration.id))) == 1


def test_a_referral_link_attributes_the_registration_to_the_partner(
    db, make_event, make_partner, register_company
):
    partner = make_partner(slug="alpentel")
    event = make_event()
    referred = register_company(event, "Ada", referral_partner_slug="alpentel")
    unknown = register_company(event, "Max", referral_partner_slug="nobody")
    assert referred.registration.referral_partner_id == partner.id
    assert unknown.registration.referral_partner_id is None


def test_a_race_lost_on_the_unique_index_gets_the_same_message(
    app, db, make_event, register_company
):
    """Another writer inserts the same email while our registration runs.

    On PostgreSQL our check does not see the other's uncommitted row, so the unique index
    refuses our insert once it commits; on SQLite the other writer holds the write lock and
    our check sees the row. Either way the person gets the same message, and no error.
    """
    event = make_event()
    other = register_company(event, "Someone")
    outcome: dict[str, object] = {}

    def ours() -> None:
        with app.app_context():
            try:
                register(db.session, event.id, registration_input("Ada"))
                db.session.commit()
                outcome["result"] = "registered"
            except DomainError as error:
                db.session.rollback()
                outcome["result"] = (error.field, error.message)
            finally:
                db.session.remove()

    with db.engine.connect() as connection:
        transaction = connection.begin()
        connection.execute(
            sa.insert(Attendee).values(
                registration_id=other.registration.id,
                event_id=event.id,
                name="Ada elsewhere",
                email="ada@firma.example",
                email_normalized="ada@firma.example",
                status="active",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        thread = threading.Thread(target=ours)
        thread.start()
        time.sleep(0.5)  # our registration now waits for the other writer (or is done)
        transaction.commit()
    thread.join(timeout=30)
    assert outcome["result"] == (
        "attendees-0-email",
        "ada@firma.example ist für diese Veranstaltung bereits angemeldet.",
    )
    # The other writer inserted its row by hand, past the services that recount seats.
    recount_seats(db.session, db.session.get(Event, event.id))
    db.session.commit()


def test_tokens_are_long_random_and_only_their_hash_is_stored(db, make_event, register_company):
    event = make_event()
    outcome = register_company(event, "Ada")
    token = outcome.token
    assert token and len(token) >= 43  # 32 random bytes, URL-safe
    stored = db.session.get(Registration, outcome.registration.id)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    row = db.session.execute(
        select(Registration.__table__).where(Registration.id == stored.id)
    ).one()
    assert token not in [str(value) for value in row]
    assert find_registration(db.session, token).id == stored.id
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert find_registration(db.session, tampered) is None
    assert find_registration(db.session, stored.token_hash) is None  # the hash opens nothing
    assert find_registration(db.session, "../../etc/passwd") is None
    assert register_company(event, "Max").token != token


def first_write(statements: list[str]) -> str:
    return next(s for s in statements if not s.lstrip().upper().startswith(("SELECT", "PRAGMA")))


def test_the_event_lock_is_the_first_write_of_every_seat_change(
    db, make_event, register_company, count_queries
):
    """On SQLite the first write takes the database lock; an earlier write (or a read inside
    an open transaction) would let two requests count the same free seats."""
    event = make_event(capacity=1)
    with count_queries() as statements:
        register(db.session, event.id, registration_input("Ada", "Max"))
    db.session.commit()
    assert first_write(statements).startswith("UPDATE event SET updated_at=event.updated_at")
    waiting = register_company(event, "Grace", "Linus")
    with count_queries() as statements:
        cancel_registration(db.session, waiting.registration)
    db.session.commit()
    assert first_write(statements).startswith("UPDATE event SET updated_at=event.updated_at")
