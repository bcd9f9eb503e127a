"""What the events domain tells the domains above it (blinker signals, as Indico does).

``events`` never calls into registrations or calendars. When an event is published,
changed or cancelled, its service sends one of these signals after making the change and
before returning, so every receiver writes into the same transaction (its outbox rows are
committed, or rolled back, together with the change). Receivers subscribe at start-up in
their domain's ``init_app`` and are called as ``receiver(event, session=..., ...)``; each
returns how many messages it queued.

================  ==========================================  ==============================
signal            keyword arguments                           receivers
================  ==========================================  ==============================
event_published   ``session``                                 calendar: subscriber notices
event_changed     ``session``, ``changes`` (``EventChange``)  registrations: updated
                                                              invitations; calendar: notices
event_cancelled   ``session``                                 registrations: cancellations;
                                                              calendar: notices
================  ==========================================  ==============================
"""

from __future__ import annotations

from typing import Any

from blinker import Namespace, Signal

from roadshow.events.models import Event

_signals = Namespace()

event_published = _signals.signal("event-published")
event_changed = _signals.signal("event-changed")
event_cancelled = _signals.signal("event-cancelled")


def announce(signal: Signal, event: Event, **kwargs: Any) -> int:
    """Send ``signal`` about ``event``; how many messages its receivers queued."""
    return sum(int(queued or 0) for _receiver, queued in signal.send(event, **kwargs))
