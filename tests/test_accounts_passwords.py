"""Passwords as their owners meet them: the policy's messages, changing one's own, a reset
by mail whose link works once and expires, and logins that give nothing away."""

from __future__ import annotations

import hashlib
import re
import time
import types
from collections.abc import Callable

import itsdangerous.timed
import pytest
from sqlalchemy import select

from roadshow.accounts.models import AuditLog, Role, User
from roadshow.accounts.passwords import MIN_LENGTH
from roadshow.extensions import db
from roadshow.mail.delivery import deliver_due
from tests.fixtures_pages import PASSWORD, log_in

RESET_LINK = re.compile(r"http://roadshow\.example(/password/reset/[A-Za-z0-9_.-]+)")
NEW_PASSWORD = "Lange Nacht im Stadtmuseum 2027"


@pytest.fixture
def hours_later(monkeypatch) -> Callable[[float], None]:
    """``hours_later(2.5)``: signed links are checked as if that much time had passed
    (itsdangerous reads the clock through ``time.time``)."""

    def advance(hours: float) -> None:
        later = time.time() + hours * 3600
        monkeypatch.setattr(itsdangerous.timed, "time", types.SimpleNamespace(time=lambda: later))

    return advance


def deliver_all() -> None:
    while deliver_due(db.session).claimed:
        pass


def text_of(received) -> str:
    return received.message.get_body(("plain",)).get_content()


def html_of(received) -> str:
    return received.message.get_body(("html",)).get_content()


def page(response) -> str:
    return response.get_data(as_text=True)


# --- the policy ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("kurz-123", f"mindestens {MIN_LENGTH} Zeichen"),
        ("Q1W2E3R4T5Y6", "gehört zu den meistbenutzten"),
        ("1qaz2wsx3edc", "gehört zu den meistbenutzten"),
        ("olga.organisatorin", "nicht Ihre E-Mail-Adresse"),
        ("Olga.Organisatorin@ihk.example", "nicht Ihre E-Mail-Adresse"),
    ],
)
def test_the_change_form_explains_a_refused_password_next_to_the_field(
    client, submit_form, make_user, password, message
):
    user = make_user(email="olga.organisatorin@ihk.example")
    log_in(submit_form, user)
    response = submit_form(
        "/account/password",
        {"current_password": PASSWORD, "password": password, "password_confirm": password},
    )
    assert response.status_code == 200
    html = page(response)
    error = re.search(r'<p class="error" id="password-error">([^<]*)</p>', html)
    assert error and message in error.group(1), html
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_the_change_form_says_when_the_current_password_is_wrong_or_the_two_differ(
    client, submit_form, make_user
):
    user = make_user()
    log_in(submit_form, user)
    wrong = submit_form(
        "/account/password",
        {
            "current_password": "nicht richtig",
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    )
    assert 'id="current_password-error">Das bisherige Passwort stimmt nicht.' in page(wrong)
    different = submit_form(
        "/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirm": "anders"},
    )
    assert "Die beiden Eingaben stimmen nicht überein." in page(different)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_the_change_page_needs_a_login(client):
    response = client.get("/account/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_a_changed_password_logs_in_and_the_old_one_does_not(client, submit_form, make_user):
    user = make_user(email="planer@ihk.example")
    log_in(submit_form, user)
    response = submit_form(
        "/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    followed = client.get(response.headers["Location"])
    assert "Ihr Passwort ist geändert." in page(followed)
    assert client.get("/organiser/").status_code == 200  # this browser stays logged in
    client.post("/logout", data={"csrf_token": _csrf(client)})
    old = submit_form("/login", {"email": user.email, "password": PASSWORD})
    assert "E-Mail-Adresse oder Passwort stimmen nicht." in page(old)
    assert submit_form("/login", {"email": user.email, "password": NEW_PASSWORD}).status_code == 302
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.object_id == user.id))
    assert "user.password_changed" in list(actions)


def _csrf(client) -> str:
    from tests.conftest import csrf_token_from

    return csrf_token_from(page(client.get("/account/password")))


def create_with_cli(runner, email: str, password: str, *options: str):
    return runner.invoke(
        args=["users", "create", "--email", email, "--name", "P", *options, "--password", password]
    )


