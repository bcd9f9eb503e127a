"""Helpers for tests of planning: forms read back from pages, API tokens, the schema check."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from roadshow.accounts.models import User
from roadshow.accounts.services import issue_api_token
from roadshow.extensions import db


class _FormReader(HTMLParser):
    """The named inputs of the form posting to ``action``, as a browser would send them
    (submit buttons left out: the test chooses which one it presses)."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = attributes.get("action") == self.action
        elif tag == "input" and self.inside and attributes.get("name"):
            if attributes.get("type") in ("submit", "button"):
                return
            if attributes.get("type") == "checkbox" and "checked" not in attributes:
                return
            self.values[attributes["name"]] = attributes.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def form_values(html: str, action: str) -> dict[str, str]:
    """The inputs (hidden ones included) of the form in ``html`` that posts to ``action``."""
    reader = _FormReader(action)
    reader.feed(html)
    assert reader.values, f"no form posting to {action}"
    return reader.values


def press(client: FlaskClient, html: str, action: str, button: str, **extra: Any) -> Any:
    """Submit the form of ``html`` that posts to ``action`` with its values as they are,
    pressing the submit button named ``button``."""
    data = {**form_values(html, action), button: "y", **extra}
    return client.post(action, data=data)


def bearer(user: User) -> dict[str, str]:
    """An ``Authorization`` header with a new API token of ``user``."""
    token = issue_api_token(db.session, user)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def conforms(client: FlaskClient, schema: str, data: Any) -> None:
    """``data`` matches the named schema of our own OpenAPI document."""
    document = client.get("/api/v1/openapi.json").get_json()
    root = {"$ref": f"#/components/schemas/{schema}", "components": document["components"]}
    errors = list(Draft202012Validator(root).iter_errors(data))
    assert not errors, [e.message for e in errors]
