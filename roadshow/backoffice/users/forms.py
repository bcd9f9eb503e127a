"""Forms of the users pages. They check shape; ``accounts.services`` checks the rules (a
partner user needs a partner, the last admin stays, an address has one account)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from roadshow.accounts.forms import email_field
from roadshow.accounts.models import Role
from roadshow.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES
from roadshow.partners.models import Partner
from roadshow.registrations.forms import clean_text, select_choices

ROLE_LABELS: dict[Role, LazyString] = {
    Role.ADMIN: _l("Admin"),
    Role.ORGANISER: _l("Organisation"),
    Role.PARTNER: _l("Partnerfirma"),
}


class UserRoleForm(FlaskForm):
    """Role and, for role partner, the partner (the other roles ignore it)."""

    role = SelectField(
        _l("Rolle"),
        choices=select_choices([(role.value, label) for role, label in ROLE_LABELS.items()]),
        default=Role.ORGANISER.value,
    )
    partner = SelectField(_l("Partnerfirma (nur für die Rolle Partnerfirma)"), default="")

    def offer(self, partners: list[Partner]) -> None:
        self.partner.choices = select_choices(
            [(str(partner.id), partner.name) for partner in partners], _l("— keine —")
        )

    def chosen_role(self) -> Role:
        return Role(self.role.data)

    def chosen_partner(self, partners: list[Partner]) -> Partner | None:
        by_id = {str(partner.id): partner for partner in partners}
        return by_id.get(self.partner.data or "")


def language_field() -> SelectField:
    """The language the invitation mail is written in."""
    return SelectField(
        _l("Sprache der Einladung"),
        choices=select_choices(list(LANGUAGE_NAMES.items())),
        default=DEFAULT_LANGUAGE,
    )


class UserInviteForm(UserRoleForm):
    email = email_field(_l("Bitte geben Sie die E-Mail-Adresse an."))
    name = StringField(
        _l("Name"),
        filters=[clean_text],
        validators=[DataRequired(_l("Bitte geben Sie den Namen an.")), Length(max=200)],
    )
    language = language_field()


class ResendInvitationForm(FlaskForm):
    language = language_field()
