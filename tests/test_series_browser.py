"""An organiser plans the Thursday webinars in a real Chromium: preview, then save."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from roadshow.accounts.models import Role
from roadshow.events.models import Event
from roadshow.extensions import db
from tests.fixtures_pages import PASSWORD
from tests.fixtures_series import SUMMER_BREAK, expected_thursdays


@pytest.mark.browser
def test_an_organiser_previews_and_saves_a_series_in_a_browser(live_server, page, make_user, shots):
    organiser = make_user(role=Role.ORGANISER)
    page.goto(f"{live_server}/organiser/series/new")
    page.get_by_label("E-Mail").fill(organiser.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Einloggen").click()
    shots(page, "new-series")

    page.get_by_label("Titel", exact=True).fill("Digitale Mittagspause")
    page.get_by_label("Erster Termin").fill("2027-05-06")
    page.get_by_label("Beginn (Ortszeit)").fill("12:00")
    page.get_by_label("Wöchentlich am").select_option("TH")
    page.get_by_label("bis einschließlich").fill("2027-12-16")
    page.get_by_label("Feiertage auslassen").select_option(label="Bayern (DE-BY)")
    page.get_by_label("Weitere Tage auslassen").fill(
        "\n".join(d.strftime("%d.%m.%Y") for d in SUMMER_BREAK)
    )
    shots(page, "filled-in")
    page.get_by_role("button", name="Vorschau").click()

    page.wait_for_selector(".series-dates")
    assert page.locator(".series-date").count() == len(expected_thursdays())
    excluded = page.inner_text(".series-excluded")
    assert "Christi Himmelfahrt" in excluded and "Fronleichnam" in excluded
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0
    shots(page, "preview")

    page.get_by_role("button", name="Reihe anlegen").click()
    page.wait_for_selector(".flash")
    shots(page, "saved")
    assert page.inner_text(".flash") == f"Die Reihe hat {len(expected_thursdays())} Termine."
    assert page.locator(".series-events tbody tr").count() == len(expected_thursdays())
    assert db.session.scalar(select(func.count()).select_from(Event)) == len(expected_thursdays())
