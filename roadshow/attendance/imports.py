"""Webinar reports imported: people matched to attendees, minutes written as check-ins."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from roadshow.accounts.models import User
from roadshow.accounts.services import record
from roadshow.attendance.models import AttendanceImport, CheckIn, CheckInMethod
from roadshow.attendance.parsing import Person, ReportError, name_key, parse_report
from roadshow.database import DBSession
from roadshow.events.models import Event
from roadshow.registrations.models import (
    Attendee,
    AttendeeStatus,
    Registration,
    RegistrationStatus,
)

__all__ = ["ImportResult", "ReportError", "assign_unmatched", "import_report"]


@dataclass
class ImportResult:
    matched: int
    attended: int
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    already_imported: bool = False
    format: str = ""
    import_: AttendanceImport | None = None


def _attendees(session: DBSession, event: Event) -> list[Attendee]:
    return list(
        session.scalars(
            sa.select(Attendee)
            .join(Registration, Registration.id == Attendee.registration_id)
            .where(
                Attendee.event_id == event.id,
                Attendee.status == AttendeeStatus.ACTIVE,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
            .order_by(Attendee.id)
        )
    )


def _write_check_in(
    session: DBSession,
    event: Event,
    attendee: Attendee,
    minutes: int,
    threshold: int,
    import_: AttendanceImport,
    by: User | None,
) -> CheckIn:
    """One check-in per attendee: a second report keeps the larger minutes."""
    existing = session.scalar(sa.select(CheckIn).where(CheckIn.attendee_id == attendee.id))
    if existing is None:
        check_in = CheckIn(
            event_id=event.id,
            attendee_id=attendee.id,
            method=CheckInMethod.WEBINAR_IMPORT,
            checked_in_by_id=by.id if by else None,
            minutes_attended=minutes,
            attended=minutes >= threshold,
            import_id=import_.id,
        )
        try:
            with session.begin_nested():
                session.add(check_in)
        except IntegrityError:  # written at the same moment by another request
            existing = session.scalar(sa.select(CheckIn).where(CheckIn.attendee_id == attendee.id))
            if existing is None:  # pragma: no cover - the constraint named another row
                raise
        else:
            return check_in
    if existing.method is not CheckInMethod.WEBINAR_IMPORT:
        # Came to the door, or checked in by code: that stands; the minutes are added.
        if (existing.minutes_attended or 0) < minutes:
            existing.minutes_attended = minutes
        return existing
    if (existing.minutes_attended or 0) < minutes:
        existing.minutes_attended = minutes
        existing.import_id = import_.id
    existing.attended = (existing.minutes_attended or 0) >= threshold
    return existing


def import_report(
    session: DBSession,
    event: Event,
    data: bytes,
    filename: str,
    *,
    min_minutes: int | None = None,
    by: User | None = None,
) -> ImportResult:
    """Import a webinar report for the event; raises ``ReportError`` before writing anything.

    The caller commits. The same file (by SHA-256) a second time changes nothing.
    """
    sha = hashlib.sha256(data).hexdigest()
    previous = session.scalar(
        sa.select(AttendanceImport).where(
            AttendanceImport.event_id == event.id, AttendanceImport.file_sha256 == sha
        )
    )
    if previous is not None:
        return ImportResult(
            matched=previous.matched,
            attended=previous.attended,
            unmatched=list(previous.unmatched),
            already_imported=True,
            format=previous.format,
            import_=previous,
        )
    report = parse_report(data)
    threshold = min_minutes if min_minutes is not None else event.attended_minutes_threshold
    attendees = _attendees(session, event)
    by_email = {a.email_normalized.casefold(): a for a in attendees}
    by_name: dict[str, Attendee] = {}
    for attendee in attendees:
        by_name.setdefault(name_key(attendee.name), attendee)
    import_ = AttendanceImport(
        event_id=event.id,
        file_sha256=sha,
        filename=filename[:255],
        format=report.format,
        min_minutes=threshold,
        imported_by_id=by.id if by else None,
        unmatched=[],
    )
    session.add(import_)
    session.flush()
    minutes_by_attendee: dict[int, tuple[Attendee, int]] = {}
    unmatched: list[dict[str, Any]] = []
    for person in report.people:
        found = _match(person, by_email, by_name)
        if found is None:
            unmatched.append(
                {"name": person.name, "email": person.email, "minutes": person.minutes}
            )
            continue
        # Two rows of one report for one attendee (e.g. a member and a guest account): the larger.
        _, known = minutes_by_attendee.get(found.id, (found, 0))
        minutes_by_attendee[found.id] = (found, max(known, person.minutes))
    attended = 0
    for attendee, minutes in minutes_by_attendee.values():
        check_in = _write_check_in(session, event, attendee, minutes, threshold, import_, by)
        attended += int(check_in.attended)
    import_.matched = len(minutes_by_attendee)
    import_.attended = attended
    import_.unmatched = unmatched
    record(
        session,
        "attendance.report_imported",
        import_,
        actor=by,
        filename=import_.filename,
        format=report.format,
        matched=import_.matched,
        attended=attended,
        unmatched=len(unmatched),
    )
    session.flush()
    return ImportResult(
        matched=import_.matched,
        attended=attended,
        unmatched=unmatched,
        format=report.format,
        import_=import_,
    )


def _match(
    person: Person, by_email: dict[str, Attendee], by_name: dict[str, Attendee]
) -> Attendee | None:
    if person.email and person.email.casefold() in by_email:
        return by_email[person.email.casefold()]
    key = name_key(person.name)
    return by_name.get(key) if key else None


def assign_unmatched(
    session: DBSession,
    import_: AttendanceImport,
    row_index: int,
    attendee: Attendee,
    by: User | None = None,
) -> CheckIn:
    """The organiser's choice: an unmatched row of the import is this attendee."""
    rows = list(import_.unmatched)
    if not 0 <= row_index < len(rows):
        raise IndexError(row_index)
    if attendee.event_id != import_.event_id:
        raise ValueError("attendee of another event")
    row = rows.pop(row_index)
    event = session.get(Event, import_.event_id)
    assert event is not None
    check_in = _write_check_in(
        session, event, attendee, int(str(row["minutes"])), import_.min_minutes, import_, by
    )
    import_.unmatched = rows
    import_.matched += 1
    import_.attended += int(check_in.attended)
    record(
        session,
        "attendance.row_assigned",
        import_,
        actor=by,
        name=row["name"],
        attendee_id=attendee.id,
        minutes=row["minutes"],
    )
    session.flush()
    return check_in
