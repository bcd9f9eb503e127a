from __future__ import annotations

from itertools import groupby

from flask import Blueprint, render_template
from sqlalchemy import select

from roadshow.events.models import Event, EventStatus
from roadshow.events.services import upcoming_events
from roadshow.extensions import db

bp = Blueprint("events", __name__)


@bp.get("/")
def index() -> str:
    events = upcoming_events(db.session)
    months = [
        (month, list(items))
        for month, items in groupby(events, key=lambda e: e.local_starts_at.strftime("%Y-%m"))
    ]
    return render_template("events/index.html", months=months, count=len(events))


@bp.get("/events/<slug>")
def detail(slug: str) -> str:
    event = db.first_or_404(
        select(Event).where(Event.slug == slug, Event.status != EventStatus.DRAFT)
    )
    return render_template("events/detail.html", event=event)
