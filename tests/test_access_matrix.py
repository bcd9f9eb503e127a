"""Who may open what: every organiser and partner route × every kind of visitor.

The walk covers every rule in ``app.url_map`` of the back office, the partner portal, the
accounts pages behind a login, and the organiser API, so that a route added later is in
it without anyone remembering to add it. A route the walk cannot classify (an accounts
page that is in none of the sets below) or whose URL it cannot build (an argument
``url_arguments`` has no value for) fails the test, naming the route.

Denied cells send every method the rule allows (GET, POST, PATCH …) and check that the
database is exactly as before; allowed cells send GET only (a POST would change data), and
a rule without GET is marked "allowed, not sent". Every POST carries the visitor's CSRF
token, so what answers is the guard, not the CSRF check. ``pytest -s`` prints the matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from flask.testing import FlaskClient

from roadshow.accounts.services import issue_api_token
from roadshow.extensions import db
from tests.conftest import IsolatedClient, csrf_token_from
from tests.fixtures_access import ROLES, World
from tests.fixtures_pages import PASSWORD

# Admin-only pages of the back office: organisers get 403 there.
ADMIN_ONLY = {
    "backoffice.users",
    "backoffice.user_invite",
    "backoffice.user_edit",
    "backoffice.user_deactivate",
    "backoffice.user_reactivate",
    "backoffice.user_resend_invitation",
    "backoffice.security",
}
# Accounts pages anyone may open (logging in, resetting a password, an invitation link).
PUBLIC_ACCOUNT_ENDPOINTS = {
    "accounts.login",
    "accounts.logout",
    "accounts.second_factor",
    "accounts.forgot_password",
    "accounts.reset_password",
    "accounts.accept_invitation",
}
# Accounts pages of every logged-in user, and those of staff only (partners get 403).
ACCOUNT_PAGES_FOR_EVERY_USER = {"accounts.password"}
ACCOUNT_PAGES_FOR_STAFF = {"accounts.twofactor", "accounts.api_tokens"}
# The public part of the API; every other ``api.`` endpoint needs an organiser's token.
PUBLIC_API_ENDPOINTS = {"api.events", "api.event", "api.openapi", "api.create_registration"}
# API endpoints a partner's token opens too, for its own partner only (the URL names A's).
PARTNER_API_ENDPOINTS = {"api.partner_report"}

# The check-in page at the door; its JSON calls answer 401 rather than sending to the login.
CHECK_IN_PAGE = "attendance.page"
PUBLIC_CHECK_IN_ENDPOINTS = {"attendance.service_worker"}

LOGIN = "→login"  # 302 to the login page
SENT_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
NOT_SENT = "ok, not sent"


@dataclass(frozen=True)
class Route:
    endpoint: str
    rule: str
    section: str  # "backoffice", "portal", "account", "staff account", "api", "check-in"
    methods: tuple[str, ...]
    url: str


def section_of(endpoint: str) -> str | None:
    """The part of the site a route belongs to; None: outside this test (public pages).
    Raises LookupError for an accounts route in none of the sets above."""
    if endpoint.startswith("backoffice."):
        return "backoffice"
    if endpoint.startswith("portal."):
        return "portal"
    if endpoint.startswith("api."):
        return None if endpoint in PUBLIC_API_ENDPOINTS else "api"
    if endpoint.startswith("attendance."):
        return None if endpoint in PUBLIC_CHECK_IN_ENDPOINTS else "check-in"
    if endpoint.startswith("accounts."):
        if endpoint in PUBLIC_ACCOUNT_ENDPOINTS:
            return None
        if endpoint in ACCOUNT_PAGES_FOR_EVERY_USER:
            return "account"
        if endpoint in ACCOUNT_PAGES_FOR_STAFF:
            return "staff account"
        raise LookupError(endpoint)
    return None


def plan(app: Flask, arguments: dict[str, int | str]) -> tuple[list[Route], list[str]]:
    """The routes to walk with their URLs, and what keeps the walk from covering a route."""
    routes, problems = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        try:
            section = section_of(rule.endpoint)
        except LookupError:
            problems.append(
                f"{rule.endpoint} ({rule.rule}) is not classified: add it to one of the "
                "accounts sets of tests/test_access_matrix.py"
            )
            continue
        if section is None:
            continue
        missing = sorted(set(rule.arguments) - set(arguments))
        if missing:
            problems.append(
                f"{rule.endpoint} ({rule.rule}): no value for {', '.join(missing)}; "
                "add it to the url_arguments fixture"
            )
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **{name: arguments[name] for name in rule.arguments})
        methods = tuple(m for m in SENT_METHODS if m in (rule.methods or ()))
        routes.append(Route(rule.endpoint, rule.rule, section, methods, url))
    return routes, problems


def expected(route: Route, role: str) -> int | str:
    """What ``role`` must get from ``route``: a status, or LOGIN."""
    staff = role in ("organiser", "admin")
    partner = role.startswith("partner")
    if route.section == "api":
        if route.endpoint in PARTNER_API_ENDPOINTS and partner:
            return 404 if role == "partner B" else 200  # partner A's own report only
        return 401 if role == "anonymous" else 200 if staff else 403
    if route.section == "check-in":
        # Partners' staff only where the organiser allows it, which the world's events do not.
        if role == "anonymous":
            return LOGIN if route.endpoint == CHECK_IN_PAGE else 401
        return 200 if staff else 403
    if role == "anonymous":
        return LOGIN
    if route.section == "backoffice":
        if partner or (role == "organiser" and route.endpoint in ADMIN_ONLY):
            return 403
        return 200
    if route.section == "portal":
        if staff:
            return 403
        # Every portal URL with an argument names partner A's data.
        return 404 if role == "partner B" and "<" in route.rule else 200
    if route.section == "staff account":
        return 403 if partner else 200
    return 200  # "account": every logged-in user


def outcome(response: Any) -> int | str:
    if response.status_code == 302 and urlsplit(response.location).path == "/login":
        return LOGIN
    return int(response.status_code)


def database_state() -> list[Any]:
    """Every row of every table, in a fixed order: equal states mean nothing changed."""
    state = []
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        state.append((table.name, db.session.execute(sa.select(table).order_by(*order)).all()))
    db.session.rollback()
    return state


@dataclass(frozen=True)
class Visitor:
    browser: FlaskClient  # logged in through the login page (anonymous: not)
    csrf_token: str  # of the browser's session, sent with every form
    api_headers: dict[str, str]  # the user's bearer token (anonymous: none)


def _csrf_token(browser: FlaskClient, page: str) -> str:
    return csrf_token_from(browser.get(page).get_data(as_text=True))


@pytest.fixture
def visitors(app: Flask, world: World) -> dict[str, Visitor]:
    """Per role: a browser and API headers. Partners get tokens too, which the CLI would
    refuse, to show that the API refuses them."""
    app.test_client_class = IsolatedClient
    anonymous = app.test_client()
    visitors = {"anonymous": Visitor(anonymous, _csrf_token(anonymous, "/login"), {})}
    for role, user in world.users.items():
        browser = app.test_client()
        form = {"email": user.email, "password": PASSWORD}
        response = browser.post(
            "/login", data={**form, "csrf_token": _csrf_token(browser, "/login")}
        )
        assert response.status_code == 302, (role, response.status_code)
        token = issue_api_token(db.session, user)
        db.session.commit()
        bearer = {"Authorization": f"Bearer {token}"}
        # The logout form of every page holds the logged-in session's token.
        visitors[role] = Visitor(browser, _csrf_token(browser, "/"), bearer)
    return visitors


def send(visitor: Visitor, route: Route, method: str) -> int | str:
    if route.section == "api":
        anonymous = visitor.browser.application.test_client()  # the API reads no cookies
        body = None if method == "GET" else {}
        headers = visitor.api_headers
        return outcome(anonymous.open(route.url, method=method, headers=headers, json=body))
    data = None if method == "GET" else {"csrf_token": visitor.csrf_token}
    return outcome(visitor.browser.open(route.url, method=method, data=data))


def walk(
    routes: list[Route], visitors: dict[str, Visitor]
) -> Iterator[tuple[Route, dict[str, str], list[str]]]:
    """Each route with its row of the matrix and what went wrong in it."""
    for route in routes:
        row, wrong = {}, []
        before = database_state()
        for role in ROLES:
            want = expected(route, role)
            if want == 200:
                continue
            got = {method: send(visitors[role], route, method) for method in route.methods}
            statuses = set(got.values())  # one value: every method answered the same
            row[role] = str(statuses.pop()) if len(statuses) == 1 else repr(got)
            wrong += [f"{role} {m}: {s}, not {want}" for m, s in got.items() if s != want]
        if database_state() != before:
            wrong.append("a denied request changed the database")
        for role in ROLES:
            if expected(route, role) == 200:
                if "GET" in route.methods:
                    status = send(visitors[role], route, "GET")
                    row[role] = str(status)
                    wrong += [f"{role} GET: {status}, not 200"] if status != 200 else []
                else:
                    row[role] = NOT_SENT
        yield route, row, wrong


def print_matrix(rows: list[tuple[Route, dict[str, str]]]) -> None:
    width = max(len(f"{r.endpoint} {' '.join(r.methods)}") for r, _row in rows)
    print()
    print(f"{'endpoint methods':<{width}} | " + " | ".join(f"{role:<14}" for role in ROLES))
    for route, row in rows:
        name = f"{route.endpoint} {' '.join(route.methods)}"
        print(f"{name:<{width}} | " + " | ".join(f"{row[role]:<14}" for role in ROLES))
    print(f"({LOGIN}: 302 to /login; {NOT_SENT}: allowed, the rule has no GET)")


def test_every_organiser_and_partner_route_answers_each_role_as_it_should(
    app: Flask,
    url_arguments: dict[str, int | str],
    visitors: dict[str, Visitor],
) -> None:
    routes, problems = plan(app, url_arguments)
    assert not problems, "\n".join(problems)
    sections = {route.section for route in routes}
    assert {"backoffice", "portal", "api"} <= sections, sections
    rows, wrong = [], []
    for route, row, errors in walk(routes, visitors):
        rows.append((route, row))
        wrong += [f"{route.endpoint} ({route.url}) {error}" for error in errors]
    print_matrix(rows)
    assert not wrong, "\n".join(wrong)


def test_a_route_the_walk_cannot_classify_or_build_fails_it(
    another_app: Callable[..., Flask], url_arguments: dict[str, int | str]
) -> None:
    app = another_app()
    app.add_url_rule("/account/gadgets", "accounts.gadgets", lambda: "")
    app.add_url_rule("/organiser/gadgets/<int:gadget_id>", "backoffice.gadget", lambda: "")
    app.add_url_rule("/partner/gadgets/<int:gadget_id>", "portal.gadget", lambda: "")
    routes, problems = plan(app, url_arguments)
    assert any(
        p.startswith("accounts.gadgets (/account/gadgets) is not classified") for p in problems
    )
    assert any(p.startswith("backoffice.gadget") and "gadget_id" in p for p in problems)
    assert any(p.startswith("portal.gadget") and "gadget_id" in p for p in problems)
    assert "backoffice.gadget" not in {route.endpoint for route in routes}


def test_a_partners_api_token_is_refused_by_the_organiser_api(
    client: FlaskClient, world: World
) -> None:
    token = issue_api_token(db.session, world.users["partner A"])
    db.session.commit()
    response = client.get(
        f"/api/v1/events/{world.event_a_id}/registrations",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403
    assert response.is_json
    assert "Anna Huber" not in response.get_data(as_text=True)
