"""JSON in and out of the API: events as dicts, registration bodies into the web form.

A registration body is validated by the same ``RegistrationForm`` as the web page (fed with
the JSON's values), so both answer with the same rules and the same messages; the form's
field names become the API's dotted names (``attendees-1-email`` → ``attendees.1.email``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from roadshow.api.fields import refused_characters
from roadshow.events.models import Event
from roadshow.events.services import ListedEvent, registration_closed_reason
from roadshow.registrations.forms import RegistrationForm
from roadshow.urls import external_url

MAX_ATTENDEES_IN_BODY = 100

# form field -> API field
FIELD_NAMES = {
    "company_name": "company.name",
    "company_size": "company.size",
    "industry": "company.industry",
    "postcode": "company.postcode",
    "town": "company.town",
    "contact_name": "contact.name",
    "contact_email": "contact.email",
    "contact_phone": "contact.phone",
}
CONSENTS = ("privacy_consent", "newsletter_consent", "share_with_partners")
# The form's limits (``registrations.forms``) for the text as sent; an attendee's ``name``
# and ``email`` stand for every row's.
TEXT_LIMITS = {
    "company.name": 200,
    "company.town": 100,
    "contact.name": 200,
    "contact.email": 254,
    "name": 200,
    "email": 254,
}


def event_json(item: ListedEvent) -> dict[str, Any]:
    """An event as the API shows it: local times with offset, no join link (attendees only)."""
    event = item.event
    url = external_url("events.detail", slug=event.slug)
    venue = event.venue
    return {
        "id": event.id,
        "kind": event.kind.value,
        "title": event.title,
        "description": event.description,
        "status": event.status.value,
        "starts_at": event.local_starts_at.isoformat(),
        "ends_at": event.local_ends_at.isoformat(),
        "timezone": event.timezone,
        "town": event.town,
        "venue": None
        if venue is None
        else {
            "name": venue.name,
            "street": venue.street,
            "postcode": venue.postcode,
            "town": venue.town,
        },
        "tour": None
        if event.tour is None
        else {"slug": event.tour.slug, "title": event.tour.title},
        "partners": [
            {"slug": role.partner.slug, "name": role.partner.name, "role": role.role.value}
            for role in event.partner_roles
        ],
        "capacity": event.capacity,
        "seats_left": item.seats_left,
        "max_attendees_per_registration": event.max_attendees_per_registration,
        "registration_open": registration_closed_reason(event) is None,
        "url": url,
        "ics_url": external_url("calendar.event_ics", slug=event.slug),
        "registration_url": url_for("api.create_registration", event_id=event.id, _external=True),
    }


def organiser_event_json(event: Event) -> dict[str, Any]:
    """An event as organisers see it through the API: any status, with its join link,
    SEQUENCE and series."""
    return {
        **event_json(ListedEvent(event)),
        "status": event.status.value,
        "slug": event.slug,
        "sequence": event.sequence,
        "venue_id": event.venue_id,
        "series_id": event.series_id,
        "join_url": event.join_url,
        "seats_taken": event.seats_taken,
    }


def _text(value: Any, field: str, errors: dict[str, list[str]]) -> str:
    """Text as the form takes it; anything else where text belongs (a number, which
    would lose a postcode's leading zero, an object, a list) is an error of its own, and
    so is a character no database stores, or more characters than the field takes (counted
    as sent: the form counts them without the spaces around)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[field] = [_("Erwartet wird Text.")]
        return ""
    if refused_characters(value):
        errors[field] = [_("Der Text enthält Steuerzeichen.")]
        return ""
    limit = TEXT_LIMITS.get(field.rsplit(".", 1)[-1] if field.startswith("attendees") else field)
    if limit is not None and len(value) > limit:
        errors[field] = [_("Höchstens %(n)d Zeichen.", n=limit)]
        return ""
    return value


def form_data(body: dict[str, Any]) -> tuple[MultiDict[str, str], dict[str, list[str]]]:
    """The body as form data, and the errors of shape the form cannot see."""
    errors: dict[str, list[str]] = {}
    data: MultiDict[str, str] = MultiDict()
    for group in ("company", "contact"):
        part = body.get(group, {})
        if not isinstance(part, dict):
            errors[group] = [_("Erwartet wird ein Objekt.")]
            part = {}
        for form_name, api_name in FIELD_NAMES.items():
            prefix, key = api_name.split(".")
            if prefix == group and part.get(key) is not None:
                data[form_name] = _text(part[key], api_name, errors)
    if body.get("language") is not None:
        data["language"] = _text(body["language"], "language", errors)
    for consent in CONSENTS:
        if body.get(consent) is True:
            data[consent] = "y"
        elif body.get(consent) is not None and not isinstance(body[consent], bool):
            errors[consent] = [_("Erwartet wird true oder false.")]
    if body.get("ref") is not None and not isinstance(body["ref"], str):
        errors["ref"] = [_("Erwartet wird Text.")]
    attendees = body.get("attendees", [])
    if not isinstance(attendees, list):
        errors["attendees"] = [_("Erwartet wird eine Liste.")]
        attendees = []
    elif len(attendees) > MAX_ATTENDEES_IN_BODY:
        errors["attendees"] = [_("Zu viele Teilnehmende.")]
        attendees = []
    for index, attendee in enumerate(attendees):
        if not isinstance(attendee, dict):
            errors[f"attendees.{index}"] = [_("Erwartet wird ein Objekt.")]
            continue
        name = _text(attendee.get("name"), f"attendees.{index}.name", errors)
        email = _text(attendee.get("email"), f"attendees.{index}.email", errors)
        if not name.strip() and not email.strip():
            errors[f"attendees.{index}.name"] = [_("Bitte ausfüllen.")]
        data[f"attendees-{index}-name"] = name
        data[f"attendees-{index}-email"] = email
    return data, errors


def attendee_rows(body: dict[str, Any]) -> int:
    attendees = body.get("attendees")
    count = len(attendees) if isinstance(attendees, list) else 0
    return max(1, min(count, MAX_ATTENDEES_IN_BODY))


def api_field(form_field: str) -> str:
    """``attendees-1-email`` → ``attendees.1.email``, ``company_name`` → ``company.name``."""
    if form_field.startswith("attendees-"):
        return form_field.replace("-", ".")
    return FIELD_NAMES.get(form_field, form_field)


def form_errors(form: RegistrationForm) -> dict[str, list[str]]:
    """The form's messages under the API's names, read from the fields themselves (the
    form's ``errors`` dict is cached before the cross-row checks add theirs)."""
    errors: dict[str, list[str]] = {}
    for field in form:
        if field.name == "attendees":
            for index, entry in enumerate(form.attendees.entries):
                for part in entry.form:
                    if part.errors:
                        errors[f"attendees.{index}.{part.short_name}"] = [
                            str(t) for t in part.errors
                        ]
        elif field.errors and field.name != "csrf_token":
            errors[api_field(field.name)] = [str(t) for t in field.errors]
    return errors


def submission_key(idempotency_key: str | None) -> str | None:
    """The stored form of an ``Idempotency-Key`` header (any length becomes 64 hex digits)."""
    if not idempotency_key:
        return None
    return hashlib.sha256(b"api:" + idempotency_key.encode("utf-8")).hexdigest()
