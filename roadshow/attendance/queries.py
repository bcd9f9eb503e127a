"""What other parts ask of attendance without importing it into their own rules.

Attendance ranks above registrations (it records who of the registered came), so the
registrations' services cannot import it: a page above both (the back office) takes this
query from here and hands it to them.
"""

from __future__ import annotations

from sqlalchemy import Select, select

from roadshow.attendance.models import CheckIn


def checked_in_attendee_ids(event_id: int) -> Select[int]:
    """The ids of the event's attendees who have checked in, as a query to embed
    (``Attendee.id.in_(...)``); it runs only as part of the query that uses it."""
    return select(CheckIn.attendee_id).where(CheckIn.event_id == event_id)
