"""Where registrations, mail and calendar feeds meet, through the real parts only.

Mail goes through the outbox to a real SMTP server and is read as it arrived; pages are
followed by the links they show, as a person would; events change through the event
services an organiser's page and the CLI use.
"""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, urlsplit

import icalendar

from roadshow.events.models import EventStatus
from roadshow.events.services import change_event, publish_event
from roadshow.extensions import db
from roadshow.mail.delivery import deliver_all_due
from roadshow.registrations.models import RegistrationStatus
from roadshow.settings import settings
from tests.fixtures_feeds import EMAIL, berlin, confirm, path_of, subscribe

ICS = "text/calendar; charset=utf-8"
ADVERTS = ("Alpentel", "Digital vor Ort", "Webinar", "Workshop", "Newsletter")


class PageLinks(HTMLParser):
    """The links of a page as (href, text), and the values of its copyable feed fields."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.feed_fields: list[str] = []
        self._open: list[list[str]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "a" and "href" in values:
            self._open.append([values["href"]])
        if tag == "input" and "feed-url" in values.get("class", "").split():
            self.feed_fields.append(values["value"])

    def handle_data(self, data: str) -> None:
        for link in self._open:
            link.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open:
            href, *text = self._open.pop()
            self.links.append((href, " ".join("".join(text).split())))

    def hrefs(self) -> list[str]:
        return [href for href, _text in self.links]

    def href_of(self, text: str) -> str:
        [href] = [href for href, label in self.links if label == text]
        return href


def links_on(client, path: str) -> PageLinks:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return PageLinks(response.get_data(as_text=True))


def calendar_at(client, url: str) -> icalendar.Calendar:
    response = client.get(path_of(url))
    assert response.status_code == 200, (url, response.status_code)
    assert response.headers["Content-Type"] == ICS
    return icalendar.Calendar.from_ical(response.data)


def uids_at(client, url: str) -> set[str]:
    return {str(event["UID"]) for event in calendar_at(client, url).walk("VEVENT")}


def text_and_html(message: EmailMessage) -> tuple[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


def urls_in(text: str) -> list[str]:
    return [word for word in text.split() if word.startswith(("http://", "https://"))]


def deliver() -> int:
    """Send what the outbox holds to the SMTP server; how many went out."""
    report = deliver_all_due(db.session)
    assert (report.retried, report.failed) == (0, 0)
    return report.sent


def feed_offer(https_url: str) -> dict[str, str]:
    """The three links a feed offer shows for one feed, built here independently."""
    webcal = "webcal://" + https_url.split("://", 1)[1]
    return {
        "In Kalender-App abonnieren (webcal)": webcal,
        "Zu Google Kalender hinzufügen": "https://calendar.google.com/calendar/r?cid="
        + quote(webcal, safe=""),
        "Adresse des Kalenders (https)": https_url,
    }


def assert_offers(page: PageLinks, https_url: str) -> None:
    for label, href in feed_offer(https_url).items():
        assert (href, label) in page.links, (label, href, page.links)
    assert https_url in page.feed_fields


# --- subscribing, confirming, notices and the one-click unsubscribe -------------------


def test_subscribe_confirm_by_mail_get_notices_and_stop_them_with_one_click(
    client, submit_form, smtp_sink, spring_tour
):
    stop = spring_tour.weilheim_stop
    response = submit_form(
        "/subscribe",
        {"email": EMAIL, "consent": "y", "towns": ["Weilheim"], "notify_by_email": "y"},
    )
    assert response.status_code == 302

    # The confirmation mail, as it arrived: text and HTML, the link and nothing else (but the
    # imprint, which every mail's footer links to).
    assert deliver() == 1
    [arrived] = smtp_sink.to(EMAIL)
    assert arrived.message["Subject"] == "Bitte bestätigen Sie Ihr Kalender-Abonnement"
    assert arrived.message["List-Unsubscribe"] is None  # a confirmation, not a notice
    text, html = text_and_html(arrived.message)
    imprint = settings().base_url.rstrip("/") + "/impressum"
    [link] = [url for url in urls_in(text) if url != imprint]
    assert imprint in urls_in(text)
    assert "/subscribe/confirm/" in link
    # The button and the address written out below it; else only the organiser's address.
    hrefs = PageLinks(html).hrefs()
    assert {href for href in hrefs if not href.startswith("mailto:")} == {link, imprint}
    assert [href for href in hrefs if href.startswith("mailto:")] == [
        f"mailto:{settings().organizer_email}"
    ]
    for advert in ADVERTS:
        assert advert not in text and advert not in html

    # Follow the link like a person: the page asks, the button confirms.
    question = client.get(path_of(link)).get_data(as_text=True)
    assert "Jetzt bestätigen" in question
    confirmed = submit_form(path_of(link), {})
    assert confirmed.status_code == 200
    page = PageLinks(confirmed.get_data(as_text=True))
    [feed_url] = page.feed_fields
    assert_offers(page, feed_url)
    assert uids_at(client, feed_url) == {stop.uid}
    assert deliver() == 1
    [_confirmation, active] = smtp_sink.to(EMAIL)
    assert feed_url in urls_in(text_and_html(active.message)[0])

    # The organiser moves the matching stop: the notice arrives with a one-click unsubscribe.
    change_event(db.session, stop, starts_at=stop.starts_at + timedelta(hours=1))
    db.session.commit()
    assert deliver() == 1
    notice = smtp_sink.to(EMAIL)[-1].message
    assert notice["Subject"] == "Geändert: Digital vor Ort: Weilheim"
    notice_text, notice_html = text_and_html(notice)
    assert "19:00–22:00" in notice_text
    header = str(notice["List-Unsubscribe"])
    assert header.startswith("<") and header.endswith(">")
    unsubscribe_url = header[1:-1]
    assert unsubscribe_url in urls_in(notice_text)
    assert unsubscribe_url in PageLinks(notice_html).hrefs()
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    feed = calendar_at(client, feed_url)
    [moved] = feed.walk("VEVENT")
    assert (moved.start, int(moved["SEQUENCE"])) == (berlin(spring_tour.year, 4, 6, 19), 1)

    # What a mail program sends for the one-click button (RFC 8058): no CSRF token.
    one_click = client.post(
        path_of(unsubscribe_url),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert one_click.status_code == 200

    received = len(smtp_sink.messages)
    change_event(db.session, stop, starts_at=stop.starts_at + timedelta(hours=1))
    db.session.commit()
    assert deliver() == 0
    assert len(smtp_sink.messages) == received
    # The feed goes on, with the latest change.
    [moved_again] = calendar_at(client, feed_url).walk("VEVENT")
    assert (moved_again.start, int(moved_again["SEQUENCE"])) == (
        berlin(spring_tour.year, 4, 6, 20),
        2,
    )


# --- publishing a draft ---------------------------------------------------------------


def notices_to(smtp_sink, address: str) -> list[EmailMessage]:
    return [m.message for m in smtp_sink.to(address) if m.message["List-Unsubscribe"] is not None]


def test_publishing_a_draft_tells_matching_subscribers_in_the_service_and_the_cli(
    client, submit_form, smtp_sink, runner, spring_tour, make_event
):
    rosenheim, weilheim = "rosenheim@example.org", "weilheim@example.org"
    for email, town in ((rosenheim, "Rosenheim"), (weilheim, "Weilheim")):
        subscribe(submit_form, email, towns=[town], notify_by_email="y")
        confirm(client, submit_form, email)
    deliver()
    hall = spring_tour.rosenheim_stop.venue

    draft = make_event(status=EventStatus.DRAFT, venue=hall, title="Sprechstunde Förderung")
    assert draft.uid not in uids_at(client, "http://roadshow.example/calendar.ics?town=Rosenheim")
    assert publish_event(db.session, draft) == 1
    db.session.commit()
    deliver()
    [notice] = notices_to(smtp_sink, rosenheim)
    assert notice["Subject"] == "Neu: Sprechstunde Förderung"
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert notices_to(smtp_sink, weilheim) == []
    assert draft.uid in uids_at(client, "http://roadshow.example/calendar.ics?town=Rosenheim")

    second = make_event(status=EventStatus.DRAFT, venue=hall, title="KI-Sprechstunde")
    result = runner.invoke(args=["events", "publish", str(second.id)])
    assert result.exit_code == 0, result.output
    assert "Published KI-Sprechstunde; 1 subscriber notices queued." in result.output
    deliver()
    assert [n["Subject"] for n in notices_to(smtp_sink, rosenheim)] == [
        "Neu: Sprechstunde Förderung",
        "Neu: KI-Sprechstunde",
    ]
    assert notices_to(smtp_sink, weilheim) == []
    db.session.expire_all()
    assert second.status is EventStatus.PUBLISHED

    again = runner.invoke(args=["events", "publish", str(second.id)])
    assert again.exit_code != 0
    assert "Nur Entwürfe können veröffentlicht werden." in again.output
    assert deliver() == 0


# --- pages offer the calendar they are about ------------------------------------------


def test_the_event_page_offers_its_ics_and_its_tours_feed(client, spring_tour):
    stop = spring_tour.rosenheim_stop
    page = links_on(client, f"/events/{stop.slug}")

    ics_link = f"/events/{stop.slug}.ics"
    assert ics_link in page.hrefs()
    calendar = calendar_at(client, ics_link)
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == [stop.uid]

    tour_feed = f"http://roadshow.example/calendar.ics?tour={spring_tour.tour.slug}"
    assert_offers(page, tour_feed)
    tour_events = {stop.uid, spring_tour.weilheim_stop.uid, *(w.uid for w in spring_tour.webinars)}
    assert uids_at(client, tour_feed) == tour_events

    # The workshop belongs to no tour: its page offers its .ics and no tour feed.
    workshop = links_on(client, f"/events/{spring_tour.rosenheim_workshop.slug}")
    assert f"/events/{spring_tour.rosenheim_workshop.slug}.ics" in workshop.hrefs()
    assert not [href for href in workshop.hrefs() if "calendar.ics" in href]


def test_the_self_service_page_offers_the_registrations_feed_with_the_join_link(
    client, spring_tour, register_company
):
    webinar = spring_tour.webinars[0]
    outcome = register_company(webinar, "Person 0")
    assert outcome.registration.status is RegistrationStatus.CONFIRMED

    page = links_on(client, f"/registrations/{outcome.token}")
    feed_url = f"http://roadshow.example/r/{outcome.token}/calendar.ics"
    assert_offers(page, feed_url)
    [personal] = calendar_at(client, feed_url).walk("VEVENT")
    assert (str(personal["UID"]), personal["URL"]) == (webinar.uid, webinar.join_url)
    assert webinar.join_url in str(personal["DESCRIPTION"])

    public_ics = f"/events/{webinar.slug}.ics"
    assert public_ics in links_on(client, f"/events/{webinar.slug}").hrefs()
    public = client.get(public_ics)
    assert f"UID:{webinar.uid}" in public.get_data(as_text=True)
    assert webinar.join_url not in public.get_data(as_text=True)
    assert "webinar.roadshow.example" not in public.get_data(as_text=True)


def listed_slugs(page: PageLinks) -> set[str]:
    return {
        href.removeprefix("/events/")
        for href in page.hrefs()
        if href.startswith("/events/") and not href.endswith((".ics", "/register"))
    }


def test_the_listing_filtered_by_town_offers_that_towns_feed(client, spring_tour):
    page = links_on(client, "/?town=Rosenheim")
    listed = listed_slugs(page)
    assert listed == {spring_tour.rosenheim_stop.slug, spring_tour.rosenheim_workshop.slug}

    [feed_url] = page.feed_fields
    assert parse_qs(urlsplit(feed_url).query) == {"town": ["Rosenheim"]}
    assert_offers(page, feed_url)
    assert uids_at(client, feed_url) == {
        spring_tour.rosenheim_stop.uid,
        spring_tour.rosenheim_workshop.uid,
    }

    unfiltered = links_on(client, "/")
    assert unfiltered.feed_fields == ["http://roadshow.example/calendar.ics"]


def test_a_listings_feed_holds_what_the_listing_shows_or_none_is_offered(client, spring_tour):
    uid_of = {event.slug: event.uid for event in spring_tour.events}
    tour = spring_tour.tour.slug
    for query in ("?town=weilheim", "?kind=webinar", f"?tour={tour}", "?partner=alpentel"):
        page = links_on(client, "/" + query)
        [feed_url] = page.feed_fields
        assert uids_at(client, feed_url) == {uid_of[slug] for slug in listed_slugs(page)}, query

    # The listing narrows Rosenheim to its workshop; a feed would add every Rosenheim event
    # to every workshop. And a town with no events has no feed (it would answer 404).
    for query in ("?town=Rosenheim&kind=workshop", "?town=Atlantis"):
        page = links_on(client, "/" + query)
        assert page.feed_fields == [], query
        assert "/calendar" in page.hrefs()
    assert listed_slugs(links_on(client, "/?town=Rosenheim&kind=workshop")) == {
        spring_tour.rosenheim_workshop.slug
    }


# --- the API ---------------------------------------------------------------------------


def test_the_apis_ics_url_answers_the_events_calendar(client, spring_tour):
    for event in (spring_tour.rosenheim_stop, spring_tour.webinars[0]):
        data = client.get(f"/api/v1/events/{event.id}").get_json()
        response = client.get(path_of(data["ics_url"]))
        assert response.status_code == 200
        assert response.headers["Content-Type"] == ICS
        calendar = icalendar.Calendar.from_ical(response.data)
        assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == [event.uid]

    listed = client.get("/api/v1/events").get_json()["events"]
    by_id = {item["id"]: item["ics_url"] for item in listed}
    stop = spring_tour.weilheim_stop
    assert by_id[stop.id] == f"http://roadshow.example/events/{stop.slug}.ics"


def test_the_calendar_offers_speak_english_too(client, spring_tour, register_company):
    client.get("/language/en")
    stop = spring_tour.rosenheim_stop
    event_page = client.get(f"/events/{stop.slug}").get_data(as_text=True)
    assert "Add the event to your own calendar (.ics)" in event_page
    assert f"Subscribe to the calendar: {spring_tour.tour.title}" in event_page
    listing = client.get("/?town=Rosenheim").get_data(as_text=True)
    assert "Subscribe to the calendar: this selection" in listing
    token = register_company(spring_tour.webinars[0], "Person 0", language="en").token
    manage = client.get(f"/registrations/{token}").get_data(as_text=True)
    assert "Subscribe to the calendar: Your registration" in manage
    for page in (event_page, listing, manage):
        assert "Kalender" not in page and "Auswahl" not in page
