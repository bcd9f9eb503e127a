"""Forms of the series pages and of cloning a tour. They check shape; the services
(``events.series``, ``events.cloning``) check the rules."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from roadshow.events.models import EventKind, Tour, Venue
from roadshow.events.series import (
    MAX_CAPACITY,
    MAX_DURATION_MINUTES,
    NewSeries,
    SeriesRule,
    german_states,
    weekly_rule,
)
from roadshow.registrations.forms import select_choices

NONE = 0  # "no tour", "no venue"
_LIST_SEPARATORS = re.compile(r"[\s,;]+")

WEEKDAY_CHOICES = [
    ("MO", _l("Montag")),
    ("TU", _l("Dienstag")),
    ("WE", _l("Mittwoch")),
    ("TH", _l("Donnerstag")),
    ("FR", _l("Freitag")),
    ("SA", _l("Samstag")),
    ("SU", _l("Sonntag")),
]


class SeriesForm(FlaskForm):
    kind = SelectField(
        _l("Art"),
        choices=select_choices(
            [(EventKind.WEBINAR.value, _l("Webinar")), (EventKind.WORKSHOP.value, _l("Workshop"))]
        ),
        default=EventKind.WEBINAR.value,
    )
    title = StringField(_l("Titel"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        _l("Kurzadresse (leer: aus dem Titel)"), validators=[Optional(), Length(max=100)]
    )
    description = TextAreaField(_l("Beschreibung"), validators=[Optional(), Length(max=5000)])
    tour_id = SelectField(_l("Tour"), coerce=int, default=NONE)
    venue_id = SelectField(_l("Ort (für Workshops)"), coerce=int, default=NONE)
    first_date = DateField(_l("Erster Termin"), validators=[DataRequired()])
    start_time = TimeField(_l("Beginn (Ortszeit)"), validators=[DataRequired()])
    duration_minutes = IntegerField(
        _l("Dauer in Minuten"),
        default=60,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_DURATION_MINUTES)],
    )
    timezone = StringField(
        _l("Zeitzone"), default="Europe/Berlin", validators=[DataRequired(), Length(max=64)]
    )
    weekday = SelectField(
        _l("Wöchentlich am"), choices=select_choices(WEEKDAY_CHOICES), default="TH"
    )
    repeat_until = DateField(_l("bis einschließlich"), validators=[Optional()])
    rrule = StringField(
        _l("Oder eine andere Regel (RRULE nach RFC 5545)"),
        validators=[Optional(), Length(max=500)],
        description=_l("z. B. FREQ=MONTHLY;BYDAY=1TH;COUNT=6 – hat Vorrang vor „wöchentlich“."),
    )
    exclude_holidays = SelectField(_l("Feiertage auslassen"), default="")
    exclude_dates = TextAreaField(
        _l("Weitere Tage auslassen (einer je Zeile oder durch Komma getrennt)"),
        validators=[Optional(), Length(max=5000)],
    )
    capacity = IntegerField(
        _l("Plätze je Termin"),
        default=100,
        validators=[InputRequired(), NumberRange(min=0, max=MAX_CAPACITY)],
    )
    status = RadioField(
        _l("Termine"),
        choices=select_choices(
            [("draft", _l("als Entwürfe anlegen")), ("published", _l("gleich veröffentlichen"))]
        ),
        default="draft",
    )
    preview = SubmitField(_l("Vorschau"))
    save = SubmitField(_l("Reihe anlegen"))

    def offer(self, tours: list[Tour], venues: list[Venue]) -> None:
        self.tour_id.choices = [(NONE, _("keine")), *((t.id, t.title) for t in tours)]
        self.venue_id.choices = [
            (NONE, _("keiner")),
            *((v.id, f"{v.name}, {v.town}") for v in venues),
        ]
        self.exclude_holidays.choices = [
            ("", _("keine")),
            *((code, f"{name} ({code})") for code, name in german_states()),
        ]

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        valid = super().validate(extra_validators)
        if self.uses_rrule:
            return valid
        message = None
        if self.repeat_until.data is None and not self.repeat_until.errors:
            message = _("Bitte ein Enddatum angeben oder unten eine Regel eintragen.")
        elif (
            self.first_date.data
            and self.repeat_until.data
            and (self.repeat_until.data < self.first_date.data)
        ):
            message = _("Das Ende liegt vor dem ersten Termin.")
        if message:
            self.repeat_until.errors = [*self.repeat_until.errors, message]
            return False
        return valid

    @property
    def uses_rrule(self) -> bool:
        return bool((self.rrule.data or "").strip())

    def rule_text(self) -> str:
        """The RRULE typed in, or the weekly one the fields describe."""
        if self.uses_rrule:
            return (self.rrule.data or "").strip()
        assert self.repeat_until.data is not None
        return weekly_rule(self.weekday.data or "", self.repeat_until.data, self.timezone_name)

    @property
    def timezone_name(self) -> str:
        return (self.timezone.data or "").strip()

    def to_plan(self, tour: Tour | None, venue: Venue | None) -> NewSeries:
        assert self.first_date.data is not None and self.start_time.data is not None
        rule = SeriesRule(
            first_local=datetime.combine(self.first_date.data, self.start_time.data),
            duration_minutes=self.duration_minutes.data or 0,
            timezone=self.timezone_name,
            rrule=self.rule_text(),
            exclude_holidays=self.exclude_holidays.data or "",
            exclude_dates=tuple(
                d for d in _LIST_SEPARATORS.split(self.exclude_dates.data or "") if d
            ),
        )
        return NewSeries(
            kind=EventKind(self.kind.data),
            title=self.title.data or "",
            rule=rule,
            capacity=self.capacity.data or 0,
            description=self.description.data or "",
            slug=self.slug.data or "",
            tour=tour,
            venue=venue,
            publish=self.status.data == "published",
        )

    def field_for(self, service_field: str | None) -> object:
        """The form field a service's message belongs next to."""
        names = {
            "starts_at": "first_date",
            "tour": "tour_id",
            "until": "rrule" if self.uses_rrule else "repeat_until",
            "rrule": "rrule" if self.uses_rrule else "repeat_until",
        }
        name = names.get(service_field or "", service_field or "title")
        return getattr(self, name, self.title)


class MoveSeriesForm(FlaskForm):
    start_time = TimeField(_l("Neuer Beginn (Ortszeit)"), validators=[DataRequired()])
    duration_minutes = IntegerField(
        _l("Dauer in Minuten"),
        validators=[InputRequired(), NumberRange(min=1, max=MAX_DURATION_MINUTES)],
    )
    preview = SubmitField(_l("Vorschau"))
    save = SubmitField(_l("Künftige Termine verschieben"))


class CloneTourForm(FlaskForm):
    title = StringField(_l("Titel der neuen Tour"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(_l("Kurzadresse"), validators=[Optional(), Length(max=80)])
    shift_days = IntegerField(
        _l("Um so viele Tage verschieben"),
        validators=[Optional(), NumberRange(min=-3660, max=3660)],
    )
    starts_on = DateField(_l("oder: erster Termin am"), validators=[Optional()])
    preview = SubmitField(_l("Vorschau"))
    save = SubmitField(_l("Tour kopieren"))

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        valid = super().validate(extra_validators)
        if self.shift_days.errors or self.starts_on.errors:
            return False
        if (self.shift_days.data is None) == (self.starts_on.data is None):
            self.shift_days.errors = [
                *self.shift_days.errors,
                _("Bitte entweder eine Verschiebung in Tagen oder ein neues Startdatum angeben."),
            ]
            return False
        return valid
