"""The organisers' outbox page: counts, failed messages with their reason, retry."""

from __future__ import annotations

import os

import pytest

from roadshow.accounts.models import Role
from roadshow.extensions import db
from roadshow.mail.delivery import deliver_due
from roadshow.mail.models import OutboxStatus
from tests.fixtures_mail import queue_plain
from tests.fixtures_pages import PASSWORD, log_in


def test_the_outbox_page_needs_an_organiser(app, client, submit_form, make_user, make_partner):
    assert client.get("/organiser/mail/").status_code == 302  # to the login page
    partner_user = make_user(role=Role.PARTNER, partner_id=make_partner().id)
    log_in(submit_form, partner_user)
    assert client.get("/organiser/mail/").status_code == 403


def test_organisers_see_failed_messages_with_the_reason_and_can_retry(
    app, client, submit_form, make_user, smtp_sink, make_event
):
    rows = queue_plain(3, make_event())
    smtp_sink.refuse_next(1, "550 5.1.1 <m0@firma.example>: User unknown")
    deliver_due(db.session)
    log_in(submit_form, make_user(role=Role.ORGANISER))

    page = client.get("/organiser/mail/").get_data(as_text=True)
    assert '<td data-status="failed">1</td>' in page
    assert '<td data-status="sent">2</td>' in page
    assert "550 5.1.1 &lt;m0@firma.example&gt;: User unknown" in page
    assert "m0@firma.example" in page

    response = submit_form("/organiser/mail/", {}, action="/organiser/mail/retry")
    assert response.status_code == 302
    db.session.expire_all()
    assert rows[0].status is OutboxStatus.QUEUED and rows[0].attempts == 0
    deliver_due(db.session)
    assert len(smtp_sink.messages) == 3

    english = client.get("/organiser/mail/?lang=en").get_data(as_text=True)
    assert "No failed messages." in english


def test_the_page_shows_where_eml_files_go_without_smtp(app, client, submit_form, make_user):
    log_in(submit_form, make_user(role=Role.ADMIN))
    page = client.get("/organiser/mail/").get_data(as_text=True)
    assert os.path.join(app.instance_path, "mail") in page


@pytest.mark.browser
def test_an_organiser_retries_failed_mail_in_a_browser(
    app, live_server, page, make_user, smtp_sink, make_event
):
    queue_plain(2, make_event())
    smtp_sink.refuse_next(2, "554 5.7.1 Rejected by policy")
    deliver_due(db.session)
    organiser = make_user(role=Role.ORGANISER)

    page.goto(f"{live_server}/organiser/mail/")
    page.get_by_label("E-Mail").fill(organiser.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Einloggen").click()
    page.wait_for_url(f"{live_server}/organiser/mail/")
    failed = page.locator("table.failed tbody tr")
    assert failed.count() == 2
    assert "554 5.7.1 Rejected by policy" in failed.first.inner_text()

    page.get_by_role("button", name="Alle fehlgeschlagenen erneut zustellen").click()
    page.wait_for_url(f"{live_server}/organiser/mail/")
    assert "2 Nachrichten werden erneut zugestellt." in page.inner_text("main")
    assert page.locator("td[data-status='queued']").inner_text() == "2"
    deliver_due(db.session)
    assert len(smtp_sink.messages) == 2