def test_the_cli_applies_the_same_policy(runner, make_partner):
    partner = make_partner(slug="netzwerk")
    as_partner = ("--role", "partner", "--partner", "netzwerk")
    weak = create_with_cli(runner, "p@firma.example", "password1234", *as_partner)
    assert weak.exit_code != 0 and "meistbenutzten" in weak.output
    made = create_with_cli(runner, "p@firma.example", NEW_PASSWORD, *as_partner)
    assert made.exit_code == 0, made.output
    user = db.session.scalar(select(User).where(User.email == "p@firma.example"))
    assert user.role is Role.PARTNER and user.partner_id == partner.id
    unknown = create_with_cli(
        runner, "q@firma.example", NEW_PASSWORD, "--role", "partner", "--partner", "gibt-es-nicht"
    )
    assert unknown.exit_code != 0 and "gibt-es-nicht" in unknown.output
    without = create_with_cli(runner, "q@firma.example", NEW_PASSWORD, "--role", "partner")
    assert without.exit_code != 0 and "gehört zu einem Partner" in without.output


# --- reset by mail -------------------------------------------------------------------


def _ask_for_reset(submit_form, email: str) -> str:
    response = submit_form("/password/forgot", {"email": email})
    assert response.status_code == 302
    return response.headers["Location"]


def test_forgot_password_answers_the_same_for_known_and_unknown_addresses(
    client, submit_form, make_user, smtp_sink
):
    make_user(email="olga@ihk.example")
    answers = []
    for address in ("olga@ihk.example", "niemand@ihk.example"):
        location = _ask_for_reset(submit_form, address)
        answers.append((location, page(client.get(location))))
    assert answers[0] == answers[1]
    assert "Wenn zu dieser Adresse ein Konto besteht" in answers[0][1]
    deliver_all()
    assert [m.rcpt_tos for m in smtp_sink.messages] == [["olga@ihk.example"]]


