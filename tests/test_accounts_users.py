"""The admins' users page: the list, inviting (the mail's link works once, for 48 hours),
changing role and partner, deactivating, and never locking out the last admin."""

from __future__ import annotations

import re
import threading
import time
import types

import itsdangerous.timed
import pytest
from sqlalchemy import func, select
from sqlalchemy.sql.selectable import GenerativeSelect

from roadshow.accounts.models import ApiToken, AuditLog, Role, User
from roadshow.accounts.services import deactivate_user
from roadshow.database import utcnow
from roadshow.errors import DomainError
from roadshow.extensions import db
from roadshow.mail.delivery import deliver_due
from tests.conftest import backend_name, csrf_token_from
from tests.fixtures_pages import PASSWORD, log_in

INVITATION_LINK = re.compile(r"http://roadshow\.example(/invitation/[A-Za-z0-9_.-]+)")
NEW_PASSWORD = "Sommerfest auf dem Marktplatz"


def deliver_all() -> None:
    while deliver_due(db.session).claimed:
        pass


def page(response) -> str:
    return response.get_data(as_text=True)


def text_of(received) -> str:
    return received.message.get_body(("plain",)).get_content()


def actions_about(user: User) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditLog.action)
            .where(AuditLog.object_type == "user", AuditLog.object_id == user.id)
            .order_by(AuditLog.id)
        )
    )


def error_next_to(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="error" id="{field_id}-error"[^>]*>([^<]*)</p>', html)
    assert match, html
    return match.group(1)


def post_button(client, url: str, page_url: str, **data):
    token = csrf_token_from(page(client.get(page_url)))
    return client.post(url, data={"csrf_token": token, **data})


def test_only_admins_see_the_users_pages(client, submit_form, make_user):
    organiser = make_user(role=Role.ORGANISER)
    log_in(submit_form, organiser)
    for url in ("/organiser/users", "/organiser/users/invite", f"/organiser/users/{organiser.id}"):
        assert client.get(url).status_code == 403, url
    assert "/organiser/users" not in page(client.get("/organiser/"))


def test_the_list_shows_role_partner_state_second_factor_and_last_login(
    client, submit_form, make_user, make_partner
):
    admin = make_user(role=Role.ADMIN, name="Ada Admin")
    partner = make_partner(name="Netzwerk AG")
    make_user(
        role=Role.PARTNER, partner_id=partner.id, name="Paul Partner", totp_enabled_at=utcnow()
    )
    make_user(name="Weg Gegangen", active=False)
    log_in(submit_form, admin)
    html = page(client.get("/organiser/users"))
    rows = {
        name: re.search(
            rf"<tr[^>]*>\s*<td class=\"name\"[^>]*><a [^>]*>{name}</a>(.*?)</tr>", html, re.S
        )
        for name in ("Ada Admin", "Paul Partner", "Weg Gegangen")
    }
    ada, paul, weg = (rows[name].group(1) for name in rows)
    assert (
        "Admin" in ada and "aktiv" in ada and re.search(r'<td class="second-factor"[^>]*>nein', ada)
    )
    assert "noch nie" not in ada  # she just logged in
    assert "Partnerfirma" in paul and "Netzwerk AG" in paul
    assert re.search(r'<td class="second-factor"[^>]*>ja', paul) and "noch nie" in paul
    assert "deaktiviert" in weg
    assert 'href="/organiser/users" aria-current="page">Benutzer' in html


def test_an_invitation_mail_sets_the_password_once(
    client, submit_form, make_user, make_partner, smtp_sink
):
    admin = make_user(role=Role.ADMIN, name="Ada Admin")
    partner = make_partner(name="Netzwerk AG")
    log_in(submit_form, admin)
    response = submit_form(
        "/organiser/users/invite",
        {
            "email": " Paula@Netzwerk.example ",
            "name": "Paula Partner",
            "role": "partner",
            "partner": str(partner.id),
            "language": "de",
        },
    )
    assert response.status_code == 302
    invited = db.session.scalar(select(User).where(User.email == "paula@netzwerk.example"))
    assert invited.role is Role.PARTNER and invited.partner_id == partner.id
    assert "eingeladen" in page(client.get("/organiser/users"))
    deliver_all()
    [received] = smtp_sink.to("paula@netzwerk.example")
    assert received.message["Subject"] == "Ihre Einladung zu Roadshow"
    text = text_of(received)
    assert "Ada Admin hat für Sie ein Konto bei Roadshow angelegt" in text
    assert "48 Stunden" in text
    path = INVITATION_LINK.search(text).group(1)

    client.post("/logout", data={"csrf_token": csrf_token_from(page(client.get("/")))})
    assert submit_form("/login", {"email": invited.email, "password": ""}).status_code == 200
    welcome = client.get(path)
    assert welcome.status_code == 200 and "Willkommen bei Roadshow" in page(welcome)
    done = submit_form(path, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/partner/"
    assert client.get(path).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token_from(page(client.get("/")))})
    assert (
        submit_form("/login", {"email": invited.email, "password": NEW_PASSWORD}).status_code == 302
    )
    assert actions_about(invited) == ["user.invited", "user.invitation_accepted"]


