"""Notice mails to subscribers who asked for them, with a one-click unsubscribe."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from roadshow.calendar.models import Subscriber
from roadshow.calendar.notifications import notify_subscribers
from roadshow.events.models import EventKind, EventStatus
from roadshow.events.services import cancel_event, change_event, publish_event
from roadshow.mail.models import OutboxMessage
from tests.fixtures_feeds import confirm, last_mail, link_in, path_of, retitle_event, subscribe


def notices(db) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.template == "calendar/event_notice")
            .order_by(OutboxMessage.id)
        )
    )


def test_matching_subscribers_who_asked_get_a_notice_with_one_click_unsubscribe(
    db, client, submit_form, spring_tour
):
    wants = "rosenheim-und-webinare@example.org"
    subscribe(submit_form, wants, towns=["Rosenheim"], kinds=["webinar"], notify_by_email="y")
    confirm(client, submit_form, wants)
    subscribe(submit_form, "weilheim@example.org", towns=["Weilheim"], notify_by_email="y")
    confirm(client, submit_form, "weilheim@example.org")
    subscribe(submit_form, "nur-kalender@example.org", kinds=["webinar"])
    confirm(client, submit_form, "nur-kalender@example.org")
    subscribe(submit_form, "unbestaetigt@example.org", kinds=["webinar"], notify_by_email="y")

    webinar = spring_tour.webinars[1]
    cancel_event(db.session, webinar)  # tells the matching subscribers itself
    db.session.commit()

    [notice] = notices(db)
    assert notice.recipient == wants
    assert notice.subject == "Abgesagt: Digitale Mittagspause"
    assert "12:00–13:00" in notice.text_body
    assert "webinar.roadshow.example" not in notice.text_body + notice.html_body
    unsubscribe_url = link_in(notice.text_body, "/unsubscribe")
    assert notice.headers == {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert f'href="{unsubscribe_url}"' in notice.html_body

    # The same change announced twice queues nothing more.
    notify_subscribers(db.session, webinar, "cancelled")
    db.session.commit()
    assert len(notices(db)) == 1

    # A look at the link (a link scanner) changes nothing; the mail program's one-click
    # POST (RFC 8058) carries no CSRF token and unsubscribes.
    client.get(path_of(unsubscribe_url))
    assert _notify_flag(db, wants) is True
    response = client.post(
        path_of(unsubscribe_url),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert _notify_flag(db, wants) is False

    moved = spring_tour.rosenheim_stop
    change_event(db.session, moved, starts_at=moved.starts_at + timedelta(hours=1))
    db.session.commit()
    assert len(notices(db)) == 1
    assert notify_subscribers(db.session, moved, "changed") == 0
    # The feed goes on.
    assert "Abonnement verwalten" in client.get(path_of(unsubscribe_url)).get_data(as_text=True)


def _notify_flag(db, email: str) -> bool:
    db.session.expire_all()
    return bool(
        db.session.scalar(select(Subscriber.notify_by_email).where(Subscriber.email == email))
    )


def test_a_change_and_a_new_event_are_announced_in_the_subscribers_language(
    db, client, submit_form, spring_tour, make_event
):
    client.get("/language/en")
    subscribe(submit_form, "english@example.org", kinds=["workshop"], notify_by_email="y")
    confirm(client, submit_form, "english@example.org")

    workshop = spring_tour.rosenheim_workshop
    # No event service changes a title: retitle_event changes it as a real change would
    # (SEQUENCE, content_changed_at), and the subscribers are told as a change tells them.
    retitle_event(workshop, "Workshop: Online-Shop in 20 Tagen")
    notify_subscribers(db.session, workshop, "changed")
    added = make_event(
        kind=EventKind.WORKSHOP, title="Workshop: Datenschutz", status=EventStatus.DRAFT
    )
    publish_event(db.session, added)
    stop = make_event(title="Kein Workshop", status=EventStatus.DRAFT)
    publish_event(db.session, stop)
    db.session.commit()

    assert [n.subject for n in notices(db)] == [
        "Changed: Workshop: Online-Shop in 20 Tagen",
        "New: Workshop: Datenschutz",
    ]
    assert "This event in your calendar subscription has changed" in notices(db)[0].text_body
    assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 1
    assert last_mail("english@example.org", "calendar/event_notice").language == "en"


def test_cancelling_a_draft_tells_no_subscriber(db, client, submit_form, make_event):
    subscribe(submit_form, "alles@example.org", notify_by_email="y")
    confirm(client, submit_form, "alles@example.org")
    draft = make_event(status=EventStatus.DRAFT)
    assert cancel_event(db.session, draft) == 0
    db.session.commit()
    assert notices(db) == []
