"""The retention period: ``flask privacy purge`` erases what is older, and nothing else.

Registrations are made through the form while their events lie ahead; then time passes
(their dates are moved back, as a year going by would), and the nightly purge runs: first
as a dry run, then for real, then again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from roadshow import create_app
from roadshow.calendar.models import Subscriber, SubscriberStatus
from roadshow.calendar.services import cancel_subscription
from roadshow.config import ConfigurationError
from roadshow.events.models import Event
from roadshow.mail.delivery import deliver_all_due
from roadshow.mail.models import OutboxMessage
from roadshow.registrations.models import Attendee, Registration
from tests.fixtures_feeds import confirm, subscribe
from tests.fixtures_privacy import (
    COMPANY,
    EMAIL,
    register_henrike,
    statistics,
    traces_in_database,
    traces_in_folder,
)
from tests.fixtures_settings import configure


def _ended_days_ago(db, event: Event, days: int) -> None:
    """Time passes: the event took place and ended ``days`` ago."""
    length = event.ends_at - event.starts_at
    event.ends_at = datetime.now(UTC) - timedelta(days=days)
    event.starts_at = event.ends_at - length
    db.session.commit()


def _counts(output: str) -> dict[str, int]:
    pairs = (line.split(": ") for line in output.splitlines() if ": " in line)
    return {kind: int(count) for kind, count in pairs if count.isdigit()}


def _snapshot(db) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for model in (Registration, Attendee, Subscriber, OutboxMessage):
        rows += [tuple(r) for r in db.session.execute(sa.select(model.__table__)).all()]
    return rows


@pytest.fixture
def a_year_later(app, db, client, submit_form, make_event, register_company):
    """Henrike's event ended 400 days ago, another 30 days ago, a third lies ahead; one
    subscription was cancelled, one never confirmed in time, one is active."""
    old, recent, ahead = make_event(), make_event(), make_event()
    register_henrike(submit_form, old)
    register_company(recent, "Grete Obermaier")
    register_company(ahead, "Jonas Vogel")
    for address in ("ende@example.org", "nie@example.org", "aktiv@example.org"):
        subscribe(submit_form, email=address, towns=["Weilheim"])
    confirm(client, submit_form, email="ende@example.org")
    confirm(client, submit_form, email="aktiv@example.org")
    by_email = {s.email: s for s in db.session.scalars(sa.select(Subscriber))}
    cancel_subscription(db.session, by_email["ende@example.org"])
    by_email["nie@example.org"].confirm_expires_at = datetime.now(UTC) - timedelta(hours=1)
    db.session.commit()
    deliver_all_due(db.session)  # no SMTP server: the mail is in .eml files
    _ended_days_ago(db, old, 400)
    _ended_days_ago(db, recent, 30)
    return old, recent, ahead


def test_dry_run_then_run_then_nothing_left_to_do(app, db, runner, a_year_later):
    old, recent, ahead = a_year_later
    figures = statistics()
    before = _snapshot(db)
    files = sorted(p.name for p in (Path(app.instance_path) / "mail").glob("*.eml"))

    dry = runner.invoke(args=["privacy", "purge", "--dry-run"])

    assert dry.exit_code == 0, dry.output
    assert "dry run, nothing changed" in dry.output
    expected = {
        "registrations": 1,
        "attendees": 2,
        "subscribers": 2,
        # Her confirmation and two invitations; the confirmation link and the feed address
        # to the cancelled subscriber, the confirmation link to the unconfirmed one.
        "messages": 3 + 3,
        "audit_entries": 0,
        "accounts": 0,
    }
    assert {k: v for k, v in _counts(dry.output).items() if k in expected} == expected
    db.session.expire_all()
    assert _snapshot(db) == before
    assert sorted(p.name for p in (Path(app.instance_path) / "mail").glob("*.eml")) == files

    run = runner.invoke(args=["privacy", "purge"])

    assert run.exit_code == 0, run.output
    assert {k: v for k, v in _counts(run.output).items() if k in expected} == expected
    assert _counts(run.output)["mail_files"] == 3 + 3
    assert traces_in_database(app) == []
    assert traces_in_folder(Path(app.instance_path)) == []
    assert statistics() == figures
    db.session.expire_all()
    kept = {
        r.event_id: r.anonymised_at is not None for r in db.session.scalars(sa.select(Registration))
    }
    assert kept == {old.id: True, recent.id: False, ahead.id: False}
    statuses = {
        s.email.endswith(".invalid"): s.status for s in db.session.scalars(sa.select(Subscriber))
    }
    assert statuses[False] is SubscriberStatus.ACTIVE  # the active one stays as it was
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(Registration.company_name == COMPANY))
        == 0
    )

    again = runner.invoke(args=["privacy", "purge"])

    assert again.exit_code == 0, again.output
    assert set(_counts(again.output).values()) == {0}


def test_the_retention_period_is_a_setting_the_privacy_page_states(
    app, db, client, runner, a_year_later
):
    assert "365 Tage nach dem Ende der Veranstaltung" in client.get("/privacy").text
    configure(app, RETENTION_DAYS=14)
    assert "14 Tage nach dem Ende der Veranstaltung" in client.get("/privacy").text
    assert "14 days after the end of the event" in client.get("/privacy?lang=en").text

    result = runner.invoke(args=["privacy", "purge"])

    assert "retention 14 days" in result.output
    assert _counts(result.output)["registrations"] == 2  # the one 30 days ago too
    assert EMAIL not in result.output


def test_a_retention_period_that_is_no_number_of_days_is_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="ROADSHOW_RETENTION_DAYS"):
        create_app({"ENV": "testing", "RETENTION_DAYS": "ein Jahr"}, str(tmp_path))
    with pytest.raises(ConfigurationError, match="ROADSHOW_RETENTION_DAYS"):
        create_app({"ENV": "testing", "RETENTION_DAYS": 0}, str(tmp_path))
