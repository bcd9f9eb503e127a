"""The foundation: configuration, migrations, demo data, the start page, login."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from roadshow import create_app
from roadshow.accounts.models import Role, User
from roadshow.config import ConfigurationError
from roadshow.demo import ORGANISER_EMAIL, ORGANISER_PASSWORD
from roadshow.events.models import Event, EventKind, EventStatus
from roadshow.registrations.models import Attendee, Registration, RegistrationStatus
from roadshow.registrations.services import recount_seats
from tests.fixtures_pages import seed_demo_ahead


def test_production_refuses_the_builtin_secret_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("ROADSHOW_SECRET_KEY", raising=False)
    monkeypatch.setenv("ROADSHOW_ENV", "production")
    with pytest.raises(ConfigurationError, match="ROADSHOW_SECRET_KEY is not set"):
        create_app(instance_path=str(tmp_path))


def test_environment_configures_database_and_mail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ROADSHOW_ENV", "production")
    monkeypatch.setenv("ROADSHOW_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("ROADSHOW_DATABASE_URL", "postgresql://u@db.internal:5432/roadshow")
    monkeypatch.setenv("ROADSHOW_MAIL_PORT", "587")
    monkeypatch.setenv("ROADSHOW_RATELIMIT_ENABLED", "false")
    app = create_app(instance_path=str(tmp_path))
    assert (
        app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.internal:5432/roadshow"
    )
    assert app.config["MAIL_PORT"] == 587
    assert app.config["RATELIMIT_ENABLED"] is False
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_default_database_is_sqlite_in_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("ROADSHOW_DATABASE_URL", raising=False)
    monkeypatch.setenv("ROADSHOW_ENV", "development")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'roadshow.sqlite'}"


def test_migrations_and_models_agree(app, db):
    """The schema the migrations build has no difference from the models."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_migrations_run_down_and_up_again(app, db):
    from flask_migrate import downgrade, upgrade

    downgrade(revision="base")
    tables = sa.inspect(db.engine).get_table_names()
    assert "event" not in tables
    upgrade()
    assert {"event", "registration", "attendee", "outbox_message"} <= set(
        sa.inspect(db.engine).get_table_names()
    )


def test_demo_seed_is_idempotent_and_real_looking(app, db, runner):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert f"{ORGANISER_EMAIL} / {ORGANISER_PASSWORD}" in result.output
    counts_first = db.session.execute(
        select(Event.kind, sa.func.count()).group_by(Event.kind)
    ).all()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    counts_again = db.session.execute(
        select(Event.kind, sa.func.count()).group_by(Event.kind)
    ).all()
    assert dict(counts_first) == dict(counts_again)
    counts = dict(counts_again)
    assert counts[EventKind.STOP] == 5
    assert counts[EventKind.WORKSHOP] >= 3
    assert counts[EventKind.WEBINAR] >= 30  # weekly, May to December

    weilheim = db.session.scalar(select(Event).where(Event.title.contains("Weilheim")))
    local = weilheim.local_starts_at
    assert (local.month, local.day, local.hour) == (4, 6, 18)
    assert weilheim.venue.postcode == "82362"
    assert len({r.partner_id for r in weilheim.partner_roles}) == 5

    webinars = db.session.scalars(
        select(Event).where(Event.kind == EventKind.WEBINAR).order_by(Event.starts_at)
    ).all()
    assert webinars[0].local_starts_at.month == 5 and webinars[-1].local_starts_at.month == 12
    # 12:00 local on both sides of the change back to winter time (last Sunday of October)
    assert {w.local_starts_at.hour for w in webinars} == {12}
    assert len({w.uid for w in webinars}) == len(webinars)
    assert (
        db.session.scalar(select(User).where(User.email == ORGANISER_EMAIL)).role is Role.ORGANISER
    )


def test_demo_refuses_a_production_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url
):
    monkeypatch.setenv("ROADSHOW_ENV", "production")
    monkeypatch.setenv("ROADSHOW_SECRET_KEY", "y" * 40)
    monkeypatch.setenv("ROADSHOW_DATABASE_URL", database_url)
    result = create_app(instance_path=str(tmp_path)).test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code != 0
    assert "production" in result.output


GERMAN_WEEKDAYS = ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So.")
ENGLISH_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def german_day(day: date) -> str:
    return f"{GERMAN_WEEKDAYS[day.weekday()]}, {day.day}. Apr. {day.year}"


def english_day(day: date) -> str:
    return f"{ENGLISH_WEEKDAYS[day.weekday()]}, Apr {day.day}, {day.year}"


def test_start_page_lists_upcoming_events_with_date_time_town_and_kind(app, db, client):
    weilheim = seed_demo_ahead(db.session)
    page = client.get("/").get_data(as_text=True)
    assert "Digital vor Ort: Weilheim" in page
    assert german_day(weilheim) in page
    assert "18:00–21:00" in page
    assert "Tourstopp" in page and "Webinar" in page and "Workshop" in page
    assert "Weilheim</span>" in page

    english = client.get("/?lang=en").get_data(as_text=True)
    assert english_day(weilheim) in english