def test_an_invitation_link_lasts_48_hours(client, runner, monkeypatch, make_partner, smtp_sink):
    result = runner.invoke(
        args=["users", "invite", "olga@ihk.example", "--name", "Olga", "--language", "en"]
    )
    assert result.exit_code == 0, result.output
    printed = result.output.strip().splitlines()[-1]
    deliver_all()
    [received] = smtp_sink.messages
    assert received.message["Subject"] == "Your invitation to Roadshow"
    assert printed in text_of(received)
    path = INVITATION_LINK.search(printed).group(1)
    later = time.time() + 49 * 3600
    monkeypatch.setattr(itsdangerous.timed, "time", types.SimpleNamespace(time=lambda: later))
    expired = client.get(path)
    assert expired.status_code == 410
    assert "Einladungslinks gelten 48 Stunden." in page(expired)


def test_the_invite_form_keeps_what_was_typed_and_says_what_is_missing(
    client, submit_form, make_user
):
    admin = make_user(role=Role.ADMIN, email="ada@ihk.example")
    log_in(submit_form, admin)
    response = submit_form(
        "/organiser/users/invite",
        {
            "email": "neu@ihk.example",
            "name": "Neu",
            "role": "partner",
            "partner": "",
            "language": "de",
        },
    )
    assert response.status_code == 200
    html = page(response)
    assert "gehört zu einem Partner" in error_next_to(html, "partner")
    assert 'value="neu@ihk.example"' in html
    taken = submit_form(
        "/organiser/users/invite",
        {"email": "ADA@ihk.example", "name": "Ada", "role": "organiser", "language": "de"},
    )
    assert "schon ein Konto" in error_next_to(page(taken), "email")
    assert db.session.scalars(select(User.email)).all() == ["ada@ihk.example"]


def test_an_admin_changes_role_and_partner(client, submit_form, make_user, make_partner):
    admin = make_user(role=Role.ADMIN)
    organiser = make_user(role=Role.ORGANISER)
    partner = make_partner(name="Netzwerk AG")
    log_in(submit_form, admin)
    url = f"/organiser/users/{organiser.id}"
    response = submit_form(url, {"role": "partner", "partner": str(partner.id)})
    assert response.status_code == 302
    db.session.refresh(organiser)
    assert organiser.role is Role.PARTNER and organiser.partner_id == partner.id
    back = submit_form(url, {"role": "organiser", "partner": str(partner.id)})
    assert back.status_code == 302
    db.session.refresh(organiser)
    assert organiser.role is Role.ORGANISER and organiser.partner_id is None
    entry = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "user.changed").order_by(AuditLog.id)
    ).first()
    assert {"field": "role", "old": "organiser", "new": "partner"} in entry.details["changes"]


def test_the_last_admin_cannot_demote_or_deactivate_themselves(client, submit_form, make_user):
    admin = make_user(role=Role.ADMIN)
    log_in(submit_form, admin)
    url = f"/organiser/users/{admin.id}"
    demoted = submit_form(url, {"role": "organiser", "partner": ""})
    assert demoted.status_code == 200
    assert "letzte aktive Admin-Konto" in error_next_to(page(demoted), "role")
    deactivated = post_button(client, f"{url}/deactivate", url)
    assert deactivated.status_code == 422
    assert "letzte aktive Admin-Konto" in error_next_to(page(deactivated), "access")
    db.session.refresh(admin)
    assert admin.role is Role.ADMIN and admin.active
    assert client.get("/organiser/users").status_code == 200


def test_a_deactivated_admin_does_not_count(client, submit_form, make_user):
    admin = make_user(role=Role.ADMIN)
    make_user(role=Role.ADMIN, active=False)
    log_in(submit_form, admin)
    url = f"/organiser/users/{admin.id}"
    assert "letzte aktive Admin-Konto" in page(submit_form(url, {"role": "organiser"}))


def test_with_a_second_admin_one_may_step_down(client, submit_form, make_user):
    admin = make_user(role=Role.ADMIN)
    make_user(role=Role.ADMIN)
    log_in(submit_form, admin)
    url = f"/organiser/users/{admin.id}"
    assert submit_form(url, {"role": "organiser", "partner": ""}).status_code == 302
    assert client.get("/organiser/users").status_code == 403  # no longer an admin


