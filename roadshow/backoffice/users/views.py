"""Admins' pages for accounts: who has one, inviting, role and partner, (de)activating.

Organisers see the rest of the back office, not these pages (403). Every action goes
through ``accounts.services``, which records it in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from roadshow.accounts.models import User
from roadshow.accounts.passwords import has_password
from roadshow.accounts.services import (
    UserChange,
    deactivate_user,
    invite_user,
    reactivate_user,
    resend_invitation,
    update_user,
)
from roadshow.backoffice.blueprint import admins_only, bp
from roadshow.backoffice.users.forms import (
    ROLE_LABELS,
    ResendInvitationForm,
    UserInviteForm,
    UserRoleForm,
)
from roadshow.errors import DomainError
from roadshow.extensions import db
from roadshow.partners.models import Partner


def _partners() -> list[Partner]:
    return list(db.session.scalars(select(Partner).order_by(func.lower(Partner.name), Partner.id)))


@bp.get("/users")
@admins_only
def users() -> str:
    """Every account with its role, partner, state, second factor and last login."""
    rows = db.session.scalars(
        select(User)
        .options(joinedload(User.partner))
        .order_by(User.active.desc(), func.lower(User.name), User.id)
    ).all()
    return render_template(
        "backoffice/users/list.html", rows=rows, role_labels=ROLE_LABELS, has_password=has_password
    )


@bp.route("/users/invite", methods=["GET", "POST"])
@admins_only
def user_invite() -> str | Response:
    partners = _partners()
    form = UserInviteForm()
    form.offer(partners)
    if form.validate_on_submit():
        try:
            invite_user(
                db.session,
                email=form.email.data or "",
                name=form.name.data or "",
                role=form.chosen_role(),
                partner=form.chosen_partner(partners),
                language=form.language.data or "",
                actor=current_user,
            )
        except DomainError as error:
            db.session.rollback()
            _attach(form, error)
        else:
            db.session.commit()
            flash(_("Einladung an %(email)s ist unterwegs.", email=form.email.data))
            return redirect(url_for("backoffice.users"))
    return render_template("backoffice/users/invite.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admins_only
def user_edit(user_id: int) -> str | Response:
    """Change role and partner; the buttons below post to the actions."""
    user = db.get_or_404(User, user_id)
    partners = _partners()
    form = _role_form(user, partners)
    if form.validate_on_submit():
        change = UserChange(role=form.chosen_role(), partner=form.chosen_partner(partners))
        try:
            changes = update_user(db.session, user, change, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            _attach(form, error)
        else:
            db.session.commit()
            flash(_("Gespeichert.") if changes else _("Nichts geändert."))
            return redirect(url_for("backoffice.user_edit", user_id=user.id))
    return _edit_page(user, form)


@bp.post("/users/<int:user_id>/deactivate")
@admins_only
def user_deactivate(user_id: int) -> str | Response | tuple[str, int]:
    user = db.get_or_404(User, user_id)
    return _act(
        user,
        lambda: deactivate_user(db.session, user, actor=current_user),
        _("Das Konto ist deaktiviert; seine Sitzungen und API-Schlüssel gelten nicht mehr."),
    )


@bp.post("/users/<int:user_id>/reactivate")
@admins_only
def user_reactivate(user_id: int) -> str | Response | tuple[str, int]:
    user = db.get_or_404(User, user_id)
    return _act(
        user,
        lambda: reactivate_user(db.session, user, actor=current_user),
        _("Das Konto ist wieder aktiv."),
    )


@bp.post("/users/<int:user_id>/invitation")
@admins_only
def user_resend_invitation(user_id: int) -> str | Response | tuple[str, int]:
    user = db.get_or_404(User, user_id)
    form = ResendInvitationForm()
    return _act(
        user,
        lambda: resend_invitation(
            db.session, user, language=form.language.data or "", actor=current_user
        ),
        _("Eine neue Einladung an %(email)s ist unterwegs.", email=user.email),
        form=form,
    )


def _role_form(user: User, partners: list[Partner]) -> UserRoleForm:
    """The role form, showing what was posted, else what the user has now."""
    form = UserRoleForm(data={"role": user.role.value, "partner": str(user.partner_id or "")})
    form.offer(partners)
    return form


def _act(
    user: User, action: Callable[[], object], done: str, form: FlaskForm | None = None
) -> str | Response | tuple[str, int]:
    """One of the buttons: run ``action``, commit, back to the page. A refusal is shown
    beside the buttons and nothing is kept."""
    if not (form or FlaskForm()).validate_on_submit():
        return redirect(url_for("backoffice.user_edit", user_id=user.id))
    try:
        action()
    except DomainError as error:
        db.session.rollback()
        return _edit_page(user, _role_form(user, _partners()), status_error=error.message), 422
    db.session.commit()
    flash(done)
    if user.id == current_user.id and not user.active:
        logout_user()  # an admin who deactivated their own account
        return redirect(url_for("accounts.login"))
    return redirect(url_for("backoffice.user_edit", user_id=user.id))


def _edit_page(user: User, form: UserRoleForm, status_error: str | None = None) -> str:
    return render_template(
        "backoffice/users/edit.html",
        user=user,
        form=form,
        action_form=FlaskForm(),
        resend_form=ResendInvitationForm(formdata=None),
        has_password=has_password(user),
        status_error=status_error,
        role_labels=ROLE_LABELS,
    )


def _attach(form: UserRoleForm, error: DomainError) -> None:
    """A refusal goes next to its field (the role, unless the service names another)."""
    field = getattr(form, error.field or "", None) or form.role
    field.errors = [*field.errors, error.message]
