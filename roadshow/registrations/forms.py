"""Forms for registering and for the self-service page. They check shape only; rules that
look at other rows (seats, duplicates, the registration window) live in the services."""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    Regexp,
)

from roadshow.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES
from roadshow.registrations.services import AttendeeInput, RegistrationInput

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
ROW_NUMBER = re.compile(r"[0-9]{1,3}")

COMPANY_SIZES = [
    ("1-9", _l("1–9 Beschäftigte")),
    ("10-49", _l("10–49 Beschäftigte")),
    ("50-249", _l("50–249 Beschäftigte")),
    ("250+", _l("250 und mehr Beschäftigte")),
]

INDUSTRIES = [
    ("handwerk", _l("Handwerk")),
    ("handel", _l("Handel")),
    ("industrie", _l("Industrie und Produktion")),
    ("dienstleistung", _l("Dienstleistungen")),
    ("gastgewerbe", _l("Gastgewerbe und Tourismus")),
    ("gesundheit", _l("Gesundheit und Soziales")),
    ("bau", _l("Bau und Immobilien")),
    ("logistik", _l("Verkehr und Logistik")),
    ("it", _l("IT und Kommunikation")),
    ("landwirtschaft", _l("Land- und Forstwirtschaft")),
    ("sonstige", _l("Sonstige Branche")),
]

LANGUAGES = list(LANGUAGE_NAMES.items())

REQUIRED = _l("Bitte ausfüllen.")
CHOOSE = _l("Bitte auswählen.")
BAD_EMAIL = _l("Bitte geben Sie eine gültige E-Mail-Adresse an.")
PHONE = Regexp(r"^[0-9+()/ .-]{3,40}$", message=_l("Bitte nur Ziffern, Leerzeichen und + ( ) / -."))
POSTCODE = Regexp(r"^[A-Za-z0-9 -]{3,10}$", message=_l("Bitte eine gültige Postleitzahl."))


def clean_text(value: str | None) -> str | None:
    """One line of text: no control characters (PostgreSQL refuses NUL), no outer spaces."""
    if value is None:
        return None
    return CONTROL_CHARACTERS.sub(" ", value).strip()


def at_most(length: int) -> Length:
    return Length(max=length, message=_l("Bitte höchstens %(max)d Zeichen."))


def submission_key_or_none(value: str | None) -> str | None:
    """The form's own random key, or nothing (a tampered key just loses its protection)."""
    return value if value and SUBMISSION_KEY.fullmatch(value) else None


def select_choices(choices: list[tuple[str, Any]], placeholder: Any = None) -> list[SelectChoice]:
    options = [SelectChoice(value, label) for value, label in choices]
    return [SelectChoice("", placeholder), *options] if placeholder is not None else options


def one_of(choices: list[tuple[str, Any]]) -> AnyOf:
    """The choice must be one offered (a message of ours rather than WTForms' English one)."""
    return AnyOf([value for value, _label in choices], message=CHOOSE)


def label_of(choices: list[tuple[str, Any]], value: str) -> str:
    """The readable label of a stored choice (the value itself if it is unknown)."""
    return str(dict(choices).get(value, value))


class AttendeeForm(Form):
    """One row of the attendee table; blank rows are allowed and ignored."""

    name = StringField(_l("Name"), validators=[Optional(), at_most(200)], filters=[clean_text])
    email = EmailField(
        _l("E-Mail"),
        validators=[Optional(), Email(message=BAD_EMAIL), at_most(254)],
        filters=[clean_text],
    )

    @property
    def is_blank(self) -> bool:
        return not (self.name.data or "").strip() and not (self.email.data or "").strip()


