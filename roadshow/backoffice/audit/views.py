"""The audit log: what organisers did, per event and per person."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import render_template, request, url_for

from roadshow.accounts.models import AuditLog, User
from roadshow.backoffice.audit.entries import (
    action_choices,
    action_label,
    audit_page,
    entries_query,
)
from roadshow.backoffice.blueprint import bp
from roadshow.events.models import Event
from roadshow.extensions import db


def _page_number() -> int:
    return request.args.get("page", 1, type=int) or 1


def _page_url(endpoint: str, **args: Any) -> Callable[[int], str]:
    """``page_url(n)``: the address of page n of this list, its filter kept."""

    def page_url(page: int) -> str:
        return url_for(endpoint, page=page, **args)

    return page_url


@bp.get("/audit/")
def audit() -> str:
    """Everything, latest first, optionally one kind of action (``?action=event.changed``)."""
    action = (request.args.get("action") or "").strip()
    query = entries_query()
    if action:
        query = query.where(AuditLog.action == action)
    return render_template(
        "backoffice/audit/list.html",
        result=audit_page(db.session, query, _page_number()),
        actions=action_choices(action),
        action=action,
        action_name=action_label(action) if action else None,
        page_url=_page_url("backoffice.audit", **({"action": action} if action else {})),
    )


@bp.get("/events/<int:event_id>/history")
def event_audit(event_id: int) -> str:
    """Everything filed under one event: the event itself and its registrations."""
    event = db.get_or_404(Event, event_id)
    query = entries_query().where(AuditLog.event_id == event.id)
    return render_template(
        "backoffice/audit/event.html",
        event=event,
        result=audit_page(db.session, query, _page_number()),
        page_url=_page_url("backoffice.event_audit", event_id=event.id),
    )


@bp.get("/users/<int:user_id>/history")
def user_audit(user_id: int) -> str:
    """Everything one person did."""
    user = db.get_or_404(User, user_id)
    query = entries_query().where(AuditLog.actor_id == user.id)
    return render_template(
        "backoffice/audit/user.html",
        person=user,
        result=audit_page(db.session, query, _page_number()),
        page_url=_page_url("backoffice.user_audit", user_id=user.id),
    )
