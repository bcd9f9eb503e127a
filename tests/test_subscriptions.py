"""Subscribing with double opt-in, through the pages and the queued mails."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from sqlalchemy import func, select

from roadshow.calendar.forms import CONSENT_TEXT_VERSION
from roadshow.calendar.models import Subscriber, SubscriberStatus
from roadshow.events.services import cancel_event
from roadshow.mail.models import OutboxMessage
from roadshow.settings import settings
from tests.fixtures_feeds import EMAIL, confirm, last_mail, link_in, path_of, subscribe


def feed_url_in(page: str) -> str:
    match = re.search(r'value="(http://roadshow\.example/feeds/[^"]+\.ics)"', page)
    assert match, page
    return match.group(1)


def manage_url_in(page: str) -> str:
    match = re.search(r'href="(http://roadshow\.example/subscriptions/[^"/]+)"', page)
    assert match, page
    return match.group(1)


def feed_uids(client, url: str) -> set[str]:
    response = client.get(path_of(url))
    assert response.status_code == 200
    return {str(e["UID"]) for e in icalendar.Calendar.from_ical(response.data).walk("VEVENT")}


def subscribers(db) -> list[Subscriber]:
    db.session.expire_all()
    return list(db.session.scalars(select(Subscriber).order_by(Subscriber.id)))


def test_nothing_is_active_until_the_link_in_the_mail_is_followed(
    db, client, submit_form, spring_tour
):
    response = subscribe(submit_form, towns=["Rosenheim"], kinds=["webinar"])
    assert response.status_code == 302
    assert response.headers["Location"] == "/subscribe/sent"
    assert "Bitte folgen Sie dem Link" in client.get("/subscribe/sent").get_data(as_text=True)

    [pending] = subscribers(db)
    assert pending.status is SubscriberStatus.PENDING
    assert pending.filters == {
        "tours": [],
        "towns": ["Rosenheim"],
        "kinds": ["webinar"],
        "partners": [],
    }
    assert pending.consent_text_version == CONSENT_TEXT_VERSION
    assert pending.subscribed_ip == "127.0.0.1" and pending.subscribed_at is not None
    assert pending.feed_token_hash is None and pending.confirmed_at is None

    mail = last_mail(EMAIL, "calendar/confirm_subscription")
    confirm_path = path_of(link_in(mail.text_body, "/subscribe/confirm/"))
    # A mail system's link scanner only looks: the GET shows a button, and confirms nothing.
    assert "Jetzt bestätigen" in client.get(confirm_path).get_data(as_text=True)
    assert subscribers(db)[0].status is SubscriberStatus.PENDING

    page = confirm(client, submit_form)
    [active] = subscribers(db)
    assert active.status is SubscriberStatus.ACTIVE
    assert active.confirmed_ip == "127.0.0.1" and active.confirmed_at is not None
    assert active.confirm_token_hash is None

    feed_url = feed_url_in(page)
    assert "webcal://roadshow.example/feeds/" in page
    assert "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Froadshow.example" in page
    tour = spring_tour
    assert feed_uids(client, feed_url) == {
        tour.rosenheim_stop.uid,
        tour.rosenheim_workshop.uid,
        *(w.uid for w in tour.webinars),
    }
    assert feed_url in last_mail(EMAIL, "calendar/subscription_active").text_body

    # The link works once.
    assert client.get(confirm_path).status_code == 404
    assert submit_form("/subscribe", {}, action=confirm_path).status_code == 404


def test_the_confirmation_mail_carries_only_the_confirmation(db, submit_form, spring_tour):
    subscribe(submit_form, towns=["Rosenheim"], notify_by_email="y")
    mail = last_mail(EMAIL, "calendar/confirm_subscription")

    assert mail.subject == "Bitte bestätigen Sie Ihr Kalender-Abonnement"
    # The confirmation link, and in the footer the imprint (as in every mail).
    imprint = settings().base_url.rstrip("/") + "/impressum"
    [link] = [url for url in re.findall(r"https?://\S+", mail.text_body) if url != imprint]
    assert "/subscribe/confirm/" in link
    # The button and the address written out below it; else only the organiser's address.
    assert set(re.findall(r'href="(https?:[^"]+)"', mail.html_body)) == {link, imprint}
    assert re.findall(r'href="(mailto:[^"]+)"', mail.html_body) == [
        f"mailto:{settings().organizer_email}"
    ]
    for advert in ("Alpentel", "Digital vor Ort", "Webinar", "Workshop", "Newsletter"):
        assert advert not in mail.text_body + mail.html_body


def test_an_expired_link_confirms_nothing_and_subscribing_again_helps(
    db, client, submit_form, spring_tour
):
    subscribe(submit_form)
    first_link = link_in(
        last_mail(EMAIL, "calendar/confirm_subscription").text_body, "/subscribe/confirm/"
    )
    [pending] = subscribers(db)
    pending.confirm_expires_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()

    response = client.get(path_of(first_link))
    assert response.status_code == 410
    assert "abgelaufen" in response.get_data(as_text=True)
    assert subscribers(db)[0].status is SubscriberStatus.PENDING

    subscribe(submit_form)
    confirm(client, submit_form)
    assert [s.status for s in subscribers(db)] == [SubscriberStatus.ACTIVE]


def test_the_same_address_twice_is_one_subscription_and_the_answer_tells_nothing(
    db, client, submit_form, spring_tour
):
    def answer(response) -> tuple[int, str, bytes]:
        return response.status_code, response.headers["Location"], response.data

    new = answer(subscribe(submit_form, email="Anna.Huber@Baeckerei-Huber.example"))
    first_link = link_in(
        last_mail("Anna.Huber@Baeckerei-Huber.example", "calendar/confirm_subscription").text_body,
        "/subscribe/confirm/",
    )
    pending = answer(
        subscribe(submit_form, email=" anna.huber@baeckerei-huber.example ", kinds=["webinar"])
    )
    assert pending == new
    [subscriber] = subscribers(db)
    assert subscriber.filters["kinds"] == ["webinar"]
    # The second request replaced the first link.
    assert client.get(path_of(first_link)).status_code == 404

    page = confirm(client, submit_form)
    known = answer(
        subscribe(submit_form, email="ANNA.HUBER@baeckerei-huber.example", towns=["Weilheim"])
    )
    unknown = answer(subscribe(submit_form, email="someone.else@example.org"))
    assert known == new == unknown

    db.session.expire_all()
    live = db.session.scalar(
        select(func.count()).where(
            Subscriber.email_normalized == EMAIL, Subscriber.status != SubscriberStatus.CANCELLED
        )
    )
    assert live == 1
    [subscriber, _other] = subscribers(db)
    assert subscriber.status is SubscriberStatus.ACTIVE
    assert subscriber.filters["towns"] == []  # a stranger cannot change a subscription
    # The owner of the address hears of it, at the address that was confirmed.
    notice = last_mail(EMAIL, "calendar/subscription_exists")
    manage_link = link_in(notice.text_body, "/subscriptions/")
    assert manage_link == manage_url_in(page)
    assert client.get(path_of(manage_link)).status_code == 200


def test_bad_input_is_told_next_to_the_field_and_kept(db, client, submit_form, spring_tour):
    response = submit_form(
        "/subscribe", {"email": "anna@", "towns": ["Rosenheim"], "kinds": ["webinar"]}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="anna@"' in page
    assert page.count('class="error"') == 2  # the address and the missing consent
    assert re.search(r'value="Rosenheim"[^>]*checked|checked[^>]*value="Rosenheim"', page)

    forged = submit_form("/subscribe", {"email": EMAIL, "consent": "y", "towns": ["Atlantis"]})
    assert forged.status_code == 200
    assert 'class="error"' in forged.get_data(as_text=True)
    assert subscribers(db) == []
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


@pytest.mark.parametrize("app_config", [{"SUBSCRIBE_RATE_LIMIT": "2 per minute"}])
def test_subscribing_is_rate_limited_per_client_address(client, submit_form, spring_tour):
    assert subscribe(submit_form, email="a@example.org").status_code == 302
    assert subscribe(submit_form, email="b@example.org").status_code == 302
    assert subscribe(submit_form, email="c@example.org").status_code == 429
    assert client.get("/subscribe").status_code == 200


def test_a_new_feed_address_ends_the_old_one_and_cancelling_ends_everything(
    db, client, submit_form, spring_tour
):
    subscribe(submit_form, towns=["Weilheim"])
    page = confirm(client, submit_form)
    old_feed, manage = feed_url_in(page), path_of(manage_url_in(page))

    manage_page = client.get(manage)
    assert "Weilheim" in manage_page.get_data(as_text=True)
    rotated = submit_form(manage, {}, action=manage + "/rotate")
    assert rotated.status_code == 200
    new_feed = feed_url_in(rotated.get_data(as_text=True))
    assert new_feed != old_feed
    assert client.get(path_of(old_feed)).status_code == 404
    assert feed_uids(client, new_feed) == {spring_tour.weilheim_stop.uid}
    assert new_feed in last_mail(EMAIL, "calendar/subscription_active").text_body

    assert submit_form(manage, {}, action=manage + "/cancel").status_code == 200
    assert client.get(path_of(new_feed)).status_code == 404
    assert client.get(manage).status_code == 404
    [cancelled] = subscribers(db)
    assert cancelled.status is SubscriberStatus.CANCELLED and cancelled.cancelled_at
    assert cancelled.feed_token_hash is None  # and the manage link names a cancelled row
    # The consent and its withdrawal stay on record; subscribing again starts afresh.
    assert cancelled.confirmed_at is not None and cancelled.consent_text_version
    subscribe(submit_form)
    assert [s.status for s in subscribers(db)] == [
        SubscriberStatus.CANCELLED,
        SubscriberStatus.PENDING,
    ]


def test_the_manage_page_changes_the_choice(db, client, submit_form, spring_tour):
    subscribe(submit_form, towns=["Weilheim"])
    page = confirm(client, submit_form)
    feed, manage = feed_url_in(page), path_of(manage_url_in(page))

    response = submit_form(manage, {"kinds": ["workshop"], "notify_by_email": "y"})
    assert response.status_code == 302
    assert "Ihre Auswahl ist gespeichert" in client.get(manage).get_data(as_text=True)
    assert feed_uids(client, feed) == {spring_tour.rosenheim_workshop.uid}
    assert subscribers(db)[0].notify_by_email is True


def test_english_subscribers_get_english_pages_mails_and_feed(db, client, submit_form, spring_tour):
    client.get("/language/en")
    subscribe(submit_form, kinds=["webinar"])
    assert "Please follow the link" in client.get("/subscribe/sent").get_data(as_text=True)
    mail = last_mail(EMAIL, "calendar/confirm_subscription")
    assert mail.subject == "Please confirm your calendar subscription"
    page = confirm(client, submit_form)
    assert "Your subscription is confirmed" in page

    cancel_event(db.session, spring_tour.webinars[0])
    db.session.commit()
    body = client.get(path_of(feed_url_in(page))).get_data(as_text=True)
    assert "X-WR-CALNAME:Roadshow: Webinars" in body
    assert "SUMMARY:Cancelled: Digitale Mittagspause" in body


def test_unconfirmed_subscriptions_are_deleted_once_their_link_expired(
    db, client, submit_form, runner, spring_tour
):
    subscribe(submit_form, email="never@example.org")
    subscribe(submit_form, email="later@example.org")
    subscribe(submit_form)
    confirm(client, submit_form)
    never = subscribers(db)[0]
    never.confirm_expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()

    result = runner.invoke(args=["calendar", "purge-unconfirmed"])

    assert result.exit_code == 0, result.output
    assert "Deleted 1 unconfirmed subscription(s)." in result.output
    assert [(s.email, s.status) for s in subscribers(db)] == [
        ("later@example.org", SubscriberStatus.PENDING),
        (EMAIL, SubscriberStatus.ACTIVE),
    ]


def test_the_same_new_address_submitted_at_once_makes_one_subscription(app, db, spring_tour):
    from roadshow.calendar.filters import FeedFilter
    from roadshow.calendar.services import request_subscription

    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def submit(number: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                request_subscription(
                    db.session,
                    email=EMAIL,
                    language="de",
                    feed_filter=FeedFilter.of(towns=["Rosenheim"]),
                    notify_by_email=False,
                    consent_text_version=CONSENT_TEXT_VERSION,
                    ip=f"192.0.2.{number}",
                )
                db.session.commit()
            except BaseException as error:  # noqa: BLE001 - reported below
                failures.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert [(s.email, s.status) for s in subscribers(db)] == [(EMAIL, SubscriberStatus.PENDING)]
