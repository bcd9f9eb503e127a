"""The organisers' view of the outbox: what is waiting, what failed and why."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from roadshow.extensions import db
from roadshow.mail.models import OutboxMessage, OutboxStatus
from roadshow.mail.services import retry_failed
from roadshow.mail.transport import eml_folder

bp = Blueprint("mail", __name__, url_prefix="/organiser/mail")


@bp.before_request
@login_required
def organisers_only() -> None:
    if not current_user.is_organiser:
        abort(403)


@bp.get("/")
def outbox() -> str:
    counts = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    failed = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.FAILED)
        .order_by(OutboxMessage.updated_at.desc(), OutboxMessage.id.desc())
        .limit(100)
    ).all()
    recent = db.session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(50)
    ).all()
    folder = None if current_app.config.get("MAIL_SERVER") else eml_folder(current_app)
    return render_template(
        "mail/outbox.html",
        counts=[(state, counts.get(state, 0)) for state in OutboxStatus],
        failed=failed,
        recent=recent,
        eml_folder=folder,
        form=FlaskForm(),
    )


@bp.post("/retry")
def retry() -> Response:
    form = FlaskForm()
    if form.validate_on_submit():
        count = retry_failed(db.session)
        db.session.commit()
        flash(
            ngettext(
                "%(num)d Nachricht wird erneut zugestellt.",
                "%(num)d Nachrichten werden erneut zugestellt.",
                count,
            )
        )
    return redirect(url_for("mail.outbox"))
