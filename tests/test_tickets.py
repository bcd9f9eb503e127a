"""Tickets: each attendee's check-in code as a QR code in the mails and on the self-service page.

The mails go through a real SMTP server; the QR codes that arrive are read back with a
barcode reader (zxing-cpp), as a scanner at the door would read them.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from email.message import EmailMessage

import zxingcpp
from PIL import Image

from roadshow.events.models import EventKind
from roadshow.events.services import change_event
from roadshow.extensions import db
from roadshow.mail.delivery import deliver_all_due
from roadshow.tokens import CHECK_IN_ALPHABET, CHECK_IN_LENGTH, normalize_check_in_code
from tests.fixtures_mail import mime_tree


def read_qr(png: bytes) -> str:
    [barcode] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    return str(barcode.text)


def pictures(message: EmailMessage) -> dict[str, bytes]:
    """The inline pictures of a message by Content-ID (without angle brackets)."""
    found = {}
    for part in message.walk():
        if part.get_content_maintype() == "image":
            assert part.get_content_disposition() == "inline"
            found[str(part["Content-ID"]).strip("<>")] = part.get_payload(decode=True)
    return found


def delivered(smtp_sink, address: str) -> list[EmailMessage]:
    deliver_all_due(db.session)
    return [received.message for received in smtp_sink.to(address)]


def test_every_attendee_has_an_unguessable_code_of_its_own(db, make_event, register_company):
    outcome = register_company(make_event(), "Ada Huber", "Max Huber")
    codes = [attendee.check_in_code for attendee in outcome.registration.attendees]
    assert len(set(codes)) == 2
    for code in codes:
        assert len(code) == CHECK_IN_LENGTH and set(code) <= set(CHECK_IN_ALPHABET)
        # Not derived from the registration's self-service secret.
        assert code not in outcome.token and code.lower() not in outcome.token.lower()
    assert (
        normalize_check_in_code(f" {codes[0][:4].lower()} {codes[0][4:8]}-{codes[0][8:]}\n")
        == (codes[0])
    )


def test_the_confirmation_shows_each_attendees_qr_code_inline_with_the_code_beside_it(
    app, smtp_sink, make_event, register_company
):
    event = make_event(title="Digital vor Ort: Weilheim")
    outcome = register_company(
        event, "Ada Huber", "Max Huber", contact_email="chefin@huber.example"
    )
    ada, max_ = outcome.registration.attendees

    [confirmation] = delivered(smtp_sink, "chefin@huber.example")

    assert mime_tree(confirmation) == [
        "multipart/alternative",
        "  text/plain",
        "  multipart/related",
        "    text/html",
        "    image/png",
        "    image/png",
    ]
    html = confirmation.get_body(("html",)).get_content()
    text = confirmation.get_body(("plain",)).get_content()
    images = pictures(confirmation)
    shown = re.findall(r'<img src="cid:([^"]+)"', html)
    assert shown == list(images)  # every picture the HTML shows travels with it, no other
    assert sorted(read_qr(png) for png in images.values()) == sorted(
        [ada.check_in_code, max_.check_in_code]
    )
    for attendee in (ada, max_):
        grouped = " ".join(re.findall(".{4}", attendee.check_in_code))
        assert f"Check-in-Code für {attendee.name}: {grouped}" in text
        assert grouped in html
    assert "http" not in "".join(re.findall(r'<img src="([^"]+)"', html))  # nothing to load


def test_each_invitation_and_its_update_carry_the_attendees_own_ticket(
    app, smtp_sink, make_event, register_company
):
    event = make_event(title="Digital vor Ort: Weilheim")
    outcome = register_company(event, "Ada Huber", "Max Huber")
    ada = outcome.registration.attendees[0]

    [invitation] = delivered(smtp_sink, ada.email)
    [png] = pictures(invitation).values()
    assert read_qr(png) == ada.check_in_code
    assert "text/calendar" in mime_tree(invitation)[-2]  # still an invitation clients act on

    change_event(db.session, event, starts_at=event.starts_at + timedelta(hours=1))
    db.session.commit()
    [_first, update] = delivered(smtp_sink, ada.email)
    assert update["Subject"].startswith("Geändert:")
    [png] = pictures(update).values()
    assert read_qr(png) == ada.check_in_code
    assert (
        " ".join(re.findall(".{4}", ada.check_in_code)) in update.get_body(("plain",)).get_content()
    )


def test_webinars_and_the_waiting_list_get_no_ticket(app, smtp_sink, make_event, register_company):
    webinar = make_event(kind=EventKind.WEBINAR, venue=None, title="Webinar: KI im Handwerk")
    register_company(webinar, "Ada Huber", contact_email="ada@huber.example")
    full = make_event(capacity=1)
    register_company(full, "Bea Berg", contact_email="bea@berg.example")
    register_company(full, "Cem Kaya", "Dora Kaya", contact_email="cem@kaya.example")

    deliver_all_due(db.session)
    for address in ("ada@huber.example", "ada.huber@firma.example", "cem@kaya.example"):
        for message in (r.message for r in smtp_sink.to(address)):
            assert not pictures(message), (address, message["Subject"])
            assert "Check-in-Code" not in message.get_body(("plain",)).get_content()
    [bea] = [r.message for r in smtp_sink.to("bea@berg.example")]
    assert pictures(bea)  # the confirmed one at the same event has hers


def test_the_self_service_page_shows_each_ticket(client, make_event, register_company):
    outcome = register_company(make_event(), "Ada Huber", "Max Huber")
    page = client.get(f"/registrations/{outcome.token}").get_data(as_text=True)

    uris = re.findall(r'<img src="data:image/svg\+xml[^"]*"', page)
    assert len(uris) == 2
    for attendee in outcome.registration.attendees:
        grouped = " ".join(re.findall(".{4}", attendee.check_in_code))
        assert f'<code class="check-in-code">{grouped}</code>' in page
        assert f'alt="QR-Code für den Check-in von {attendee.name}"' in page
