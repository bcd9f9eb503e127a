"""Forms of the tour and venue pages. They check shape; the services check the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from roadshow.events.models import Tour, Venue
from roadshow.events.planning import VenueInput


class TourForm(FlaskForm):
    title = StringField(_l("Titel"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        _l("Kurzbezeichnung für die Adresse"),
        description=_l("Leer lassen, um sie aus dem Titel vorzuschlagen."),
        validators=[Optional(), Length(max=80)],
    )
    description = TextAreaField(_l("Beschreibung"), validators=[Length(max=20_000)])

    def show(self, tour: Tour) -> None:
        self.title.data, self.slug.data, self.description.data = (
            tour.title,
            tour.slug,
            tour.description,
        )


class VenueForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    street = StringField(_l("Straße und Hausnummer"), validators=[DataRequired(), Length(max=200)])
    postcode = StringField(_l("PLZ"), validators=[DataRequired(), Length(max=10)])
    town = StringField(_l("Ort"), validators=[DataRequired(), Length(max=100)])
    latitude = FloatField(
        _l("Breitengrad (optional)"), validators=[Optional(), NumberRange(min=-90, max=90)]
    )
    longitude = FloatField(
        _l("Längengrad (optional)"), validators=[Optional(), NumberRange(min=-180, max=180)]
    )

    def show(self, venue: Venue) -> None:
        self.name.data, self.street.data = venue.name, venue.street
        self.postcode.data, self.town.data = venue.postcode, venue.town
        self.latitude.data, self.longitude.data = venue.latitude, venue.longitude

    def to_input(self) -> VenueInput:
        return VenueInput(
            name=self.name.data or "",
            street=self.street.data or "",
            postcode=self.postcode.data or "",
            town=self.town.data or "",
            latitude=self.latitude.data,
            longitude=self.longitude.data,
        )
