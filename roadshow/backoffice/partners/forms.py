"""The partner form. It checks shape; ``partners.services`` checks the rules (slug taken,
web address) and ``partners.logos`` what an uploaded logo really is."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from roadshow.partners.services import PartnerInput


class PartnerForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Bitte geben Sie den Namen des Partners an.")),
            Length(max=200),
        ],
    )
    slug = StringField(
        _l("Kurzbezeichnung für Adressen (leer lassen: aus dem Namen)"),
        validators=[Optional(), Length(max=80)],
    )
    industry = StringField(_l("Branche"), validators=[Optional(), Length(max=100)])
    website = StringField(_l("Website"), validators=[Optional(), Length(max=300)])
    description = TextAreaField(_l("Beschreibung"), validators=[Optional(), Length(max=5000)])
    logo = FileField(_l("Logo (PNG, JPEG oder WebP, höchstens 1 MB und 4000 × 4000 Pixel)"))
    remove_logo = BooleanField(_l("Logo entfernen"))

    def partner_input(self) -> PartnerInput:
        return PartnerInput(
            name=(self.name.data or "").strip(),
            slug=(self.slug.data or "").strip(),
            industry=(self.industry.data or "").strip(),
            website=(self.website.data or "").strip(),
            description=(self.description.data or "").strip(),
        )
