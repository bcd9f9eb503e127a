"""Webinar reports imported for an event: matching, minutes, the same file twice, CLI and API."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from roadshow.accounts.models import AuditLog, Role
from roadshow.api import attendance_reports
from roadshow.attendance.imports import assign_unmatched, import_report
from roadshow.attendance.models import AttendanceImport, CheckIn, CheckInMethod
from roadshow.attendance.parsing import ReportError
from roadshow.events.models import EventKind
from roadshow.extensions import db
from tests.fixtures_attendance import own_report, real_report
from tests.fixtures_backoffice_registrations import bearer

PLAIN = own_report("plain.csv")  # Ada Huber 45 (email), "Meier, Max" 30 (no email), a stranger 12


@pytest.fixture
def webinar(make_event, register_company):
    event = make_event(kind=EventKind.WEBINAR, min_attended_minutes=40)
    register_company(event, "Ada Huber", "Max Meier")
    register_company(event, "Zoe Berg")
    return event


def by_name(event):
    from roadshow.registrations.models import Attendee

    rows = db.session.execute(
        select(Attendee.name, CheckIn.minutes_attended, CheckIn.attended)
        .join(CheckIn, CheckIn.attendee_id == Attendee.id)
        .where(CheckIn.event_id == event.id)
    ).all()
    return {name: (minutes, attended) for name, minutes, attended in rows}


def test_matching_by_email_then_name_and_the_event_threshold(db, webinar):
    result = import_report(db.session, webinar, PLAIN, "plain.csv")
    db.session.commit()
    assert (result.matched, result.attended, result.format) == (2, 1, "plain_csv")
    assert result.unmatched == [
        {"name": "Unbekannt Gast", "email": "gast@anders.example", "minutes": 12}
    ]
    assert by_name(webinar) == {"Ada Huber": (45, True), "Max Meier": (30, False)}
    row = db.session.scalars(select(CheckIn)).first()
    assert row.method is CheckInMethod.WEBINAR_IMPORT and row.import_id == result.import_.id
    assert db.session.scalar(
        select(func.count())
        .select_from(AuditLog)
        .where(AuditLog.action == "attendance.report_imported")
    )


def test_threshold_per_import(db, webinar):
    result = import_report(db.session, webinar, PLAIN, "plain.csv", min_minutes=20)
    assert result.attended == 2
    assert result.import_.min_minutes == 20


def test_the_same_file_twice_changes_nothing(db, webinar):
    import_report(db.session, webinar, PLAIN, "plain.csv")
    db.session.commit()
    again = import_report(db.session, webinar, PLAIN, "other-name.csv", min_minutes=1)
    db.session.commit()
    assert again.already_imported and again.matched == 2
    assert db.session.scalar(select(func.count()).select_from(AttendanceImport)) == 1
    assert by_name(webinar)["Max Meier"] == (30, False)


def test_a_malformed_file_writes_nothing(db, webinar):
    with pytest.raises(ReportError, match="Zeile 3"):
        import_report(db.session, webinar, own_report("malformed.csv"), "bad.csv")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0
    assert db.session.scalar(select(func.count()).select_from(AttendanceImport)) == 0


def test_two_reports_of_one_webinar_keep_the_larger_minutes(db, webinar):
    import_report(db.session, webinar, PLAIN, "a.csv")
    second = b"Email,Name,Minutes\nada.huber@firma.example,Ada Huber,20\n,Max Meier,50\n"
    import_report(db.session, webinar, second, "b.csv")
    db.session.commit()
    assert by_name(webinar) == {"Ada Huber": (45, True), "Max Meier": (50, True)}
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 2


def test_a_real_zoom_report_matches_by_email_case_insensitively(db, make_event, register_company):
    event = make_event(kind=EventKind.WEBINAR, min_attended_minutes=60)
    outcome = register_company(event, "Hannah Wolf")
    attendee = outcome.registration.attendees[0]
    attendee.email = "Hannah@Example.de"
    attendee.email_normalized = "hannah@example.de"
    db.session.commit()
    data = real_report("zoom_meeting_participants_2021_guest_excerpt.csv")
    result = import_report(db.session, event, data, "zoom.csv")
    assert result.matched == 1 and len(result.unmatched) == 19
    assert by_name(event)["Hannah Wolf"][1] is True


def test_assigning_an_unmatched_row_by_hand(db, webinar):
    result = import_report(db.session, webinar, PLAIN, "plain.csv")
    db.session.commit()
    from roadshow.registrations.models import Attendee

    zoe = db.session.scalar(select(Attendee).where(Attendee.name == "Zoe Berg"))
    assign_unmatched(db.session, result.import_, 0, zoe)
    db.session.commit()
    assert result.import_.unmatched == []
    assert by_name(webinar)["Zoe Berg"] == (12, False)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "attendance.row_assigned"))
    assert entry is not None and entry.event_id == webinar.id


def test_the_command_prints_what_it_matched(db, runner, webinar, tmp_path):
    path = tmp_path / "report.csv"
    path.write_bytes(PLAIN)
    result = runner.invoke(args=["attendance", "import", str(webinar.id), str(path)])
    assert result.exit_code == 0, result.output
    assert "Format: plain_csv" in result.output
    assert "Zugeordnet: 2" in result.output and "Teilgenommen: 1" in result.output
    assert "Unbekannt Gast\tgast@anders.example\t12 min" in result.output
    again = runner.invoke(
        args=["attendance", "import", str(webinar.id), str(path), "--min-minutes", "5"]
    )
    assert "schon importiert" in again.output

    bad = tmp_path / "bad.csv"
    bad.write_bytes(own_report("malformed.csv"))
    failed = runner.invoke(args=["attendance", "import", str(webinar.id), str(bad)])
    assert failed.exit_code != 0 and "Zeile 3" in failed.output
    unknown = runner.invoke(args=["attendance", "import", "999999", str(path)])
    assert unknown.exit_code != 0 and "999999" in unknown.output


def test_the_api_imports_a_multipart_file(
    db, client, webinar, api_token, make_partner, monkeypatch
):
    _user, token = api_token()
    url = f"/api/v1/events/{webinar.id}/attendance-reports"

    def post(data, **form):
        return client.post(
            url,
            data={"file": (io.BytesIO(data), "report.csv"), **form},
            headers=bearer(token),
            content_type="multipart/form-data",
        )

    first = post(PLAIN, min_minutes="25")
    assert first.status_code == 201, first.get_json()
    assert first.get_json() == {
        "format": "plain_csv",
        "matched": 2,
        "attended": 2,
        "unmatched": [{"name": "Unbekannt Gast", "email": "gast@anders.example", "minutes": 12}],
        "already_imported": False,
    }
    second = post(PLAIN)
    assert second.status_code == 200 and second.get_json()["already_imported"] is True

    bad = post(own_report("malformed.csv"))
    assert bad.status_code == 400 and bad.get_json()["message"].startswith("Zeile 3")
    assert post(PLAIN + b"\n", min_minutes="viele").status_code == 400
    monkeypatch.setattr(attendance_reports, "MAX_REPORT_BYTES", 1000)
    huge = post(b"x" * 5000)
    assert huge.status_code == 413 and "5 MB" in huge.get_json()["message"]
    monkeypatch.undo()
    assert client.post(url, headers=bearer(token)).status_code == 400
    _p, partner_token = api_token(role=Role.PARTNER, partner_id=make_partner().id)
    assert client.post(url, headers=bearer(partner_token)).status_code == 403
    assert client.post(url).status_code == 401
    missing = client.post(
        "/api/v1/events/999999/attendance-reports",
        data={"file": (io.BytesIO(PLAIN), "r.csv")},
        headers=bearer(token),
    )
    assert missing.status_code == 404
    assert (
        "/events/{event_id}/attendance-reports"
        in client.get("/api/v1/openapi.json").get_json()["paths"]
    )


def test_the_upload_page_imports_shows_and_assigns_by_hand(
    db, client, submit_form, make_user, webinar, count_queries
):
    from roadshow.registrations.models import Attendee
    from tests.fixtures_pages import log_in

    log_in(submit_form, make_user())
    url = f"/organiser/events/{webinar.id}/attendance-reports"
    edit = client.get(f"/organiser/events/{webinar.id}/edit").get_data(as_text=True)
    assert f'href="{url}"' in edit and "Teilnahmeberichte importieren" in edit
    bad = submit_form(
        url,
        {"file": (io.BytesIO(own_report("malformed.csv")), "bad.csv"), "min_minutes": "7"},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "Zeile 3" in text and 'value="7"' in text
    assert db.session.scalar(select(func.count()).select_from(AttendanceImport)) == 0

    done = submit_form(
        url,
        {"file": (io.BytesIO(PLAIN), "plain<b>.csv")},
        content_type="multipart/form-data",
    )
    assert done.status_code == 200
    text = done.get_data(as_text=True)
    assert "zugeordnet: 2" in text and "teilgenommen: 1" in text
    assert "plain&lt;b&gt;.csv" in text and "Unbekannt Gast" in text
    with count_queries() as queries:
        assert client.get(url).status_code == 200
    assert len(queries) < 20

    imp = db.session.scalar(select(AttendanceImport))
    zoe = db.session.scalar(select(Attendee).where(Attendee.name == "Zoe Berg"))
    assigned = submit_form(
        url,
        {"attendee_id": str(zoe.id)},
        action=f"/organiser/events/{webinar.id}/attendance-reports/{imp.id}/rows/0",
    )
    assert assigned.status_code == 302
    db.session.expire_all()
    assert by_name(webinar)["Zoe Berg"] == (12, False)
    assert "Unbekannt Gast" not in client.get(url).get_data(as_text=True)
