"""The form of the comparison page: two editions (tours) to set side by side."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Form, SelectField, ValidationError
from wtforms.validators import InputRequired


class CompareForm(Form):
    """A GET form (a comparison changes nothing, so it needs no CSRF token)."""

    first = SelectField(_l("Erste Ausgabe"), coerce=int, validators=[InputRequired()])
    second = SelectField(_l("Zweite Ausgabe"), coerce=int, validators=[InputRequired()])

    def __init__(self, *args: Any, tours: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.first.choices = tours
        self.second.choices = tours

    def validate_second(self, field: SelectField) -> None:
        if field.data == self.first.data:
            raise ValidationError(_l("Bitte wählen Sie zwei verschiedene Ausgaben."))
