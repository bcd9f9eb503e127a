"""Security headers on every answer: pages, JSON, calendar feeds, files, redirects, 304,
404 and 500 alike; the camera only where a view allows it; HSTS only over HTTPS; and the
session cookie's flags.

The walk requests every GET rule of ``app.url_map`` (a route added later is in it), as a
visitor, an admin and a partner's user, with arguments from a small world of real rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from flask_login import login_required

from roadshow.calendar.filters import FeedFilter
from roadshow.calendar.services import confirm_subscription, request_subscription
from roadshow.extensions import db
from roadshow.headers import allow_camera
from tests.conftest import IsolatedClient, csrf_token_from
from tests.fixtures_access import World
from tests.fixtures_feeds import last_mail, link_in, path_of
from tests.fixtures_pages import PASSWORD, log_in

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
NO_CAMERA = "camera=(), microphone=(), geolocation=(), payment=()"
CAMERA = "camera=(self), microphone=(), geolocation=(), payment=()"
CAMERA_PAGES = {"attendance.page"}
HSTS = "max-age=31536000; includeSubDomains"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SUBSCRIBER = "anna.huber@baeckerei-huber.example"


def assert_security_headers(response: Any, what: str, camera: bool = False) -> None:
    headers = response.headers
    assert headers.get("Content-Security-Policy") == CSP, what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Permissions-Policy") == (CAMERA if camera else NO_CAMERA), what
    # Secret-link pages (``web.private``, which also asks robots to stay away) keep theirs.
    private = headers.get("X-Robots-Tag") == "noindex"
    referrer = "no-referrer" if private else "strict-origin-when-cross-origin"
    assert headers.get("Referrer-Policy") == referrer, what
    assert "Strict-Transport-Security" not in headers, what  # plain http here


@pytest.fixture
def subscription_tokens(app: Flask) -> dict[str, str]:
    """A confirmed feed subscription: the tokens of its confirm, manage and feed links."""
    request_subscription(
        db.session,
        email=SUBSCRIBER,
        language="de",
        feed_filter=FeedFilter(),
        notify_by_email=False,
        consent_text_version="1",
        ip=None,
    )
    db.session.commit()
    confirm_path = path_of(
        link_in(
            last_mail(SUBSCRIBER, "calendar/confirm_subscription").text_body, "/subscribe/confirm/"
        )
    )
    confirm_token = confirm_path.rsplit("/", 1)[1]
    _subscriber, links = confirm_subscription(db.session, confirm_token, ip=None)
    db.session.commit()
    assert links.feed_url is not None
    return {
        "confirm": confirm_token,
        "manage": path_of(links.manage_url).split("/")[2],
        "feed": path_of(links.feed_url).split("/")[2].removesuffix(".ics"),
    }


@pytest.fixture
def arguments(
    world: World, url_arguments: dict[str, int], subscription_tokens: dict[str, str]
) -> Callable[[str, str], Any]:
    """``arguments(endpoint, name)``: the value of a URL argument; KeyError if none."""
    by_name: dict[str, Any] = {
        **url_arguments,
        "slug": world.event_a_slug,
        "token": world.registration_token,
        "filename": "roadshow.css",
        "lang": "en",
    }
    by_endpoint = {
        ("events.tour", "slug"): world.tour_slug,
        ("partners.logo", "slug"): world.partner_a_slug,
        ("calendar.confirm", "token"): subscription_tokens["confirm"],
        ("calendar.manage", "token"): subscription_tokens["manage"],
        ("calendar.unsubscribe", "token"): subscription_tokens["manage"],
        ("calendar.subscriber_feed", "token"): subscription_tokens["feed"],
    }

    def value(endpoint: str, name: str) -> Any:
        return by_endpoint.get((endpoint, name), by_name[name])

    return value


def get_urls(app: Flask, arguments: Callable[[str, str], Any]) -> dict[str, str]:
    urls, missing = {}, []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        try:
            values = {name: arguments(rule.endpoint, name) for name in rule.arguments}
        except KeyError as error:
            missing.append(f"{rule.endpoint} ({rule.rule}): no value for {error}")
            continue
        with app.test_request_context():
            urls[rule.endpoint] = url_for(rule.endpoint, **values)
    assert not missing, "add them to the arguments fixture:\n" + "\n".join(missing)
    return urls


def test_every_get_route_sends_the_security_headers_to_everyone(
    app: Flask,
    client: FlaskClient,
    world: World,
    arguments: Callable[[str, str], Any],
    submit_form: Callable[..., Any],
) -> None:
    urls = get_urls(app, arguments)
    app.test_client_class = IsolatedClient
    visitors = {"anonymous": app.test_client(), "admin": client, "partner": app.test_client()}
    log_in(submit_form, world.users["admin"])
    page = visitors["partner"].get("/login").get_data(as_text=True)
    partner_login = visitors["partner"].post(
        "/login",
        data={
            "email": world.users["partner A"].email,
            "password": PASSWORD,
            "csrf_token": csrf_token_from(page),
        },
    )
    assert partner_login.status_code == 302
    seen_types, seen_statuses = set(), set()
    for endpoint, url in sorted(urls.items()):
        for who, browser in visitors.items():
            response = browser.get(url)
            # The check-in page scans tickets with the camera (its endpoint's answer, also
            # the redirect to the login page, carries the mark).
            camera = endpoint in CAMERA_PAGES
            assert_security_headers(response, f"{who} GET {url} ({endpoint})", camera)
            seen_types.add(response.mimetype)
            seen_statuses.add(response.status_code)
            response.close()  # static files are streamed from an open file
    assert {"text/html", "application/json", "text/calendar", "text/csv", "text/css"} <= seen_types
    assert {200, 302, 403, 404} <= seen_statuses


def test_a_304_a_404_and_a_500_carry_them_too(
    client: FlaskClient, another_app: Callable[..., Flask], world: World
) -> None:
    feed = client.get("/calendar.ics")
    assert feed.status_code == 200 and feed.headers.get("ETag")
    unchanged = client.get("/calendar.ics", headers={"If-None-Match": feed.headers["ETag"]})
    assert unchanged.status_code == 304
    assert_security_headers(unchanged, "304")
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    assert_security_headers(missing, "404")
    api_missing = client.get("/api/v1/events/999999")
    assert api_missing.status_code == 404 and api_missing.is_json
    assert_security_headers(api_missing, "API 404")

    failing = another_app(PROPAGATE_EXCEPTIONS=False)

    @failing.get("/broken")
    def broken() -> str:
        raise RuntimeError("a bug")

    response = failing.test_client().get("/broken")
    assert response.status_code == 500
    assert_security_headers(response, "500")


def test_secret_link_pages_keep_no_referrer(client: FlaskClient, world: World) -> None:
    response = client.get(f"/registrations/{world.registration_token}")
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/").headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_only_views_marked_allow_camera_may_use_the_camera(
    another_app: Callable[..., Flask],
) -> None:
    app = another_app()

    @app.get("/test/scanner")
    @allow_camera
    def scanner() -> str:
        return "scan"

    @app.get("/test/staff-scanner")
    @login_required
    @allow_camera
    def staff_scanner() -> str:
        return "scan"

    @app.get("/test/plain")
    def plain() -> str:
        return "plain"

    browser = app.test_client()
    assert browser.get("/test/scanner").headers["Permissions-Policy"] == CAMERA
    assert browser.get("/test/plain").headers["Permissions-Policy"] == NO_CAMERA
    # The mark survives a decorator that wraps the view: the redirect to the login page
    # is already that endpoint's answer.
    assert browser.get("/test/staff-scanner").status_code == 302
    assert browser.get("/test/staff-scanner").headers["Permissions-Policy"] == CAMERA
    assert browser.get("/").headers["Permissions-Policy"] == NO_CAMERA


def test_hsts_only_over_https(client: FlaskClient, another_app: Callable[..., Flask]) -> None:
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://roadshow.example")
    assert secure.headers["Strict-Transport-Security"] == HSTS

    proxied = another_app(PROXY_FIX_HOPS=1).test_client()
    behind_tls = proxied.get("/", headers={"X-Forwarded-Proto": "https"})
    assert behind_tls.headers["Strict-Transport-Security"] == HSTS
    plain = proxied.get("/", headers={"X-Forwarded-Proto": "http"})
    assert "Strict-Transport-Security" not in plain.headers


def _login_cookie(app: Flask, user_email: str, base_url: str) -> str:
    browser = app.test_client()
    page = browser.get("/login", base_url=base_url).get_data(as_text=True)
    response = browser.post(
        "/login",
        base_url=base_url,
        headers={"Referer": f"{base_url}/login"},  # Flask-WTF checks it over HTTPS
        data={"email": user_email, "password": PASSWORD, "csrf_token": csrf_token_from(page)},
    )
    assert response.status_code == 302
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, response.headers
    return cookies[-1]


def test_the_session_cookie_is_httponly_lax_and_secure_outside_development(
    another_app: Callable[..., Flask], make_user: Any
) -> None:
    user = make_user()
    production = _login_cookie(
        another_app(ENV="production", TESTING=False), user.email, "https://roadshow.example"
    )
    assert "; HttpOnly" in production
    assert "; SameSite=Lax" in production
    assert "; Secure" in production
    development = _login_cookie(another_app(ENV="development"), user.email, "http://127.0.0.1:5000")
    assert "; HttpOnly" in development and "; SameSite=Lax" in development
    assert "; Secure" not in development


INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE
)


def test_no_template_has_inline_script_or_style() -> None:
    """The policy forbids them: they would silently do nothing in the browser."""
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if INLINE.search(line):
                found.append(f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)
