from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from roadshow.accounts.forms import LoginForm
from roadshow.accounts.login import after_password, end_sessions
from roadshow.accounts.services import authenticate
from roadshow.extensions import db, limiter

bp = Blueprint("accounts", __name__)


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> str | Response:
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data or "", form.password.data or "")
        if user is not None:
            return after_password(db.session, user, request.args.get("next"))
        form.password.errors = [_("E-Mail-Adresse oder Passwort stimmen nicht.")]
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    if current_user.is_authenticated:
        end_sessions(db.session, current_user._get_current_object())
    else:
        logout_user()
    flash(_("Sie sind ausgeloggt."))
    return redirect(url_for("events.index"))
