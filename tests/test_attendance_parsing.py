"""Webinar reports read: every real export of the tools, and the edge cases beside them."""

from __future__ import annotations

import pytest

from roadshow.attendance.parsing import ReportError, name_key, parse_report
from tests.fixtures_attendance import own_report, real_report


def minutes_of(report, name):
    return {p.name: p.minutes for p in report.people}[name]


@pytest.mark.parametrize(
    ("name", "fmt", "count"),
    [
        ("teams_2020_joined-left_ddmmyyyy_24h_utf16le.csv", "teams_joined_left", 5),
        ("teams_2021_joined-left_es-ES_utf16le.csv", "teams_joined_left", 15),
        ("teams_2022_meeting-summary_en-US_utf16le_A.csv", "teams_summary", 10),
        ("teams_2022_meeting-summary_en-US_utf16le_B.csv", "teams_summary", 22),
        ("teams_2022_sections_en-GB_utf16be-reencoded.csv", "teams_sections", 8),
        ("teams_2025_sections_pl-PL_excel-resaved_utf16le.csv", "teams_sections", 7),
        ("webex_attendee_report_2021_utf16le.csv", "webex_attendees", 4),
        ("zoom_active-hosts_export-with-meeting-data_2021.csv", "zoom_participants", 3),
        ("zoom_meeting_participants_2021_guest_excerpt.csv", "zoom_participants", 20),
        ("zoom_meeting_unique-users_total-duration_2020.csv", "zoom_unique_users", 10),
        ("zoom_participants_2025_new-export_waiting-room.csv", "zoom_participants", 18),
        ("zoom_webinar_attendee_report_2020.csv", "zoom_webinar_attendees", 478),
    ],
)
def test_every_real_export_is_recognised_from_its_content(name, fmt, count):
    report = parse_report(real_report(name))
    assert report.format == fmt
    assert len(report.people) == count
    assert all(p.minutes >= 0 and p.name for p in report.people)


def test_teams_joined_left_pairs_the_events_day_first():
    report = parse_report(real_report("teams_2020_joined-left_ddmmyyyy_24h_utf16le.csv"))
    # 12:27:24-12:45:18, 13:45:41-13:56:48, 15:42:10-15:42:48, 15:53:25-15:59:01
    assert minutes_of(report, "Mustermann Max") == 36
    assert "Müller Franz" in {p.name for p in report.people}


def test_zoom_waiting_room_time_does_not_count():
    report = parse_report(real_report("zoom_participants_2025_new-export_waiting-room.csv"))
    assert minutes_of(report, "109_Moritz_Richter") == 74  # 06:41:27-07:54:58, not from 06:41:03


def test_unique_users_keep_their_total_and_guests_without_email():
    report = parse_report(real_report("zoom_meeting_unique-users_total-duration_2020.csv"))
    people = {p.name: p for p in report.people}
    assert people["Andreas Huber"].minutes == 75
    assert people["Jonas Lehmann"].email == "" and people["Jonas Lehmann"].minutes == 70


def test_teams_durations_and_guests():
    report = parse_report(real_report("teams_2022_meeting-summary_en-US_utf16le_A.csv"))
    people = {p.name: p for p in report.people}
    assert people["Maria Marquardt Gebauer"].minutes == 115  # 8:22:11-10:16:29
    assert people["Markus Eisele (Guest)"].email == ""


def test_webex_formula_dates_and_polish_headers():
    webex = parse_report(real_report("webex_attendee_report_2021_utf16le.csv"))
    assert minutes_of(webex, "Test User 1") == 201
    polish = parse_report(real_report("teams_2025_sections_pl-PL_excel-resaved_utf16le.csv"))
    assert all(p.email == "" for p in polish.people)  # the placeholder "EMAIL" is no address


def test_zoom_webinar_sections_leave_out_who_did_not_attend():
    report = parse_report(real_report("zoom_webinar_attendee_report_2020.csv"))
    assert minutes_of(report, "hostName_1") == 548
    assert minutes_of(report, "userName_2") == 108


def test_overlapping_devices_count_once_in_any_encoding():
    for name in ("zoom_overlap_tab_utf16be.csv", "zoom_overlap_tab_nobom.csv"):
        report = parse_report(own_report(name))
        people = {p.email.casefold(): p for p in report.people}
        assert people["ada.huber@firma.example"].minutes == 60  # 9:00-9:40 and 9:30-10:00
        assert [p.minutes for p in report.people if not p.email] == [10]


def test_plain_csv_with_surname_first():
    report = parse_report(own_report("plain.csv"))
    assert report.format == "plain_csv"
    assert [(p.name, p.email, p.minutes) for p in report.people][1] == ("Meier, Max", "", 30)


def test_a_malformed_line_is_named():
    with pytest.raises(ReportError, match=r"^Zeile 3: .*zwanzig"):
        parse_report(own_report("malformed.csv"))
    with pytest.raises(ReportError, match="^Zeile 1"):
        parse_report(b"hello,world\n1,2\n")
    with pytest.raises(ReportError, match="^Zeile 1"):
        parse_report(b"")


def test_name_key():
    assert name_key("Meier, Max") == name_key("max MEIER") == name_key("Max Meier (Guest)")
    assert name_key("Jörg Müller (Gast)") == name_key("Muller Jorg")
    assert name_key("Ana Núñez (Invitado)") == name_key("ana nunez")
    assert name_key("HOFMANN JAN (EXT)") == name_key("Jan Hofmann")
