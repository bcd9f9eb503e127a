"""Fuzzing the forms a company fills in: the public registration form and the self-service
page behind the secret link. Whatever is typed (any Unicode, control characters, huge or
empty values, any number of attendee rows, no CSRF token), the answer is never a server
error; a refused form comes back with what was typed and a message next to each bad field;
and the database holds the whole registration (attendees, outbox mail) or nothing of it.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note_outcome
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from markupsafe import escape
from sqlalchemy import func, select

from roadshow.mail.models import OutboxMessage
from roadshow.registrations.forms import clean_text
from roadshow.registrations.models import Attendee, AttendeeStatus, Registration
from tests.conftest import csrf_token_from
from tests.fixtures_registrations import form_fields

# Hypothesis keeps caches (constants read from the code, Unicode tables) in its home
# folder, by default .hypothesis/ in the working directory: not in the checkout.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "roadshow-hypothesis")

FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Any text: every plane, control characters included (a form sends no lone surrogates:
# they cannot be written in UTF-8), now and then huge.
ANY_TEXT = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=40),
    st.text(st.characters(codec="utf-8", max_codepoint=0x7F), max_size=40),
    st.text(st.sampled_from("a \t\n\x00\x1f\x7f-@."), min_size=250, max_size=5000),
    st.sampled_from(["", " ", "Schreinerei Huber", "anna@huber.example", "82362"]),
    st.from_regex(r"[A-Za-zÄÖÜäöüß][A-Za-zÄÖÜäöüß .-]{0,30}", fullmatch=True),
)
NAMES = st.from_regex(r"[A-Za-zÄÖÜäöüß][A-Za-zÄÖÜäöüß .-]{0,30}", fullmatch=True)
EMAILS = st.emails()
FIELDS = (
    "company_name",
    "company_size",
    "industry",
    "postcode",
    "town",
    "contact_name",
    "contact_email",
    "contact_phone",
    "language",
    "privacy_consent",
    "newsletter_consent",
)
REQUIRED = ("company_name", "postcode", "town", "contact_name", "contact_email")


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": False}  # hundreds of submissions from one address


def counts(db) -> tuple[int, int, int]:
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count(Registration.id))),
        db.session.scalar(select(func.count(Attendee.id))),
        db.session.scalar(select(func.count(OutboxMessage.id))),
    )


def message_next_to(page: str, field_id: str) -> bool:
    return re.search(rf'<p class="error" id="{re.escape(field_id)}-error">', page) is not None


def kept(page: str, typed: str) -> bool:
    """What was typed, as the form keeps it (one line, spaces around dropped), is in the page."""
    value = clean_text(typed) or ""
    return not value or str(escape(value)) in page


@given(
    typed=st.dictionaries(st.sampled_from(FIELDS), ANY_TEXT, max_size=4),
    rows=st.dictionaries(
        st.one_of(st.integers(0, 7), st.sampled_from([10**12, -1])),
        st.one_of(st.tuples(ANY_TEXT, ANY_TEXT), st.tuples(NAMES, EMAILS)),
        max_size=8,
    ),
    base=st.booleans(),
    with_csrf=st.booleans(),
)
@FUZZ
def test_the_registration_form_survives_anything_typed(
    db, client, make_event, typed, rows, base, with_csrf
):
    event = make_event(capacity=4, max_attendees_per_registration=5)
    url = f"/events/{event.slug}/register"
    # A plausible registration with some fields typed over, or only what was typed.
    data: dict[str, Any] = form_fields(("Max Huber", "max@huber.example")) if base else {}
    data.update(typed)
    for index, (name, email) in rows.items():
        data[f"attendees-{index}-name"] = name
        data[f"attendees-{index}-email"] = email
    if with_csrf:
        data["csrf_token"] = csrf_token_from(client.get(url).get_data(as_text=True))
    before = counts(db)

    response = client.post(url, data=data)

    note_outcome(str(response.status_code))
    assert response.status_code < 500
    after = counts(db)
    if not with_csrf:
        assert response.status_code == 400
        assert after == before
        return
    if response.status_code == 303:
        registration = db.session.scalar(select(Registration).order_by(Registration.id.desc()))
        attendees = len(registration.attendees)
        assert 1 <= attendees <= 5
        assert after[0] == before[0] + 1 and after[1] == before[1] + attendees
        assert after[2] > before[2]  # the company's mail (and any invitations) queued
        return
    assert response.status_code in (409, 422), response.status_code
    assert after == before, "a refused registration left rows behind"
    page = response.get_data(as_text=True)
    if response.status_code == 422:
        assert 'class="error"' in page
        for field in REQUIRED:
            if field in data and not clean_text(data[field]):
                assert message_next_to(page, field), field
        for field in ("company_name", "town", "contact_name", "contact_email", "postcode"):
            if field in data:
                assert kept(page, data[field]), field
        for index, (name, email) in rows.items():
            if 0 <= index < 5:
                assert kept(page, name) and kept(page, email), index


@given(
    name=ANY_TEXT,
    email=ANY_TEXT,
    action=st.sampled_from(["add", "replace", "remove", "cancel"]),
    confirm=st.one_of(st.none(), ANY_TEXT),
    with_csrf=st.booleans(),
)
@FUZZ
def test_the_self_service_page_survives_anything_typed(
    db, client, make_event, register_company, name, email, action, confirm, with_csrf
):
    event = make_event(capacity=6, max_attendees_per_registration=4)
    outcome = register_company(event, "Ada Huber", "Max Huber")
    token = outcome.token
    attendee = outcome.registration.attendees[0].id
    page = client.get(f"/registrations/{token}").get_data(as_text=True)
    csrf = csrf_token_from(page)
    prefix, path = {
        "add": ("add-", "/attendees"),
        "replace": (f"replace-{attendee}-", f"/attendees/{attendee}/replace"),
        "remove": ("", f"/attendees/{attendee}/remove"),
        "cancel": ("", "/cancel"),
    }[action]
    data: dict[str, Any] = {f"{prefix}name": name, f"{prefix}email": email}
    if confirm is not None:
        data["confirm"] = confirm
    if with_csrf:
        data[f"{prefix}csrf_token"] = csrf
    before = counts(db)
    active_before = db.session.scalar(
        select(func.count(Attendee.id)).where(Attendee.status == AttendeeStatus.ACTIVE)
    )

    response = client.post(f"/registrations/{token}{path}", data=data)

    note_outcome(f"{action} {with_csrf} {response.status_code}")
    assert response.status_code < 500
    after = counts(db)
    active_after = db.session.scalar(
        select(func.count(Attendee.id)).where(Attendee.status == AttendeeStatus.ACTIVE)
    )
    if response.status_code == 303:
        assert after[0] == before[0]
        change = {"add": 1, "replace": 0, "remove": -1, "cancel": -2}[action]
        assert active_after == active_before + change
        assert after[2] > before[2]  # every change that worked tells someone
        return
    assert response.status_code in (400, 409, 422), response.status_code
    assert after == before and active_after == active_before
    if response.status_code == 422 and action in ("add", "replace"):
        html = response.get_data(as_text=True)
        assert kept(html, name) and kept(html, email)
        for field, value in (("name", name), ("email", email)):
            if not clean_text(value):
                assert message_next_to(html, f"{prefix}{field}"), field
