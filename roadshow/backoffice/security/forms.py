from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField


class SecuritySettingsForm(FlaskForm):
    require_totp = BooleanField(_l("Zweiten Faktor für alle Organisator·innen verlangen"))
