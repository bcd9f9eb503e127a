"""The privacy page's one form: an address, and on the erase step the confirmation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField
from wtforms.validators import DataRequired, Email, Length

from roadshow.mail.addresses import normalize_email


class PersonForm(FlaskForm):
    """Sent by POST (an address in a query string would land in logs and histories)."""

    email = EmailField(
        _l("E-Mail-Adresse der Person"),
        validators=[
            DataRequired(_l("Bitte geben Sie eine E-Mail-Adresse an.")),
            Email(message=_l("Bitte geben Sie eine gültige E-Mail-Adresse an.")),
            Length(max=254),
        ],
        filters=[lambda value: normalize_email(value) if value else value],
    )
    confirm = HiddenField()

    @property
    def confirmed(self) -> bool:
        return self.confirm.data == "1"
