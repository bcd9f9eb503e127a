from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("E-Mail"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Passwort"), validators=[DataRequired(), Length(max=200)])


class SetPasswordForm(FlaskForm):
    """A new password, typed twice; the policy is checked by the service."""

    password = PasswordField(
        _l("Neues Passwort (mindestens 12 Zeichen)"),
        validators=[DataRequired(_l("Bitte geben Sie ein neues Passwort ein.")), Length(max=200)],
    )
    password_confirm = PasswordField(
        _l("Neues Passwort wiederholen"),
        validators=[
            DataRequired(_l("Bitte wiederholen Sie das neue Passwort.")),
            EqualTo("password", _l("Die beiden Eingaben stimmen nicht überein.")),
        ],
    )


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField(
        _l("Bisheriges Passwort"),
        validators=[
            DataRequired(_l("Bitte geben Sie Ihr bisheriges Passwort ein.")),
            Length(max=200),
        ],
    )


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def email_field(missing: str | LazyString) -> EmailField:
    """A required email address (spaces around it dropped); ``missing`` says what to do
    when it is left empty."""
    return EmailField(
        _l("E-Mail"),
        filters=[_stripped],
        validators=[
            DataRequired(missing),
            Email(_l("Das sieht nicht wie eine E-Mail-Adresse aus.")),
            Length(max=254),
        ],
    )


class ForgotPasswordForm(FlaskForm):
    email = email_field(_l("Bitte geben Sie Ihre E-Mail-Adresse ein."))


def code_field(label: str | LazyString) -> StringField:
    return StringField(
        label,
        filters=[_stripped],
        validators=[DataRequired(_l("Bitte geben Sie den Code ein.")), Length(max=40)],
    )


class SecondFactorForm(FlaskForm):
    """The second step of a login: a code from the app, or a recovery code."""

    code = code_field(_l("Code aus Ihrer App oder Wiederherstellungscode"))


class EnableTwoFactorForm(FlaskForm):
    code = code_field(_l("Code aus Ihrer App"))


class RenewRecoveryCodesForm(FlaskForm):
    code = code_field(_l("Aktueller Code aus Ihrer App"))


class DisableTwoFactorForm(FlaskForm):
    password = PasswordField(
        _l("Passwort"),
        validators=[DataRequired(_l("Bitte geben Sie Ihr Passwort ein.")), Length(max=200)],
    )
    code = code_field(_l("Code aus Ihrer App oder Wiederherstellungscode"))


class NewApiTokenForm(FlaskForm):
    label = StringField(
        _l("Wofür ist das Token? (z. B. „CRM der Kammer“)"),
        filters=[_stripped],
        validators=[DataRequired(_l("Bitte geben Sie an, wofür das Token ist.")), Length(max=100)],
    )


class RevokeApiTokenForm(FlaskForm):
    token_id = IntegerField(validators=[DataRequired()])
