"""Login and logout, changing one's password, and the set-password links (reset, invitation).

Login attempts are limited twice: per client address (``LOGIN_RATE_LIMIT``) and per
account, keyed by the address typed into the form (``LOGIN_ACCOUNT_RATE_LIMIT``), so that
guessing one account's password from many addresses stops as well.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from roadshow.accounts.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    SetPasswordForm,
)
from roadshow.accounts.login import after_password, complete_login, end_sessions
from roadshow.accounts.passwords import INVITATION, RESET, LinkExpired, LinkKind
from roadshow.accounts.services import (
    authenticate,
    change_password,
    request_password_reset,
    set_password_from_link,
    user_for_link,
)
from roadshow.errors import DomainError
from roadshow.extensions import db, limiter
from roadshow.i18n import supported_language
from roadshow.mail.addresses import normalize_email
from roadshow.web import private

bp = Blueprint("accounts", __name__)


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _account_limit() -> str:
    return str(current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"])


def _account_key() -> str:
    """The account a login attempt is for, whichever address it comes from."""
    return "account:" + normalize_email(request.form.get("email", ""))


def _reset_limit() -> str:
    return str(current_app.config["RESET_LINK_RATE_LIMIT"])


@bp.errorhandler(TooManyRequests)
def too_many_requests(error: TooManyRequests) -> tuple[str, int]:
    return render_template("accounts/rate_limited.html"), 429


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"], scope="login-account")
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
    response = redirect(url_for("events.index"))
    # Lists of attendees kept on a device for the check-in page leave with the login.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"])
def password() -> str | Response:
    """Change one's own password; every other session of the account ends."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_password(
                db.session,
                user,
                current=form.current_password.data or "",
                new=form.password.data or "",
            )
        except DomainError as error:
            db.session.rollback()
            _attach(form, error)
        else:
            end_sessions(db.session, user)
            complete_login(db.session, user)
            flash(_("Ihr Passwort ist geändert. Andere Geräte sind jetzt ausgeloggt."))
            return redirect(url_for("accounts.password"))
    return render_template("accounts/password.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"], scope="reset-account")
def forgot_password() -> str | Response:
    """Ask for a reset link. The answer is the same whether an account exists or not;
    limited per client address and, so that no inbox is flooded, per address typed."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        request_password_reset(
            db.session, form.email.data or "", language=supported_language(str(get_locale()))
        )
        db.session.commit()
        flash(
            _(
                "Wenn zu dieser Adresse ein Konto besteht, haben wir einen Link zum Zurücksetzen "
                "des Passworts geschickt. Er gilt zwei Stunden."
            )
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response:
    return _set_password_page(RESET, token)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Response:
    return _set_password_page(INVITATION, token)


def _set_password_page(kind: LinkKind, token: str) -> Response:
    """The page behind a reset or invitation link: a new password, then logged in."""
    try:
        user = user_for_link(db.session, kind, token)
    except DomainError as error:
        expired = isinstance(error, LinkExpired)
        page = render_template(
            "accounts/link_problem.html", invitation=kind is INVITATION, expired=expired
        )
        return private(current_app.make_response((page, 410 if expired else 404)))
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            set_password_from_link(db.session, kind, token, form.password.data or "")
        except DomainError as error:
            db.session.rollback()
            _attach(form, error)
        else:
            end_sessions(db.session, user)
            flash(_("Ihr Passwort ist gesetzt. Willkommen!"))
            return private(after_password(db.session, user, None))
    page = render_template(
        "accounts/set_password.html", form=form, invitation=kind is INVITATION, user=user
    )
    return private(current_app.make_response(page))


def _attach(form: SetPasswordForm, error: DomainError) -> None:
    """A refusal goes next to its field (the new password, unless the service says)."""
    field = getattr(form, error.field or "", None) or form.password
    field.errors = [*field.errors, error.message]
