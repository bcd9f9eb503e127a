"""Forms of the organisers' event pages. They check shape; the services check the rules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SearchField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, ValidationError

from roadshow.events.models import Event, EventKind, EventStatus, PartnerRole, Tour, Venue
from roadshow.events.planning import DEFAULT_TIMEZONE, is_time_zone
from roadshow.partners.models import Partner

STATUS_LABELS = {
    EventStatus.DRAFT: _l("Entwurf"),
    EventStatus.PUBLISHED: _l("veröffentlicht"),
    EventStatus.CANCELLED: _l("abgesagt"),
}
ONLINE = 0  # the venue choice "online"
NO_TOUR = 0  # the tour choice "none"
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
MAX_SEATS = 100_000


def _local_field(label: Any, *, required: bool = True) -> DateTimeLocalField:
    return DateTimeLocalField(
        label, format=LOCAL_FORMAT, validators=[DataRequired() if required else Optional()]
    )


def in_zone(local: datetime | None, zone: str) -> datetime | None:
    """A local time from a form as an instant in the event's zone."""
    return local.replace(tzinfo=ZoneInfo(zone)) if local is not None else None


def _shown(instant: datetime | None, zone: str) -> datetime | None:
    return instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None) if instant else None


class EventFilterForm(FlaskForm):
    """The filters above the list of events (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Titel enthält"), validators=[Optional(), Length(max=200)])
    status = SelectField(_l("Stand"), validators=[Optional()])
    kind = SelectField(_l("Art"), validators=[Optional()])
    tour = SelectField(_l("Tour"), validators=[Optional()])

    def offer(self, tours: Sequence[Tour]) -> None:
        everything = SelectChoice("", _("alle"))
        self.status.choices = [
            everything,
            *(SelectChoice(status.value, STATUS_LABELS[status]) for status in EventStatus),
        ]
        self.kind.choices = [everything, *(SelectChoice(k.value, k.label) for k in EventKind)]
        self.tour.choices = [everything, *(SelectChoice(str(t.id), t.title) for t in tours)]


class ChangeEventForm(FlaskForm):
    """Time, place and join link: the changes attendees are told about."""

    starts_at = _local_field(_l("Beginn"))
    ends_at = _local_field(_l("Ende"))
    venue_id = SelectField(_l("Ort"), coerce=int)
    join_url = URLField(
        _l("Zugangslink (nur für Teilnehmende)"),
        validators=[Optional(), URL(require_tld=False), Length(max=500)],
    )
    override_conflicts = BooleanField(_l("Trotzdem speichern"))
    confirm = SubmitField(_l("Speichern und benachrichtigen"))
    back = SubmitField(_l("Zurück zur Eingabe"))

    def validate_ends_at(self, field: DateTimeLocalField) -> None:
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_("Das Ende muss nach dem Beginn liegen."))

    def offer_venues(self, venues: Sequence[Venue]) -> None:
        self.venue_id.choices = [
            SelectChoice(ONLINE, _("online")),
            *(SelectChoice(v.id, f"{v.name}, {v.town}") for v in venues),
        ]

    def show(self, event: Event) -> None:
        """Fill the fields with the event as it is, in its own time zone."""
        self.starts_at.data = event.local_starts_at.replace(tzinfo=None)
        self.ends_at.data = event.local_ends_at.replace(tzinfo=None)
        self.venue_id.data = event.venue_id or ONLINE
        self.join_url.data = event.join_url or ""


def _tour_choices(tours: Sequence[Tour]) -> list[SelectChoice]:
    return [SelectChoice(NO_TOUR, _("keine Tour")), *(SelectChoice(t.id, t.title) for t in tours)]


class EventDetailsForm(FlaskForm):
    """What attendees are not told about: title, address, description, tour, seats."""

    title = StringField(_l("Titel"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        _l("Kurzbezeichnung für die Adresse"),
        description=_l("Leer lassen, um sie aus dem Titel vorzuschlagen."),
        validators=[Optional(), Length(max=120)],
    )
    tour_id = SelectField(_l("Tour"), coerce=int)
    capacity = IntegerField(
        _l("Plätze"), validators=[DataRequired(), NumberRange(min=0, max=MAX_SEATS)]
    )
    max_attendees_per_registration = IntegerField(
        _l("Höchstens Teilnehmende je Anmeldung"),
        validators=[DataRequired(), NumberRange(min=1, max=100)],
    )
    registration_opens_at = _local_field(_l("Anmeldung ab"), required=False)
    registration_closes_at = _local_field(_l("Anmeldung bis"), required=False)
    description = TextAreaField(_l("Beschreibung"), validators=[Length(max=20_000)])
    partners_may_check_in = BooleanField(_l("Die Partner der Veranstaltung dürfen einchecken"))
    min_attended_minutes = IntegerField(
        _l("Mindestdauer für „teilgenommen“ (Minuten)"),
        description=_l("Leer lassen: die Hälfte der Dauer."),
        validators=[Optional(), NumberRange(min=1, max=24 * 60)],
    )

    def offer_tours(self, tours: Sequence[Tour]) -> None:
        self.tour_id.choices = _tour_choices(tours)

    def show(self, event: Event) -> None:
        self.title.data = event.title
        self.slug.data = event.slug
        self.tour_id.data = event.tour_id or NO_TOUR
        self.capacity.data = event.capacity
        self.max_attendees_per_registration.data = event.max_attendees_per_registration
        self.registration_opens_at.data = _shown(event.registration_opens_at, event.timezone)
        self.registration_closes_at.data = _shown(event.registration_closes_at, event.timezone)
        self.description.data = event.description
        self.partners_may_check_in.data = event.partners_may_check_in
        self.min_attended_minutes.data = event.min_attended_minutes


class NewEventForm(EventDetailsForm):
    kind = SelectField(
        _l("Art"),
        choices=[SelectChoice(k.value, k.label) for k in EventKind],
        default=EventKind.STOP.value,
    )
    venue_id = SelectField(_l("Ort"), coerce=int)
    starts_at = _local_field(_l("Beginn"))
    ends_at = _local_field(_l("Ende"))
    timezone = StringField(
        _l("Zeitzone"), default=DEFAULT_TIMEZONE, validators=[DataRequired(), Length(max=64)]
    )
    join_url = URLField(
        _l("Zugangslink (nur für Teilnehmende)"),
        validators=[Optional(), URL(require_tld=False), Length(max=500)],
    )
    publish = BooleanField(_l("Gleich veröffentlichen"))
    override_conflicts = BooleanField(_l("Trotzdem speichern"))

    def validate_timezone(self, field: StringField) -> None:
        if field.data and not is_time_zone(field.data.strip()):
            raise ValidationError(_("Unbekannte Zeitzone; erwartet wird z. B. Europe/Berlin."))

    def validate_ends_at(self, field: DateTimeLocalField) -> None:
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_("Das Ende muss nach dem Beginn liegen."))

    def offer_venues(self, venues: Sequence[Venue]) -> None:
        self.venue_id.choices = [
            SelectChoice(ONLINE, _("online (nur Webinare)")),
            *(SelectChoice(v.id, f"{v.name}, {v.town}") for v in venues),
        ]


# The partner roles: one multiple choice per role, several partners each.
ROLE_FIELDS = {role: f"role_{role.value}" for role in PartnerRole}


class PartnerRolesForm(FlaskForm):
    role_host = SelectMultipleField(PartnerRole.HOST.label, coerce=int)
    role_speaker = SelectMultipleField(PartnerRole.SPEAKER.label, coerce=int)
    role_exhibitor = SelectMultipleField(PartnerRole.EXHIBITOR.label, coerce=int)
    role_sponsor = SelectMultipleField(PartnerRole.SPONSOR.label, coerce=int)
    override_conflicts = BooleanField(_l("Trotzdem speichern"))

    def role_fields(self) -> list[tuple[PartnerRole, SelectMultipleField]]:
        return [(role, getattr(self, name)) for role, name in ROLE_FIELDS.items()]

    def offer_partners(self, partners: Sequence[Partner]) -> None:
        for _role, field in self.role_fields():
            field.choices = [SelectChoice(p.id, p.name) for p in partners]

    def show(self, event: Event) -> None:
        for role, field in self.role_fields():
            field.data = [r.partner_id for r in event.partner_roles if r.role is role]

    def chosen(self, partners: Sequence[Partner]) -> list[tuple[Partner, PartnerRole]]:
        by_id = {p.id: p for p in partners}
        return [
            (by_id[partner_id], role)
            for role, field in self.role_fields()
            for partner_id in field.data or ()
            if partner_id in by_id
        ]


class CancelEventForm(FlaskForm):
    confirm = BooleanField(
        _l("Ja, absagen und alle Angemeldeten benachrichtigen"),
        validators=[DataRequired(_l("Bitte bestätigen Sie die Absage."))],
    )
