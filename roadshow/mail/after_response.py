"""Delivery right after a response, for a single-process setup without a worker (``make run``).

A request that queued mail gets a callback that runs when the WSGI server has sent the
response and closed it: the request's transaction and its database session are gone by
then, so what is delivered is exactly what was committed, and a rolled-back change sends
nothing. The callback opens a fresh app context and claims rows like any worker, so it
never sends a row that a worker running beside it has taken.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, g, has_app_context

from roadshow.extensions import db
from roadshow.mail.delivery import deliver_all_due
from roadshow.mail.models import OutboxMessage
from roadshow.settings import settings


def _note_new_row(_mapper: Any, _connection: Any, _row: OutboxMessage) -> None:
    if has_app_context():
        g.roadshow_outbox_written = True


def init_app(app: Flask) -> None:
    if not sa.event.contains(OutboxMessage, "after_insert", _note_new_row):
        sa.event.listen(OutboxMessage, "after_insert", _note_new_row)

    @app.after_request
    def deliver_after_response(response: Response) -> Response:
        if g.pop("roadshow_outbox_written", False) and settings().mail.deliver_after_request:
            response.call_on_close(lambda: deliver_now(app))
        return response


def deliver_now(app: Flask) -> None:
    """Deliver what is due, in an app context of its own; errors are logged, not raised."""
    with app.app_context():
        try:
            deliver_all_due(db.session)
        except Exception:
            app.logger.exception("delivering mail after a response failed; a worker will retry")
        finally:
            db.session.remove()
