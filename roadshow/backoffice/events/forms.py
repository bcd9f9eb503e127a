"""Forms of the organisers' pages. They check shape; the services check the rules."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, SelectField, URLField
from wtforms.validators import URL, DataRequired, Length, Optional, ValidationError

from roadshow.events.models import Event, Venue

ONLINE = 0  # the venue choice "online"


class ChangeEventForm(FlaskForm):
    starts_at = DateTimeLocalField(
        _l("Beginn"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()]
    )
    ends_at = DateTimeLocalField(_l("Ende"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    venue_id = SelectField(_l("Ort"), coerce=int)
    join_url = URLField(
        _l("Zugangslink (nur für Teilnehmende)"),
        validators=[Optional(), URL(require_tld=False), Length(max=500)],
    )

    def validate_ends_at(self, field: DateTimeLocalField) -> None:
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_("Das Ende muss nach dem Beginn liegen."))

    def offer_venues(self, venues: list[Venue]) -> None:
        self.venue_id.choices = [
            (ONLINE, _("online")),
            *((v.id, f"{v.name}, {v.town}") for v in venues),
        ]

    def show(self, event: Event) -> None:
        """Fill the fields with the event as it is, in its own time zone."""
        self.starts_at.data = event.local_starts_at.replace(tzinfo=None)
        self.ends_at.data = event.local_ends_at.replace(tzinfo=None)
        self.venue_id.data = event.venue_id or ONLINE
        self.join_url.data = event.join_url or ""


class CancelEventForm(FlaskForm):
    confirm = BooleanField(
        _l("Ja, absagen und alle Angemeldeten benachrichtigen"),
        validators=[DataRequired(_l("Bitte bestätigen Sie die Absage."))],
    )
