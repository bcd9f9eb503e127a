"""Forms of the registrations pages: the search, a manual registration, the actions."""

from __future__ import annotations

import secrets
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, NumberRange, Optional

from roadshow.i18n import DEFAULT_LANGUAGE
from roadshow.partners.models import Partner
from roadshow.registrations.forms import (
    AttendeeForm,
    RegistrationForm,
    at_most,
    clean_text,
    select_choices,
)
from roadshow.registrations.models import RegistrationStatus
from roadshow.registrations.organiser import CheckedIn, RegistrationSearch
from roadshow.registrations.services import AttendeeInput, RegistrationInput

MANUAL_ATTENDEE_ROWS = 3


class RegistrationSearchForm(Form):
    """The GET form above the list; anything unknown in the query is simply ignored."""

    q = StringField(_l("Suche"), validators=[Optional(), at_most(200)], filters=[clean_text])
    status = SelectField(_l("Status"), validators=[Optional()], validate_choice=False)
    partner = SelectField(_l("Empfohlen durch"), validators=[Optional()], validate_choice=False)
    checked_in = SelectField(
        _l("Check-in"),
        choices=select_choices(
            [
                (CheckedIn.YES.value, _l("eingecheckt")),
                (CheckedIn.NO.value, _l("nicht eingecheckt")),
            ],
            _l("alle"),
        ),
        validators=[Optional()],
        validate_choice=False,
    )
    page = IntegerField(validators=[Optional(), NumberRange(min=1)])

    def offer(self, partners: list[Partner]) -> None:
        everyone = _l("alle")
        self.status.choices = select_choices(
            [(status.value, status.label) for status in RegistrationStatus], everyone
        )
        self.partner.choices = select_choices(
            [(str(partner.id), partner.name) for partner in partners], everyone
        )

    def to_search(self) -> RegistrationSearch:
        """What was asked, with values the form did not offer left out."""
        statuses = {s.value: s for s in RegistrationStatus}
        checks = {c.value: c for c in CheckedIn}
        partner = self.partner.data or ""
        return RegistrationSearch(
            text=(self.q.data or "")[:200],
            status=statuses.get(self.status.data or ""),
            partner_id=int(partner) if partner.isdigit() else None,
            checked_in=checks.get(self.checked_in.data or ""),
            page=self.page.data if isinstance(self.page.data, int) and self.page.data > 0 else 1,
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query of this search (for links and for the actions' return), with
        ``changes`` applied; empty values are left out."""
        values = {
            "q": self.q.data or "",
            "status": self.status.data or "",
            "partner": self.partner.data or "",
            "checked_in": self.checked_in.data or "",
            "page": self.page.data if isinstance(self.page.data, int) else None,
            **changes,
        }
        if values["page"] == 1:
            values["page"] = None
        return {key: value for key, value in values.items() if value not in ("", None)}


class ManualRegistrationForm(RegistrationForm):
    """An organiser registers a company: the public form's fields and row checks, without
    the company profile, with the privacy consent as a statement and the override."""

    company_size = None
    industry = None
    postcode = None
    town = None
    newsletter_consent = None
    share_with_partners = None
    privacy_consent = BooleanField(
        _l("Die Person hat den Datenschutzhinweisen zugestimmt."),
        validators=[DataRequired(_l("Ohne Zustimmung zum Datenschutz keine Anmeldung."))],
    )
    override_capacity = BooleanField(
        _l("Auch über die Zahl der Plätze hinaus bestätigen (sonst: Warteliste)")
    )
    attendees = FieldList(
        FormField(AttendeeForm),
        min_entries=MANUAL_ATTENDEE_ROWS,
        max_entries=MANUAL_ATTENDEE_ROWS,
    )

    def to_input(self, referral_partner_slug: str | None = None) -> RegistrationInput:
        return RegistrationInput(
            company_name=self.company_name.data or "",
            contact_name=self.contact_name.data or "",
            contact_email=self.contact_email.data or "",
            contact_phone=self.contact_phone.data or "",
            language=self.language.data or DEFAULT_LANGUAGE,
            privacy_consent=bool(self.privacy_consent.data),
            submission_key=self.submission_key.data or None,
            attendees=[
                AttendeeInput(
                    name=self.attendees[i].form.name.data or "",
                    email=self.attendees[i].form.email.data or "",
                )
                for i in self.filled_rows()
            ],
        )


def manual_registration_form(**kwargs: Any) -> ManualRegistrationForm:
    """The form with a fresh random submission key, so that sending it twice stores one
    registration."""
    form = ManualRegistrationForm(**kwargs)
    if not form.submission_key.data:
        form.submission_key.data = secrets.token_urlsafe(24)
    return form


class PromoteForm(FlaskForm):
    override_capacity = BooleanField(_l("auch wenn die freien Plätze nicht reichen"))
