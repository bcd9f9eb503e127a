"""Forms of the subscription pages. Choices come from the database (``fill_choices``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectMultipleField
from wtforms.validators import DataRequired, Email, Length
from wtforms.widgets import CheckboxInput, ListWidget

from roadshow.calendar.filters import FeedFilter, FilterChoices
from roadshow.events.models import EventKind

# The consent text a subscriber agrees to. Change the text, change the version: the
# version is stored with every subscription as the proof of what was agreed to.
CONSENT_TEXT_VERSION = "feeds-2025-06"
CONSENT_TEXT = _l(
    "Ich möchte den gewählten Veranstaltungskalender abonnieren. Dafür speichert Roadshow "
    "meine E-Mail-Adresse, meine Auswahl sowie Zeitpunkt und IP-Adresse von Anmeldung und "
    "Bestätigung. Wenn ich es unten wähle, erhalte ich E-Mails zu neuen, geänderten und "
    "abgesagten Veranstaltungen meiner Auswahl. Ich kann das Abonnement jederzeit über den "
    "Link in jeder E-Mail beenden."
)


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (works without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def kind_labels() -> dict[str, str]:
    """Plural names of the kinds, in the current language."""
    return {kind.value: str(kind.plural_label) for kind in EventKind}


class FilterForm(FlaskForm):
    tours = CheckboxesField(_l("Touren"), choices=[], validate_choice=True)
    towns = CheckboxesField(_l("Orte"), choices=[], validate_choice=True)
    kinds = CheckboxesField(_l("Formate"), choices=[], validate_choice=True)
    partners = CheckboxesField(_l("Partner"), choices=[], validate_choice=True)
    notify_by_email = BooleanField(
        _l(
            "Mich per E-Mail informieren, wenn eine Veranstaltung meiner Auswahl neu ist, sich "
            "ändert oder abgesagt wird"
        )
    )

    def fill_choices(self, choices: FilterChoices) -> None:
        labels = kind_labels()
        self.tours.choices = list(choices.tours)
        self.towns.choices = [(town, town) for town in choices.towns]
        self.kinds.choices = [(kind, labels.get(kind, kind)) for kind in choices.kinds]
        self.partners.choices = list(choices.partners)

    def feed_filter_values(self) -> dict[str, list[str]]:
        return {
            "tours": self.tours.data or [],
            "towns": self.towns.data or [],
            "kinds": self.kinds.data or [],
            "partners": self.partners.data or [],
        }

    def show_filter(self, feed_filter: FeedFilter) -> None:
        """Tick the boxes of a filter (a link from a town's page, a stored subscription)."""
        for name, values in feed_filter.to_json().items():
            getattr(self, name).data = values


def _strip(value: str | None) -> str | None:
    return value.strip() if value else value


class SubscribeForm(FilterForm):
    email = EmailField(
        _l("E-Mail"), validators=[DataRequired(), Email(), Length(max=254)], filters=[_strip]
    )
    consent = BooleanField(
        CONSENT_TEXT,
        validators=[DataRequired(_l("Bitte stimmen Sie zu, damit wir Ihr Abonnement anlegen."))],
    )


class ManageForm(FilterForm):
    pass


class ButtonForm(FlaskForm):
    """A form with only its CSRF token, for the confirm, rotate and cancel buttons."""
