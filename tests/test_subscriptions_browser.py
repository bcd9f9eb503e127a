"""The whole way of a subscriber, in a real Chromium: choose "Rosenheim + webinars",
confirm through the mail, add the feed to khal, see the right events at the right times."""

from __future__ import annotations

from pathlib import Path
from urllib.request import urlopen

import pytest

from roadshow.events.services import cancel_event
from tests.fixtures_feeds import last_mail, link_in

pytestmark = pytest.mark.browser


def fetch(url: str, path: Path) -> Path:
    with urlopen(url, timeout=30) as response:  # noqa: S310 - our own server on 127.0.0.1
        path.write_bytes(response.read())
    return path


def test_a_subscriber_gets_rosenheim_and_webinars_in_khal(
    db, live_server, page, spring_tour, khal, tmp_path, shots
):
    email = "anna.huber@baeckerei-huber.example"
    year = spring_tour.year

    page.goto(f"{live_server}/")
    shots(page, "start-page")
    page.get_by_role("link", name="Kalender abonnieren").first.click()
    shots(page, "feeds")
    page.get_by_role("link", name="Persönlichen Kalender abonnieren").click()
    page.get_by_label("E-Mail", exact=True).fill(email)
    page.get_by_label("Rosenheim").check()
    page.get_by_label("Webinare").check()
    page.get_by_label("Mich per E-Mail informieren").check()
    page.get_by_label("Ich möchte den gewählten Veranstaltungskalender abonnieren").check()
    shots(page, "subscribe-filled")
    page.get_by_role("button", name="Abonnieren").click()
    page.get_by_role("heading", name="Bitte bestätigen Sie Ihre E-Mail-Adresse").wait_for()
    shots(page, "confirmation-sent")

    mail = last_mail(email, "calendar/confirm_subscription")
    page.goto(link_in(mail.text_body, "/subscribe/confirm/"))
    shots(page, "confirm-from-mail")
    page.get_by_role("button", name="Jetzt bestätigen").click()
    page.get_by_role("heading", name="Ihr Abonnement ist bestätigt").wait_for()
    shots(page, "confirmed")
    assert "Rosenheim, Webinare" in page.content()
    feed_url = page.locator("input.feed-url").input_value()
    webcal = page.get_by_role("link", name="In Kalender-App abonnieren (webcal)")
    assert webcal.get_attribute("href") == "webcal://" + feed_url.split("://", 1)[1]

    khal.import_ics(fetch(feed_url, tmp_path / "feed.ics"))
    expected = [
        f"{year}-03-10 18:00-21:00 Digital vor Ort: Rosenheim",
        f"{year}-03-17 12:00-13:00 Digitale Mittagspause",
        f"{year}-03-24 12:00-13:00 Digitale Mittagspause",
        f"{year}-03-31 12:00-13:00 Digitale Mittagspause",
        f"{year}-04-07 12:00-13:00 Digitale Mittagspause",
        f"{year}-04-14 12:00-13:00 Digitale Mittagspause",
        f"{year}-04-20 09:00-13:00 Workshop: Online-Shop in 30 Tagen",
    ]
    assert khal.list(f"{year}-03-01", f"{year}-05-01") == expected

    # The organiser cancels a webinar: the subscriber is told by mail, and the refreshed
    # feed shows it cancelled in khal.
    webinar = spring_tour.webinars[2]
    cancel_event(db.session, webinar)
    db.session.commit()
    assert last_mail(email, "calendar/event_notice").subject == "Abgesagt: Digitale Mittagspause"
    khal.import_ics(fetch(feed_url, tmp_path / "refreshed.ics"))
    expected[3] = f"{year}-03-31 12:00-13:00 Abgesagt: Digitale Mittagspause CANCELLED"
    assert khal.list(f"{year}-03-01", f"{year}-05-01") == expected