def test_deactivating_ends_sessions_and_api_tokens_and_reactivating_allows_login(
    app, client, submit_form, make_user, runner
):
    admin = make_user(role=Role.ADMIN)
    organiser = make_user(role=Role.ORGANISER)
    token = runner.invoke(args=["users", "token", organiser.email]).output.strip().splitlines()[-1]
    other_browser = app.test_client()
    other_token = csrf_token_from(page(other_browser.get("/login")))
    other_browser.post(
        "/login",
        data={"csrf_token": other_token, "email": organiser.email, "password": PASSWORD},
    )
    assert other_browser.get("/organiser/").status_code == 200

    log_in(submit_form, admin)
    url = f"/organiser/users/{organiser.id}"
    assert post_button(client, f"{url}/deactivate", url).status_code == 302
    assert other_browser.get("/organiser/").status_code == 302
    api = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    assert all(t.revoked_at for t in db.session.scalars(select(ApiToken)))
    assert "deaktiviert" in page(client.get("/organiser/users"))

    assert post_button(client, f"{url}/reactivate", url).status_code == 302
    again = other_browser.post(
        "/login",
        data={"csrf_token": other_token, "email": organiser.email, "password": PASSWORD},
    )
    assert again.status_code == 302
    assert actions_about(organiser)[-2:] == ["user.deactivated", "user.reactivated"]


def test_an_invitation_can_be_sent_again(client, submit_form, make_user, smtp_sink):
    admin = make_user(role=Role.ADMIN)
    log_in(submit_form, admin)
    submit_form(
        "/organiser/users/invite",
        {"email": "neu@ihk.example", "name": "Neu", "role": "organiser", "language": "de"},
    )
    invited = db.session.scalar(select(User).where(User.email == "neu@ihk.example"))
    url = f"/organiser/users/{invited.id}"
    time.sleep(1.1)  # a link made in another second is another link
    assert post_button(client, f"{url}/invitation", url, language="en").status_code == 302
    deliver_all()
    subjects = [m.message["Subject"] for m in smtp_sink.to("neu@ihk.example")]
    assert subjects == ["Ihre Einladung zu Roadshow", "Your invitation to Roadshow"]
    assert actions_about(invited) == ["user.invited", "user.invitation_sent"]
    assert "Einladung erneut schicken" not in page(client.get(f"/organiser/users/{admin.id}"))


@pytest.mark.parametrize("locked", [True, False], ids=["locked", "control-without-lock"])
def test_two_admins_deactivating_each_other_at_once_leave_one(app, make_user, monkeypatch, locked):
    """The first admin's change is flushed, not committed, when the second one's starts.
    With the row locks the second waits, then sees that the first left, and is refused.
    The control takes FOR UPDATE away (as SQLite does): both succeed and no admin is left,
    which proves that the test can see the lost admin."""
    if backend_name() != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite lets one writer in at a time")
    if not locked:
        monkeypatch.setattr(GenerativeSelect, "with_for_update", lambda self, **kwargs: self)
    first_id = make_user(role=Role.ADMIN).id
    second_id = make_user(role=Role.ADMIN).id
    deactivate_user(
        db.session, db.session.get(User, second_id), actor=db.session.get(User, first_id)
    )
    outcome: list[str] = []

    def the_other_admin() -> None:
        with app.app_context():
            try:
                deactivate_user(
                    db.session,
                    db.session.get(User, first_id),
                    actor=db.session.get(User, second_id),
                )
                db.session.commit()
                outcome.append("deactivated")
            except DomainError as error:
                db.session.rollback()
                outcome.append(error.message)
            finally:
                db.session.remove()

    other = threading.Thread(target=the_other_admin)
    other.start()
    if locked:
        wait_until_a_query_waits_for_a_lock()
    else:
        other.join(timeout=60)
    db.session.commit()
    other.join(timeout=60)
    active_admins = db.session.scalar(
        select(func.count(User.id)).where(User.role == Role.ADMIN, User.active.is_(True))
    )
    if locked:
        assert len(outcome) == 1 and "letzte aktive Admin-Konto" in outcome[0]
        assert active_admins == 1
    else:
        assert outcome == ["deactivated"] and active_admins == 0


def wait_until_a_query_waits_for_a_lock() -> None:
    with db.engine.connect() as connection:
        for _attempt in range(600):
            waiting = connection.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            ).scalar()
            if waiting:
                return
            connection.rollback()
            time.sleep(0.05)
    raise AssertionError("the second admin's change never waited for the first one's lock")
