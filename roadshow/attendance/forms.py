"""The walk-in form at the door: four fields, and the organiser's capacity override."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, StringField
from wtforms.validators import DataRequired, Email, Optional

from roadshow.registrations.forms import BAD_EMAIL, REQUIRED, at_most, clean_text


class WalkInForm(FlaskForm):
    """Sent as JSON by the check-in page (with the CSRF token in a header), or as a form."""

    class Meta:
        csrf = False  # the view checks the header token; JSON bodies carry none

    name = StringField(
        _l("Name"), validators=[DataRequired(REQUIRED), at_most(200)], filters=[clean_text]
    )
    email = EmailField(
        _l("E-Mail"),
        validators=[DataRequired(REQUIRED), Email(message=BAD_EMAIL), at_most(254)],
        filters=[clean_text],
    )
    company = StringField(
        _l("Unternehmen"), validators=[DataRequired(REQUIRED), at_most(200)], filters=[clean_text]
    )
    town = StringField(_l("Ort"), validators=[Optional(), at_most(100)], filters=[clean_text])
    override_capacity = BooleanField(_l("Auch über die Kapazität"))
