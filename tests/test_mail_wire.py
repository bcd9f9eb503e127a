"""The bytes a message goes out as, written without ``email.message``, read back by it.

Whatever a company types as its name, whatever the subject and bodies hold (umlauts,
emoji, long lines, lines of dots and equals signs), a mail parser reads back exactly
that, every line ends in CRLF and none is longer than SMTP allows.
"""

from __future__ import annotations

import base64
from email import message_from_bytes
from email.policy import default

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roadshow.mail.message import OutboxMail
from roadshow.mail.models import OutboxMessage

SENDER = "Roadshow der IHK München <noreply@roadshow.example>"
WORDS = st.sampled_from(["Grüße", "Müller-Lüdenscheidt", "GmbH & Co. KG", "😀", "=?", "..", " "])
# What people type: letters, digits, punctuation, symbols (emoji), spaces.
TYPED = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), max_size=20)
LINE = st.lists(st.one_of(WORDS, TYPED), max_size=30).map(" ".join)
BODY = st.lists(LINE, max_size=8).map("\n".join)


def row(**values: object) -> OutboxMessage:
    fields = {
        "id": 7,
        "message_id": "<7.roadshow@roadshow.example>",
        "recipient": "anna@firma.example",
        "recipient_name": "Anna Müller",
        "subject": "Bestätigung",
        "text_body": "Guten Tag",
        "html_body": "<p>Guten Tag</p>",
        "ics": None,
        "ics_method": None,
        "headers": {},
        "images": [],
    }
    fields.update(values)
    return OutboxMessage(**fields)


def letters(text: str) -> str:
    return "".join(text.split())


def wire(message: OutboxMail) -> bytes:
    data = message.as_bytes()
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    return data


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(name=LINE, subject=LINE, text=BODY, html=BODY, extra=LINE)
def test_what_is_typed_is_what_a_mail_client_reads(app, name, subject, text, html, extra):
    ics = "BEGIN:VCALENDAR\r\nSUMMARY:" + subject.replace("\r", "") + "\r\nEND:VCALENDAR\r\n"
    message = OutboxMail(
        row(
            recipient_name=name,
            subject=subject,
            text_body=text,
            html_body="<p>" + html,
            ics=ics,
            ics_method="REQUEST",
            headers={"X-Roadshow-Note": " ".join(extra.replace("\0", "").split())},
        ),
        sender=SENDER,
    )
    read = message_from_bytes(wire(message), policy=default)
    # A long subject or name travels as several encoded words, which Python's folding and
    # parser may join with a space or none (a space right after a character outside the
    # BMP, e.g. an emoji, can go): the letters must all arrive, in their order.
    assert letters(str(read["Subject"])) == letters(subject)
    assert letters(read["To"].addresses[0].display_name) == letters(name)
    assert read["To"].addresses[0].addr_spec == "anna@firma.example"
    assert read["From"].addresses[0].display_name == "Roadshow der IHK München"
    assert letters(str(read["X-Roadshow-Note"])) == letters(extra)
    assert read["Message-ID"] == "<7.roadshow@roadshow.example>"
    plain = read.get_body(("plain",))
    shown = read.get_body(("html",))
    assert plain is not None and shown is not None
    normal = "\n".join(text.replace("\r\n", "\n").replace("\r", "\n").splitlines())
    assert "\n".join(plain.get_content().splitlines()) == normal
    assert "\n".join(shown.get_content().splitlines()) == "\n".join(
        ("<p>" + html).replace("\r\n", "\n").replace("\r", "\n").splitlines()
    )
    calendars = [p for p in read.walk() if p.get_content_type() == "text/calendar"]
    assert [p.get_param("method") for p in calendars] == ["REQUEST"]
    assert calendars[0].get_payload(decode=True) == ics.encode("utf-8")
    [attachment] = [p for p in read.walk() if p.get_content_type() == "application/ics"]
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == ics.encode("utf-8")


def test_pictures_travel_inline_beside_the_html(app):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    picture = {"cid": "ticket-7@roadshow.example", "type": "image/png"}
    picture["data"] = base64.b64encode(png).decode()
    message = OutboxMail(
        row(html_body='<img src="cid:ticket-7@roadshow.example">', images=[picture]),
        sender=SENDER,
    )
    read = message_from_bytes(wire(message), policy=default)
    [related] = [p for p in read.walk() if p.get_content_type() == "multipart/related"]
    html, image = related.get_payload()
    assert html.get_content_type() == "text/html"
    assert image["Content-ID"] == "<ticket-7@roadshow.example>"
    assert image.get_content_disposition() == "inline"
    assert image.get_payload(decode=True) == png
