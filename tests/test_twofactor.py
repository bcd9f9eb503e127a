"""The second factor as staff meet it: enrolling from the QR page, the code step of a
login, recovery codes that work once, and an admin requiring it for every organiser."""

from __future__ import annotations

import re
import threading
import time

import pyotp
import pytest

from roadshow.accounts import twofactor
from roadshow.accounts.models import Role, User
from roadshow.database import utcnow
from roadshow.extensions import db
from tests.conftest import csrf_token_from
from tests.fixtures_pages import PASSWORD, log_in

SECRET = re.compile(r'<code class="secret">([A-Z2-7]{16,})</code>')
RECOVERY = re.compile(r"<li><code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code></li>")


def page(response) -> str:
    return response.get_data(as_text=True)


def code_at(secret: str, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def log_out(client) -> None:
    token = csrf_token_from(page(client.get("/")))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def enrol(client, submit_form) -> tuple[str, list[str]]:
    """Enrol the logged-in user the way a person does: read the key, type the app's code."""
    enrolment = client.get("/account/two-factor")
    assert enrolment.status_code == 200 and enrolment.mimetype == "text/html"
    assert 'src="data:image/svg+xml' in page(enrolment)
    [secret] = SECRET.findall(page(enrolment))
    done = submit_form("/account/two-factor", {"enable-code": code_at(secret), "action": "enable"})
    assert done.status_code == 200
    codes = RECOVERY.findall(page(done))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert done.headers["Cache-Control"] == "no-store"
    return secret, codes


def test_enrolling_needs_a_code_from_the_key_shown(app, client, submit_form, make_user):
    user = make_user()
    log_in(submit_form, user)
    shown = page(client.get("/account/two-factor"))
    [secret] = SECRET.findall(shown)
    assert SECRET.findall(page(client.get("/account/two-factor"))) == [secret]  # same key
    with client.session_transaction() as session:
        assert secret not in str(dict(session))  # kept on the server, not in the cookie
    db.session.refresh(user)
    assert user.totp_secret == secret and user.totp_enabled_at is None
    # Not switched on yet: logging in still takes the password only.
    log_out(client)
    assert (
        submit_form("/login", {"email": user.email, "password": PASSWORD}).headers["Location"]
        == "/organiser/"
    )

    wrong = submit_form("/account/two-factor", {"enable-code": "000000", "action": "enable"})
    assert wrong.status_code == 200
    assert "Der Code passt nicht" in page(wrong)
    assert 'value="000000"' in page(wrong)
    db.session.refresh(user)
    assert user.totp_enabled_at is None

    ok = submit_form("/account/two-factor", {"enable-code": code_at(secret), "action": "enable"})
    assert len(RECOVERY.findall(page(ok))) == 10
    db.session.refresh(user)
    assert user.totp_secret == secret and user.totp_enabled_at is not None
    assert len(user.recovery_code_hashes) == 10
    assert not any(code in str(user.recovery_code_hashes) for code in RECOVERY.findall(page(ok)))
    # The codes were shown once: the page afterwards counts them, it does not show them.
    again = page(client.get("/account/two-factor"))
    assert RECOVERY.findall(again) == [] and "Noch 10 Wiederherstellungscodes" in again


def test_a_login_with_a_factor_asks_for_a_current_code_used_once(
    app, client, submit_form, make_user
):
    user = make_user()
    log_in(submit_form, user)
    secret, _codes = enrol(client, submit_form)
    log_out(client)

    step = submit_form("/login", {"email": user.email, "password": PASSWORD})
    assert step.headers["Location"] == "/login/code"
    assert client.get("/organiser/").status_code == 302  # not logged in yet
    # The code that switched the factor on was used: the same one does not log in again.
    reused = submit_form("/login/code", {"code": code_at(secret)})
    assert reused.status_code == 200
    assert "schon verwendet" in page(reused)
    assert client.get("/organiser/").status_code == 302

    entered = submit_form("/login/code", {"code": code_at(secret, steps_ahead=1)})
    assert entered.status_code == 302 and entered.headers["Location"] == "/organiser/"
    assert client.get("/organiser/").status_code == 200


def test_a_recovery_code_logs_in_once(app, client, submit_form, make_user):
    user = make_user()
    log_in(submit_form, user)
    _secret, codes = enrol(client, submit_form)
    log_out(client)

    submit_form("/login", {"email": user.email, "password": PASSWORD})
    typed = codes[3].upper().replace("-", " ")  # as someone reads it off paper
    assert submit_form("/login/code", {"code": typed}).headers["Location"] == "/organiser/"
    log_out(client)

    submit_form("/login", {"email": user.email, "password": PASSWORD})
    again = submit_form("/login/code", {"code": codes[3]})
    assert again.status_code == 200 and client.get("/organiser/").status_code == 302
    db.session.refresh(user)
    assert len(user.recovery_code_hashes) == 9


def test_the_code_step_expires_and_needs_the_password_first(app, client, submit_form, make_user):
    assert client.get("/login/code").headers["Location"] == "/login"
    user = make_user()
    log_in(submit_form, user)
    enrol(client, submit_form)
    log_out(client)
    submit_form("/login", {"email": user.email, "password": PASSWORD})
    with client.session_transaction() as session:
        pending = session["login_pending"]
        session["login_pending"] = {**pending, "at": pending["at"] - 301}
    late = client.get("/login/code")
    assert late.status_code == 302 and late.headers["Location"] == "/login"
    assert "Bitte melden Sie sich erneut an." in page(client.get("/login"))


def test_switching_it_off_takes_the_password_and_a_code(app, client, submit_form, make_user):
    user = make_user()
    log_in(submit_form, user)
    secret, codes = enrol(client, submit_form)
    wrong = submit_form(
        "/account/two-factor",
        {"disable-password": "falsch", "disable-code": codes[0], "action": "disable"},
    )
    assert wrong.status_code == 200 and "Das Passwort stimmt nicht." in page(wrong)
    db.session.refresh(user)
    assert user.totp_enabled_at is not None
    off = submit_form(
        "/account/two-factor",
        {"disable-password": PASSWORD, "disable-code": codes[0], "action": "disable"},
    )
    assert off.status_code == 302
    db.session.refresh(user)
    assert user.totp_secret is None and user.recovery_code_hashes == []
    log_out(client)
    assert (
        submit_form("/login", {"email": user.email, "password": PASSWORD}).headers["Location"]
        == "/organiser/"
    )


def test_an_admin_can_require_it_for_every_organiser(app, client, submit_form, make_user):
    admin = make_user(role=Role.ADMIN)
    organiser = make_user()
    log_in(submit_form, organiser)
    assert client.get("/organiser/security").status_code == 403
    log_out(client)

    log_in(submit_form, admin)
    settings_page = page(client.get("/organiser/security"))
    assert "2 aktive Konten (Organisation oder Admin) haben noch keinen zweiten Faktor." in (
        settings_page
    )
    assert submit_form("/organiser/security", {"require_totp": "y"}).status_code == 302
    # The admin has no factor either: the back office sends them to enrol first.
    sent = client.get("/organiser/events/")
    assert sent.status_code == 302 and sent.headers["Location"] == "/account/two-factor"
    log_out(client)

    log_in(submit_form, organiser)
    sent = client.get("/organiser/")
    assert sent.headers["Location"] == "/account/two-factor"
    required = page(client.get("/account/two-factor"))
    assert "vorgeschrieben" in required
    enrol(client, submit_form)
    assert client.get("/organiser/").status_code == 200
    # While it is required, it cannot be switched off.
    assert "Zweiten Faktor abschalten" not in page(client.get("/account/two-factor"))
    refused = submit_form(
        "/account/two-factor",
        {"disable-password": PASSWORD, "disable-code": "000000", "action": "disable"},
    )
    assert refused.status_code == 200
    db.session.refresh(organiser)
    assert organiser.totp_enabled_at is not None


def test_partner_users_have_no_second_factor_page(
    app, client, submit_form, make_user, make_partner
):
    partner_user = make_user(role=Role.PARTNER, partner_id=make_partner().id)
    log_in(submit_form, partner_user)
    assert client.get("/account/two-factor").status_code == 403
    assert client.get("/account/tokens").status_code == 403


RACERS = 6


@pytest.mark.parametrize("kind", ["app code", "recovery code"])
@pytest.mark.parametrize("locked", [True, False], ids=["locked", "control without the lock"])
def test_racing_requests_with_one_code_let_one_in(app, make_user, monkeypatch, locked, kind):
    """Six requests with the same code at once: exactly one gets in. The control run
    without the row lock shows that the test can see the race at all."""
    user = make_user()
    secret = twofactor.new_secret()
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    codes = twofactor._new_recovery_codes(user)
    db.session.commit()
    code = code_at(secret) if kind == "app code" else codes[0]
    user_id = user.id  # read here: the threads must not touch the test's own session
    db.session.remove()
    real_lock = twofactor._lock

    def lock_then_wait(session, racer: User) -> None:
        if locked:
            real_lock(session, racer)
        else:
            session.refresh(racer)
        time.sleep(0.2)  # widen the window between reading and writing

    monkeypatch.setattr(twofactor, "_lock", lock_then_wait)
    start = threading.Barrier(RACERS)
    outcomes: list[str] = []

    def race() -> None:
        with app.app_context():
            try:
                racer = db.session.get(User, user_id)
                start.wait(timeout=30)
                if twofactor.verify(db.session, racer, code):
                    db.session.commit()
                    outcomes.append("in")
                else:
                    db.session.rollback()
                    outcomes.append("refused")
            except Exception as error:  # noqa: BLE001 - an error is an outcome the test reports
                start.abort()
                outcomes.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=race) for _n in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == RACERS and set(outcomes) <= {"in", "refused"}, outcomes
    if locked:
        assert outcomes.count("in") == 1
    else:
        assert outcomes.count("in") > 1
