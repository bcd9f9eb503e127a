"""The organisers' start page (the dashboard) and the outbox."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from roadshow.backoffice.blueprint import bp
from roadshow.database import utcnow
from roadshow.events.models import Event, EventStatus
from roadshow.extensions import db
from roadshow.mail.models import OutboxMessage, OutboxStatus
from roadshow.mail.services import outbox_counts, retry_failed
from roadshow.mail.transport import eml_folder
from roadshow.registrations.statistics import registrations_since, waiting_attendees
from roadshow.settings import settings

DASHBOARD_EVENTS = 20  # upcoming events and drafts shown; the rest are on the events page
RECENT_DAYS = 7
TOP_EVENTS = 5
STATUS_LABELS = {
    EventStatus.DRAFT: _l("Entwurf"),
    EventStatus.PUBLISHED: _l("veröffentlicht"),
    EventStatus.CANCELLED: _l("abgesagt"),
}


@bp.get("/")
def dashboard() -> str:
    """What needs an organiser's eye: the next events with their seats and waiting lists,
    recent registrations, failed mail, drafts. A fixed number of queries."""
    now = utcnow()
    not_ended = Event.ends_at >= now
    upcoming = db.session.scalars(
        select(Event)
        .where(not_ended)
        .options(joinedload(Event.venue))
        .order_by(Event.starts_at, Event.id)
        .limit(DASHBOARD_EVENTS)
    ).all()
    upcoming_total = db.session.scalar(select(func.count(Event.id)).where(not_ended)) or 0
    is_draft = Event.status == EventStatus.DRAFT
    drafts = db.session.scalars(
        select(Event)
        .where(is_draft, not_ended)
        .order_by(Event.starts_at, Event.id)
        .limit(DASHBOARD_EVENTS)
    ).all()
    drafts_total = db.session.scalar(select(func.count(Event.id)).where(is_draft, not_ended)) or 0
    return render_template(
        "backoffice/dashboard.html",
        upcoming=upcoming,
        upcoming_total=upcoming_total,
        waiting=waiting_attendees(db.session, [event.id for event in upcoming]),
        recent=registrations_since(db.session, now - timedelta(days=RECENT_DAYS), top=TOP_EVENTS),
        recent_days=RECENT_DAYS,
        failed_mail=outbox_counts(db.session)[OutboxStatus.FAILED],
        drafts=drafts,
        drafts_total=drafts_total,
        status_labels=STATUS_LABELS,
    )


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
