"""What every message looks like and carries: one layout (the site's name or logo on top,
the organiser below), a text part that says the same, and headers on the sender's domain.

The messages go through a real SMTP server (``smtp_sink``) and are read back as a mail
client reads them.
"""

from __future__ import annotations

import re
import struct
import zlib
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path

from roadshow.accounts.services import request_password_reset
from roadshow.events.models import EventKind
from roadshow.events.services import cancel_event
from roadshow.extensions import db
from roadshow.mail.delivery import deliver_all_due
from roadshow.settings import settings
from tests.fixtures_feeds import confirm, link_in, subscribe
from tests.fixtures_mail import mime_tree
from tests.fixtures_settings import configure

SENDER = "Roadshow der IHK München <roadshow@ihk-muenchen.example>"


def png(width: int, height: int) -> bytes:
    """A small valid PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x0b\x5c\xad" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def delivered(smtp_sink, address: str) -> list[EmailMessage]:
    deliver_all_due(db.session)
    return [received.message for received in smtp_sink.to(address)]


def domain(address_header: str) -> str:
    return parseaddr(address_header)[1].rpartition("@")[2]


def visible(html: str) -> str:
    """The HTML's text as a reader sees it (tags and the hidden preheader left out)."""
    html = re.sub(r"<(style|title)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'<div style="display:none.*?</div>', " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&lt;", "<").replace("&gt;", ">").split())


def test_message_id_and_ticket_content_ids_are_on_the_senders_domain(
    app, smtp_sink, make_event, register_company
):
    configure(app, MAIL_DEFAULT_SENDER=SENDER, BASE_URL="http://127.0.0.1:5000")
    event = make_event(title="Digital vor Ort: Weilheim")
    register_company(event, "Ada Huber", contact_email="chefin@huber.example")

    [confirmation] = delivered(smtp_sink, "chefin@huber.example")

    assert domain(confirmation["From"]) == "ihk-muenchen.example"
    message_id = str(confirmation["Message-ID"])
    assert re.fullmatch(r"<[^@<>]+@ihk-muenchen\.example>", message_id), message_id
    assert parsedate_to_datetime(str(confirmation["Date"])).tzinfo is not None
    content_ids = [str(part["Content-ID"]) for part in confirmation.walk() if part["Content-ID"]]
    assert content_ids and all(cid.endswith("@ihk-muenchen.example>") for cid in content_ids)


def test_a_sender_without_domain_falls_back_to_the_sites_host(app):
    configure(app, MAIL_DEFAULT_SENDER="roadshow", BASE_URL="https://roadshow.example.org/")
    assert settings().mail_domain == "roadshow.example.org"
    configure(app, MAIL_DEFAULT_SENDER="Roadshow <roadshow@IHK.example>")
    assert settings().mail_domain == "ihk.example"


def test_every_part_has_the_letterhead_the_footer_and_the_same_facts(
    app, smtp_sink, make_event, register_company
):
    configure(
        app,
        MAIL_DEFAULT_SENDER=SENDER,
        SITE_NAME="Digitaltour Oberbayern",
        ORGANIZER_NAME="IHK für München und Oberbayern",
        ORGANIZER_EMAIL="digital@ihk-muenchen.example",
    )
    event = make_event(title="Digital vor Ort: Weilheim")
    outcome = register_company(event, "Ada Huber", contact_email="chefin@huber.example")

    [confirmation] = delivered(smtp_sink, "chefin@huber.example")
    html = confirmation.get_body(("html",)).get_content()
    text = confirmation.get_body(("plain",)).get_content()

    assert '<html lang="de"' in html and "<title>Anmeldung bestätigt: Digital vor Ort" in html
    assert re.search(r'<table role="presentation" class="sheet" width="600"', html)
    assert 'style="display:none' in html  # the preheader
    assert "cid:logo@" not in html  # no logo in the instance folder: the name alone
    manage_url = re.search(r"https?://\S+/registrations/\S+", text)
    assert manage_url, text
    # The manage link is a button (a table cell with a background) and written out.
    assert re.search(
        r'<td class="cta"[^>]*bgcolor="#[0-9a-f]{6}"[^>]*>\s*<a class="cta" href="'
        + re.escape(manage_url.group(0)),
        html,
    )
    for part in (visible(html), text):
        assert "Digitaltour Oberbayern" in part
        assert "IHK für München und Oberbayern" in part
        assert "digital@ihk-muenchen.example" in part
        assert "Ada Huber" in part and outcome.registration.company_name in part
        assert "Digital vor Ort: Weilheim" in part
        assert manage_url.group(0) in part


def test_the_organisers_png_logo_travels_inline_in_the_header(
    app, smtp_sink, make_event, register_company
):
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    logo = png(400, 100)
    (Path(app.instance_path) / "logo.png").write_bytes(logo)
    (Path(app.instance_path) / "logo.svg").write_text("<svg/>", encoding="utf-8")
    configure(app, MAIL_DEFAULT_SENDER=SENDER, SITE_NAME="Digitaltour Oberbayern")
    event = make_event(kind=EventKind.WEBINAR, title="Webinar: KI im Betrieb")
    register_company(event, "Ada Huber", contact_email="chefin@huber.example")

    [confirmation] = delivered(smtp_sink, "chefin@huber.example")

    assert mime_tree(confirmation) == [
        "multipart/alternative",
        "  text/plain",
        "  multipart/related",
        "    text/html",
        "    image/png",
    ]
    [picture] = [p for p in confirmation.walk() if p.get_content_maintype() == "image"]
    assert picture["Content-ID"] == "<logo@ihk-muenchen.example>"
    assert picture.get_payload(decode=True) == logo
    html = confirmation.get_body(("html",)).get_content()
    # Shown at most 200 x 48 pixels, in its proportions; the name is its alternative text.
    assert re.search(
        r'<img src="cid:logo@ihk-muenchen\.example" width="192" height="48"'
        r' alt="Digitaltour Oberbayern"',
        html,
    )


def test_an_svg_logo_alone_is_not_sent_and_the_header_shows_the_name(
    app, smtp_sink, make_event, register_company
):
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    (Path(app.instance_path) / "logo.svg").write_text("<svg/>", encoding="utf-8")
    configure(app, SITE_NAME="Digitaltour Oberbayern")
    event = make_event(kind=EventKind.WEBINAR)
    register_company(event, "Ada Huber", contact_email="chefin@huber.example")

    [confirmation] = delivered(smtp_sink, "chefin@huber.example")

    assert mime_tree(confirmation) == ["multipart/alternative", "  text/plain", "  text/html"]
    assert "Digitaltour Oberbayern" in confirmation.get_body(("html",)).get_content()


def test_the_mails_call_the_site_by_its_configured_name(app, smtp_sink, make_user):
    configure(app, SITE_NAME="Digitaltour Oberbayern")
    user = make_user(email="ada@ihk.example")
    request_password_reset(db.session, user.email, language="de")
    db.session.commit()
    [german] = delivered(smtp_sink, "ada@ihk.example")
    assert german["Subject"] == "Neues Passwort für Digitaltour Oberbayern"
    assert "Ihres Kontos bei Digitaltour Oberbayern" in german.get_body(("plain",)).get_content()
    assert "Roadshow-Kontos" not in german.get_body(("html",)).get_content()


def test_the_footer_links_the_imprint(app, smtp_sink, make_event, register_company):
    event = make_event(kind=EventKind.WEBINAR)
    register_company(event, "Max Huber", contact_email="max@huber.example")
    [mail] = delivered(smtp_sink, "max@huber.example")
    imprint = f"{settings().base_url.rstrip('/')}/impressum"
    assert f'href="{imprint}"' in mail.get_body(("html",)).get_content()
    assert f"Impressum: {imprint}" in mail.get_body(("plain",)).get_content()


def test_a_subscription_notice_arrives_with_one_click_unsubscribe_on_the_senders_domain(
    app, db, client, submit_form, smtp_sink, spring_tour
):
    configure(app, MAIL_DEFAULT_SENDER=SENDER)
    email = "abo@firma.example"
    subscribe(submit_form, email, kinds=["webinar"], notify_by_email="y")
    confirm(client, submit_form, email)
    cancel_event(db.session, spring_tour.webinars[1])
    db.session.commit()

    *_confirmations, notice = delivered(smtp_sink, email)

    assert str(notice["Subject"]).startswith("Abgesagt:")
    assert domain(notice["From"]) == "ihk-muenchen.example"
    assert str(notice["Message-ID"]).endswith("@ihk-muenchen.example>")
    assert notice["Date"] is not None
    unsubscribe = link_in(notice.get_body(("plain",)).get_content(), "/unsubscribe")
    assert notice["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
