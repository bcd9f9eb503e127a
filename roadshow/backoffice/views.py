"""The organisers' start page (the dashboard) and the outbox."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import ngettext
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response

from roadshow.backoffice.blueprint import bp
from roadshow.extensions import db
from roadshow.mail.models import OutboxMessage, OutboxStatus
from roadshow.mail.services import outbox_counts, retry_failed
from roadshow.mail.transport import eml_folder
from roadshow.settings import settings


@bp.get("/")
def dashboard() -> str:
    return render_template("backoffice/layout.html")


# --- the outbox --------------------------------------------------------------------------


@bp.get("/mail/")
def outbox() -> str:
    failed = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.FAILED)
        .order_by(OutboxMessage.updated_at.desc(), OutboxMessage.id.desc())
        .limit(100)
    ).all()
    recent = db.session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(50)
    ).all()
    folder = None if settings().mail.uses_smtp else eml_folder(current_app)
    return render_template(
        "backoffice/outbox.html",
        counts=list(outbox_counts(db.session).items()),
        failed=failed,
        recent=recent,
        eml_folder=folder,
        form=FlaskForm(),
    )


@bp.post("/mail/retry")
def retry_failed_mail() -> Response:
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
    return redirect(url_for("backoffice.outbox"))