def test_start_page_hides_drafts_and_past_events_and_labels_cancelled(app, db, client, make_event):
    now = datetime.now(UTC)
    make_event(title="Entwurf", status=EventStatus.DRAFT)
    make_event(title="Vorbei", starts_at=now - timedelta(days=2))
    make_event(title="Abgesagter Abend", status=EventStatus.CANCELLED)
    make_event(title="Offener Abend")
    page = client.get("/").get_data(as_text=True)
    assert "Offener Abend" in page
    assert "Entwurf" not in page and "Vorbei" not in page
    assert "Abgesagter Abend" in page and "Abgesagt</strong>" in page


def test_start_page_escapes_titles(app, client, make_event):
    make_event(title="<script>alert(1)</script>")
    page = client.get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_start_page_queries_are_bounded(app, client, make_event, make_partner, count_queries):
    from roadshow.events.models import PartnerRole

    partner = make_partner()
    make_event(partners={partner: PartnerRole.HOST})
    with count_queries() as few:
        client.get("/")
    for _ in range(30):
        make_event(partners={partner: PartnerRole.HOST})
    with count_queries() as many:
        client.get("/")
    assert len(many) == len(few)


def test_one_email_holds_one_active_seat_per_event(app, db, make_event):
    event = make_event()
    now = datetime.now(UTC)

    def registration(token: str) -> Registration:
        return Registration(
            event=event,
            status=RegistrationStatus.CONFIRMED,
            token_hash=token,
            company_name="Bäckerei Huber",
            contact_name="Anna Huber",
            contact_email="anna@huber.example",
            privacy_consent_at=now,
        )

    first = registration("a" * 64)
    first.attendees.append(
        Attendee(
            event_id=event.id,
            name="Anna",
            email="anna@huber.example",
            email_normalized="anna@huber.example",
        )
    )
    db.session.add(first)
    recount_seats(db.session, event)
    db.session.commit()
    second = registration("b" * 64)
    second.attendees.append(
        Attendee(
            event_id=event.id,
            name="Anna",
            email="Anna@Huber.example",
            email_normalized="anna@huber.example",
        )
    )
    db.session.add(second)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_events_must_end_after_they_start(app, db, make_event):
    with pytest.raises(sa.exc.IntegrityError):
        make_event(
            ends_at=datetime(2020, 1, 1, tzinfo=UTC), starts_at=datetime(2020, 1, 2, tzinfo=UTC)
        )
    db.session.rollback()


def test_partner_users_belong_to_a_partner(app, db, make_user):
    with pytest.raises(sa.exc.IntegrityError):
        make_user(role=Role.PARTNER)
    db.session.rollback()


def test_organiser_logs_in_with_csrf_and_wrong_password_is_told(
    app, client, make_user, submit_form
):
    make_user(email="olga@roadshow.example", password="richtig-langes-passwort")
    response = submit_form("/login", {"email": "olga@roadshow.example", "password": "falsch"})
    assert "E-Mail-Adresse oder Passwort stimmen nicht." in response.get_data(as_text=True)
    assert 'value="olga@roadshow.example"' in response.get_data(as_text=True)
    assert (
        client.post("/login", data={"email": "olga@roadshow.example", "password": "x"}).status_code
        == 400
    )
    response = submit_form(
        "/login", {"email": "OLGA@roadshow.example", "password": "richtig-langes-passwort"}
    )
    assert response.status_code == 302


def test_pages_switch_to_english_and_back(app, client, make_event):
    make_event(title="Digital vor Ort")
    assert "Kommende Veranstaltungen" in client.get("/").get_data(as_text=True)
    response = client.get("/language/en?next=/")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Upcoming events" in page and '<html lang="en">' in page
    client.get("/language/de")
    assert "Kommende Veranstaltungen" in client.get("/").get_data(as_text=True)
    # only local targets: no open redirect
    assert client.get("/language/en?next=//evil.example/").headers["Location"] == "/"


@pytest.mark.parametrize("hops", [0, 1])
def test_rate_limits_see_the_client_behind_a_trusted_proxy(another_app, hops: int):
    """Behind one proxy (PROXY_FIX_HOPS=1) each client has its own login allowance; without
    the setting, a forged X-Forwarded-For must not buy a new allowance."""
    app = another_app(PROXY_FIX_HOPS=hops, LOGIN_RATE_LIMIT="2 per minute", WTF_CSRF_ENABLED=False)
    client = app.test_client()

    def attempt(address: str) -> int:
        return client.post(
            "/login",
            data={"email": "nobody@roadshow.example", "password": "wrong"},
            headers={"X-Forwarded-For": address},
        ).status_code

    assert [attempt("203.0.113.7") for _ in range(3)] == [200, 200, 429]
    assert attempt("198.51.100.4") == (200 if hops else 429)


def test_ids_too_large_for_the_database_are_not_found(app, client, make_user, submit_form):
    """A number past INTEGER in a URL names nothing; it must not reach the database."""
    huge = "9" * 20
    assert client.get(f"/api/v1/events/{huge}").status_code == 404
    assert client.post(f"/api/v1/events/{huge}/registrations", json={}).status_code == 404
    make_user(email="olga@roadshow.example", password="organiser-password")
    submit_form("/login", {"email": "olga@roadshow.example", "password": "organiser-password"})
    assert client.get(f"/organiser/events/{huge}/edit").status_code == 404