class RegistrationForm(FlaskForm):
    """The public registration form. Build it with ``registration_form(maximum)``: it holds
    the attendee rows that were posted (one on a new form), at most ``maximum``."""

    submission_key = HiddenField(filters=[submission_key_or_none])
    company_name = StringField(
        _l("Unternehmen"),
        validators=[DataRequired(REQUIRED), at_most(200)],
        filters=[clean_text],
    )
    company_size = SelectField(
        _l("Größe des Unternehmens"),
        choices=select_choices(COMPANY_SIZES, _l("Bitte wählen …")),
        validators=[InputRequired(CHOOSE), one_of(COMPANY_SIZES)],
        validate_choice=False,
    )
    industry = SelectField(
        _l("Branche"),
        choices=select_choices(INDUSTRIES, _l("Bitte wählen …")),
        validators=[InputRequired(CHOOSE), one_of(INDUSTRIES)],
        validate_choice=False,
    )
    postcode = StringField(
        _l("PLZ"), validators=[DataRequired(REQUIRED), POSTCODE], filters=[clean_text]
    )
    town = StringField(
        _l("Ort"), validators=[DataRequired(REQUIRED), at_most(100)], filters=[clean_text]
    )
    contact_name = StringField(
        _l("Ansprechperson"),
        validators=[DataRequired(REQUIRED), at_most(200)],
        filters=[clean_text],
    )
    contact_email = EmailField(
        _l("E-Mail der Ansprechperson"),
        validators=[DataRequired(REQUIRED), Email(message=BAD_EMAIL), at_most(254)],
        filters=[clean_text],
    )
    contact_phone = StringField(
        _l("Telefon (freiwillig)"), validators=[Optional(), PHONE], filters=[clean_text]
    )
    language = SelectField(
        _l("Sprache für E-Mails"),
        choices=select_choices(LANGUAGES),
        default=DEFAULT_LANGUAGE,
        validators=[one_of(LANGUAGES)],
        validate_choice=False,
    )
    privacy_consent = BooleanField(
        _l("Ich habe die Datenschutzhinweise gelesen und willige in die Verarbeitung ein."),
        validators=[DataRequired(_l("Ohne Ihre Einwilligung können wir Sie nicht anmelden."))],
    )
    newsletter_consent = BooleanField(
        _l("Ich möchte über weitere Veranstaltungen informiert werden.")
    )
    share_with_partners = BooleanField(
        _l("Die Partner der Veranstaltung dürfen meine Kontaktdaten erhalten.")
    )

    attendees: FieldList  # set by registration_form()

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        filled = 0
        for entry in self.attendees:
            row: AttendeeForm = entry.form
            if row.is_blank:
                continue
            filled += 1
            if not (row.name.data or "").strip():
                row.name.errors = [*row.name.errors, str(REQUIRED)]
                valid = False
            if not (row.email.data or "").strip():
                row.email.errors = [*row.email.errors, str(REQUIRED)]
                valid = False
        if filled == 0:
            first: AttendeeForm = self.attendees[0].form
            message = str(_l("Bitte geben Sie mindestens eine teilnehmende Person an."))
            first.name.errors = [*first.name.errors, message]
            valid = False
        return valid

    @property
    def maximum_rows(self) -> int:
        return int(self.attendees.max_entries or 1)

    def can_add_row(self) -> bool:
        return len(self.attendees) < self.maximum_rows

    def edit_rows(self, formdata: MultiDict[str, str]) -> int | None:
        """Apply the "add person" or "remove person N" button of a form sent without
        JavaScript: the row that should get the focus next, or None if neither was pressed
        (the form was sent to register)."""
        if "add_attendee" in formdata:
            if self.can_add_row():
                self.attendees.append_entry()
            return len(self.attendees) - 1
        removed = formdata.get("remove_attendee")
        if removed is None:
            return None
        index = int(removed) if ROW_NUMBER.fullmatch(removed) else -1
        if 0 < index < len(self.attendees):
            self.attendees.pop_entry(index)
            return index - 1
        return len(self.attendees) - 1

    def blank_row(self) -> AttendeeForm:
        """An empty row numbered after the last one (the model for rows added in place)."""
        return AttendeeForm(formdata=None, prefix=f"{self.attendees.name}-{len(self.attendees)}")

    def problems(self, page_error: str | None = None) -> list[tuple[str | None, str]]:
        """Every message of the form, in reading order, with the id of its field (None for
        a message about the whole form): the summary above the form links to them."""
        found: list[tuple[str | None, str]] = [(None, page_error)] if page_error else []
        for field in self:
            if field is self.language:  # the attendee rows come before it on the page
                found.extend(self._attendee_problems())
            if field is self.attendees or field.type in ("CSRFTokenField", "HiddenField"):
                continue
            if field.type == "BooleanField":
                found.extend((field.id, str(message)) for message in field.errors)
            else:
                found.extend((field.id, f"{field.label.text}: {m}") for m in field.errors)
        return found

    def _attendee_problems(self) -> list[tuple[str | None, str]]:
        found: list[tuple[str | None, str]] = []
        for number, entry in enumerate(self.attendees, start=1):
            row: AttendeeForm = entry.form
            labels = {
                row.name: _("Name (Person %(n)d)", n=number),
                row.email: _("E-Mail (Person %(n)d)", n=number),
            }
            for field, label in labels.items():
                found.extend((field.id, f"{label}: {message}") for message in field.errors)
        return found

    def filled_rows(self) -> list[int]:
        """Indices of the attendee rows that hold someone, in order."""
        return [i for i, entry in enumerate(self.attendees) if not entry.form.is_blank]

    def to_input(self, referral_partner_slug: str | None = None) -> RegistrationInput:
        return RegistrationInput(
            company_name=self.company_name.data or "",
            company_size=self.company_size.data or "",
            industry=self.industry.data or "",
            postcode=self.postcode.data or "",
            town=self.town.data or "",
            contact_name=self.contact_name.data or "",
            contact_email=self.contact_email.data or "",
            contact_phone=self.contact_phone.data or "",
            language=self.language.data or DEFAULT_LANGUAGE,
            privacy_consent=bool(self.privacy_consent.data),
            newsletter_consent=bool(self.newsletter_consent.data),
            share_with_partners=bool(self.share_with_partners.data),
            referral_partner_slug=referral_partner_slug,
            submission_key=self.submission_key.data or None,
            attendees=[
                AttendeeInput(
                    name=self.attendees[i].form.name.data or "",
                    email=self.attendees[i].form.email.data or "",
                )
                for i in self.filled_rows()
            ],
        )


