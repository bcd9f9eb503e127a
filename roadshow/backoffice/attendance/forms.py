"""Forms of the attendance report import page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, SelectField
from wtforms.validators import NumberRange, Optional


class ReportUploadForm(FlaskForm):
    file = FileField(
        _l("Teilnahmebericht (CSV)"), validators=[FileRequired(_l("Bitte eine Datei wählen."))]
    )
    min_minutes = IntegerField(
        _l("Mindestminuten (leer: die der Veranstaltung)"),
        validators=[Optional(), NumberRange(min=0, max=100000)],
    )


class AssignForm(FlaskForm):
    attendee_id = SelectField(_l("Person"), coerce=int)
