from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from roadshow.accounts.forms import LoginForm
from roadshow.accounts.services import authenticate
from roadshow.extensions import db, limiter
from roadshow.web import local_target

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
            db.session.commit()
            login_user(user)
            start = "backoffice.dashboard" if user.is_organiser else "events.index"
            return redirect(local_target(request.args.get("next"), start))
        form.password.errors = [_("E-Mail-Adresse oder Passwort stimmen nicht.")]
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    logout_user()
    flash(_("Sie sind ausgeloggt."))
    return redirect(url_for("events.index"))