def registration_form(maximum: int, **kwargs: Any) -> RegistrationForm:
    """A registration form with up to ``maximum`` attendee rows (the event's maximum per
    company): as many as were posted, one on a new form.

    A new form gets a fresh random submission key, so that sending it twice stores one
    registration.
    """
    rows = FieldList(FormField(AttendeeForm), min_entries=1, max_entries=max(1, maximum))
    form_class = type("EventRegistrationForm", (RegistrationForm,), {"attendees": rows})
    form: RegistrationForm = form_class(**kwargs)
    if not form.submission_key.data:
        form.submission_key.data = secrets.token_urlsafe(24)
    return form


class AttendeeChangeForm(FlaskForm):
    """Add a person, or put someone else in an attendee's place."""

    name = StringField(
        _l("Name"), validators=[DataRequired(REQUIRED), at_most(200)], filters=[clean_text]
    )
    email = EmailField(
        _l("E-Mail"),
        validators=[DataRequired(REQUIRED), Email(message=BAD_EMAIL), at_most(254)],
        filters=[clean_text],
    )

    def to_input(self) -> AttendeeInput:
        return AttendeeInput(name=self.name.data or "", email=self.email.data or "")


class CancelRegistrationForm(FlaskForm):
    confirm = BooleanField(
        _l("Ja, alle Plätze dieser Anmeldung freigeben."),
        validators=[DataRequired(_l("Bitte bestätigen Sie die Stornierung."))],
    )
