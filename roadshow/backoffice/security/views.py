"""Security settings for admins (organisers get 403)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from roadshow.accounts import twofactor
from roadshow.accounts.models import Role, User
from roadshow.backoffice.blueprint import admins_only, bp
from roadshow.backoffice.security.forms import SecuritySettingsForm
from roadshow.extensions import db


@bp.route("/security", methods=["GET", "POST"])
@admins_only
def security() -> str | Response:
    required = twofactor.required_for_organisers(db.session)
    form = SecuritySettingsForm(data={"require_totp": required})
    if form.validate_on_submit():
        wanted = bool(form.require_totp.data)
        if wanted != required:
            twofactor.set_required_for_organisers(db.session, wanted, actor=current_user)
            db.session.commit()
        flash(_("Gespeichert."))
        return redirect(url_for("backoffice.security"))
    without = db.session.scalar(
        select(func.count(User.id)).where(
            User.active.is_(True),
            User.role.in_([Role.ADMIN, Role.ORGANISER]),
            User.totp_enabled_at.is_(None),
        )
    )
    return render_template("backoffice/security/index.html", form=form, without=without or 0)