def test_the_reset_link_from_the_mail_works_once(client, submit_form, make_user, smtp_sink):
    user = make_user(email="olga@ihk.example", name="Olga Organisatorin")
    _ask_for_reset(submit_form, "OLGA@ihk.example")
    deliver_all()
    [received] = smtp_sink.to("olga@ihk.example")
    assert received.message["Subject"] == "Neues Passwort für Roadshow"
    text = text_of(received)
    assert "Guten Tag Olga Organisatorin," in text and "2 Stunden" in text
    path = RESET_LINK.search(text).group(1)
    assert path in html_of(received)

    form = client.get(path)
    assert form.status_code == 200
    assert form.headers["Referrer-Policy"] == "no-referrer"
    assert "Neues Passwort setzen" in page(form)
    short = submit_form(path, {"password": "zu kurz", "password_confirm": "zu kurz"})
    assert "mindestens 12 Zeichen" in page(short)

    done = submit_form(path, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/organiser/"
    assert client.get("/organiser/").status_code == 200  # logged in by the link
    db.session.refresh(user)
    assert user.check_password(NEW_PASSWORD)

    again = client.get(path)
    assert again.status_code == 404
    assert "Dieser Link gilt nicht (mehr)" in page(again)


def test_a_reset_link_expires_after_two_hours(
    client, submit_form, make_user, smtp_sink, hours_later
):
    make_user(email="olga@ihk.example")
    _ask_for_reset(submit_form, "olga@ihk.example")
    deliver_all()
    path = RESET_LINK.search(text_of(smtp_sink.messages[0])).group(1)
    hours_later(1.9)
    assert client.get(path).status_code == 200
    hours_later(2.1)
    expired = client.get(path)
    assert expired.status_code == 410
    assert "Dieser Link ist abgelaufen" in page(expired)
    assert "Neuen Link anfordern" in page(expired)


def test_a_password_change_ends_older_reset_links(client, submit_form, make_user, smtp_sink):
    user = make_user(email="olga@ihk.example")
    _ask_for_reset(submit_form, "olga@ihk.example")
    deliver_all()
    path = RESET_LINK.search(text_of(smtp_sink.messages[0])).group(1)
    log_in(submit_form, user)
    submit_form(
        "/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert client.get(path).status_code == 404


def test_an_altered_link_opens_nothing(client, make_user):
    make_user()
    assert client.get("/password/reset/eyJ1c2VyIjoxfQ.abc.def").status_code == 404
    assert client.get("/invitation/nonsense").status_code == 404


def test_the_reset_mail_speaks_english_when_asked_in_english(
    client, submit_form, make_user, smtp_sink
):
    make_user(email="olga@ihk.example")
    client.get("/language/en")
    _ask_for_reset(submit_form, "olga@ihk.example")
    deliver_all()
    [received] = smtp_sink.messages
    assert received.message["Subject"] == "A new password for Roadshow"
    assert "The link is valid for 2 hours and can be used once." in text_of(received)


def test_asking_for_reset_links_is_rate_limited(app, client, submit_form):
    app.config["RESET_LINK_RATE_LIMIT"] = "2 per minute"
    statuses = [
        submit_form("/password/forgot", {"email": "x@ihk.example"}).status_code for _ in range(3)
    ]
    assert statuses == [302, 302, 429]


# --- login -------------------------------------------------------------------------------


def test_an_unknown_address_and_a_wrong_password_get_the_same_answer(
    client, submit_form, make_user
):
    make_user(email="olga@ihk.example")
    wrong = page(submit_form("/login", {"email": "olga@ihk.example", "password": "falsch-123"}))
    unknown = page(submit_form("/login", {"email": "nie@ihk.example", "password": "falsch-123"}))

    def without_address_and_token(html: str, address: str) -> str:
        return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", html).replace(
            address, "X"
        )

    assert without_address_and_token(wrong, "olga@ihk.example") == without_address_and_token(
        unknown, "nie@ihk.example"
    )
    assert "E-Mail-Adresse oder Passwort stimmen nicht." in wrong


def test_an_unknown_address_costs_the_same_slow_hash_as_a_wrong_password(
    client, submit_form, make_user, monkeypatch
):
    """No timing assert: the work itself is counted, one scrypt per attempt whatever the
    address (the first one of the process also makes the stand-in hash)."""
    make_user(email="olga@ihk.example")
    make_user(email="weg@ihk.example", active=False)
    submit_form("/login", {"email": "vorab@ihk.example", "password": "falsch-123"})
    calls: list[int] = []
    scrypt = hashlib.scrypt

    def counted(*args, **kwargs):
        calls.append(kwargs.get("n", 0))
        return scrypt(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    work = {}
    for address in ("olga@ihk.example", "nie@ihk.example", "weg@ihk.example"):
        calls.clear()
        submit_form("/login", {"email": address, "password": "falsch-123"})
        work[address] = list(calls)
    assert work["nie@ihk.example"] == work["olga@ihk.example"] == work["weg@ihk.example"]
    assert len(work["olga@ihk.example"]) == 1


def test_deactivated_and_invited_users_cannot_log_in(client, submit_form, make_user):
    make_user(email="weg@ihk.example", active=False)
    invited = make_user(email="neu@ihk.example")
    invited.password_hash = ""
    db.session.commit()
    for address, password in (("weg@ihk.example", PASSWORD), ("neu@ihk.example", "")):
        response = submit_form("/login", {"email": address, "password": password or "irgendwas"})
        assert response.status_code == 200
        assert client.get("/organiser/").status_code == 302


def test_logins_are_limited_per_account_from_any_address(app, client, submit_form, make_user):
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "3 per minute"
    user = make_user(email="olga@ihk.example")
    statuses = [
        submit_form(
            "/login",
            {"email": "Olga@IHK.example", "password": "falsch-123"},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
        ).status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    blocked = submit_form(
        "/login",
        {"email": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert blocked.status_code == 429
    assert "zu viele Versuche" in page(blocked)
    other = submit_form("/login", {"email": "anna@ihk.example", "password": "falsch-123"})
    assert other.status_code == 200  # another account is not limited


@pytest.mark.parametrize(
    ("next_url", "target"),
    [
        ("/organiser/events/", "/organiser/events/"),
        ("//evil.example/", "/organiser/"),
        ("https://evil.example/", "/organiser/"),
        ("/\\evil.example", "/organiser/"),
    ],
)
def test_next_goes_only_to_local_paths(client, make_user, next_url, target):
    from tests.conftest import csrf_token_from

    user = make_user()
    login_page = client.get("/login", query_string={"next": next_url})
    response = client.post(
        "/login",
        query_string={"next": next_url},
        data={
            "csrf_token": csrf_token_from(page(login_page)),
            "email": user.email,
            "password": PASSWORD,
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == target
