"""Pages of the second factor (the code step of a login, enrolling, recovery codes) and of
one's own API tokens. They hang on the accounts blueprint."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from roadshow.accounts import twofactor
from roadshow.accounts.forms import (
    DisableTwoFactorForm,
    EnableTwoFactorForm,
    NewApiTokenForm,
    RenewRecoveryCodesForm,
    RevokeApiTokenForm,
    SecondFactorForm,
)
from roadshow.accounts.login import PENDING_KEY, complete_login
from roadshow.accounts.models import User
from roadshow.accounts.services import api_tokens_of, issue_api_token, revoke_api_token
from roadshow.accounts.views import bp
from roadshow.errors import DomainError
from roadshow.extensions import db, limiter
from roadshow.settings import settings
from roadshow.web import private

PENDING_SECONDS = 300  # the code step must follow the password within five minutes


def staff_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Logged in as an organiser or admin; partner users get 403."""

    @wraps(view)
    @login_required
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_organiser:
            abort(403)
        return view(*args, **kwargs)

    return guarded


def _code_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _pending_user() -> User | None:
    """The user whose password was right a moment ago, if that is still valid."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user_id, _dot, version = str(pending.get("user", "")).partition(".")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active or str(user.session_version) != version:
        return None
    return user


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_code_limit, methods=["POST"])
def second_factor() -> str | Response:
    user = _pending_user()
    if user is None or user.totp_enabled_at is None:
        session.pop(PENDING_KEY, None)
        flash(_("Bitte melden Sie sich erneut an."))
        return redirect(url_for("accounts.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        if twofactor.verify(db.session, user, form.code.data or ""):
            target = session[PENDING_KEY]["next"]
            complete_login(db.session, user)
            return redirect(target)
        db.session.rollback()
        form.code.errors = [_("Der Code passt nicht oder wurde schon verwendet.")]
    return private(make_response(render_template("accounts/second_factor.html", form=form)))


@bp.route("/account/two-factor", methods=["GET", "POST"], endpoint="twofactor")
@staff_only
def twofactor_page() -> str | Response:
    """Status, enrolling (QR code, then a code), new recovery codes, switching it off.

    The three forms have prefixes; the button pressed (``action``) says which was sent.
    """
    user: User = current_user._get_current_object()
    forms: dict[str, Any] = {
        "enable": EnableTwoFactorForm(prefix="enable"),
        "renew": RenewRecoveryCodesForm(prefix="renew"),
        "disable": DisableTwoFactorForm(prefix="disable"),
    }
    action = request.form.get("action", "") if request.method == "POST" else ""
    required = twofactor.required_for_organisers(db.session)
    if user.totp_enabled_at is None:
        allowed: tuple[str, ...] = ("enable",)
    else:
        allowed = ("renew",) if required else ("renew", "disable")  # required: it stays on
    recovery_codes: list[str] | None = None
    if action in allowed and forms[action].validate_on_submit():
        form = forms[action]
        try:
            if action == "enable":
                if user.totp_secret is None:
                    return redirect(url_for("accounts.twofactor"))
                recovery_codes = twofactor.enable(db.session, user, form.code.data or "")
            elif action == "renew":
                recovery_codes = twofactor.regenerate_recovery_codes(
                    db.session, user, form.code.data or ""
                )
            else:
                twofactor.disable(
                    db.session,
                    user,
                    password=form.password.data or "",
                    code=form.code.data or "",
                )
        except DomainError as error:
            db.session.rollback()
            field = getattr(form, error.field or "", None) or form.code
            field.errors = [*field.errors, error.message]
        else:
            db.session.commit()
            if action == "disable":
                flash(_("Der zweite Faktor ist abgeschaltet."))
                return redirect(url_for("accounts.twofactor"))
    enrolment = None
    if user.totp_enabled_at is None:
        secret = twofactor.start_enrolment(db.session, user)
        db.session.commit()
        uri = twofactor.provisioning_uri(secret, email=user.email, issuer=settings().organizer_name)
        enrolment = {"secret": secret, "qr": twofactor.qr_code_data_uri(uri)}
    page = render_template(
        "accounts/twofactor.html",
        user=user,
        enrolment=enrolment,
        recovery_codes=recovery_codes,
        required=required,
        forms=forms,
    )
    return private(make_response(page))


@bp.route("/account/tokens", methods=["GET", "POST"])
@staff_only
def api_tokens() -> str | Response:
    """One's own API tokens: a new one is shown once, on this answer only."""
    user: User = current_user._get_current_object()
    new_form = NewApiTokenForm(prefix="new")
    revoke_form = RevokeApiTokenForm(prefix="revoke")
    raw: str | None = None
    action = request.form.get("action", "") if request.method == "POST" else ""
    if action == "new" and new_form.validate_on_submit():
        raw = issue_api_token(db.session, user, label=new_form.label.data or "", replace=False)
        db.session.commit()
        new_form.label.data = ""
    elif action == "revoke" and revoke_form.validate_on_submit() and revoke_form.token_id.data:
        try:
            token = revoke_api_token(db.session, user, revoke_form.token_id.data)
        except DomainError:
            db.session.rollback()
            abort(404)
        db.session.commit()
        flash(_("Das Token „%(label)s“ ist widerrufen.", label=token.label or token.id))
        return redirect(url_for("accounts.api_tokens"))
    page = render_template(
        "accounts/tokens.html",
        tokens=api_tokens_of(db.session, user),
        raw=raw,
        new_form=new_form,
        revoke_form=revoke_form,
    )
    return private(make_response(page))
