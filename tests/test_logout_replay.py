"""A cookie from before a logout or a password change opens nothing: the session names the
account's session version, and logging out or changing the password raises it."""

from __future__ import annotations

from http.cookies import SimpleCookie

from tests.conftest import csrf_token_from
from tests.fixtures_pages import PASSWORD, log_in

NEW_PASSWORD = "Herbstmesse in der Stadthalle"


def session_cookie(response) -> str:
    """The value of the session cookie a response sets."""
    for header in response.headers.getlist("Set-Cookie"):
        cookie = SimpleCookie(header)
        if "session" in cookie:
            return cookie["session"].value
    raise AssertionError("no session cookie was set")


def log_in_keeping_cookie(client, user) -> str:
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    return session_cookie(response)


def test_a_session_cookie_replayed_after_logout_opens_nothing(app, client, make_user):
    user = make_user()
    stolen = log_in_keeping_cookie(client, user)
    before = app.test_client()
    before.set_cookie("session", stolen)
    assert before.get("/organiser/").status_code == 200  # the copy works while logged in
    token = csrf_token_from(client.get("/organiser/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302

    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/organiser/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_no_remember_cookie_is_set_that_could_outlive_the_session(client, make_user):
    user = make_user()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD}
    )
    cookies = [SimpleCookie(h) for h in response.headers.getlist("Set-Cookie")]
    assert not any("remember_token" in cookie for cookie in cookies)


def test_a_password_change_ends_the_session_in_another_browser(app, client, submit_form, make_user):
    user = make_user()
    other = app.test_client()
    log_in_keeping_cookie(other, user)
    assert other.get("/organiser/").status_code == 200

    log_in(submit_form, user)
    changed = submit_form(
        "/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    assert client.get("/organiser/").status_code == 200  # this browser stays in
    response = other.get("/organiser/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
