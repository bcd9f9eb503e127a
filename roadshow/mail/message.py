"""Composing one outbox row into the message that goes on the wire.

Flask-Mail builds ``multipart/alternative`` parts from ``alts``, but it gives a calendar
part no ``method=`` parameter, and without it Outlook shows a plain attachment instead of
an invitation (RFC 6047 §2.4 requires the parameter, equal to the METHOD inside). So
``OutboxMail`` keeps Flask-Mail's sending (connection, envelope, signals) and replaces only
how the MIME tree is built:

    multipart/mixed
      multipart/alternative
        text/plain; charset=utf-8
        text/html; charset=utf-8
        text/calendar; charset=utf-8; method=REQUEST      (the invitation clients act on)
      application/ics; name=invite.ics                     (the same calendar, to download)

A message with pictures in its HTML (a ticket's QR code) wraps the HTML with them in
``multipart/related``, each picture ``inline`` with its ``Content-ID``, so that
``<img src="cid:…">`` shows it without loading anything from the web:

        multipart/related
          text/html; charset=utf-8
          image/png; Content-ID: <ticket-7@example.org>

The attachment is ``application/ics``, not a second ``text/calendar``: that is how Gmail
sends invitations, and it keeps clients that act on every ``text/calendar`` part from
processing the invitation twice, while mail clients without calendar support still offer
the file to open.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any, cast

from flask_mail import Message

from roadshow.mail.addresses import display_name
from roadshow.mail.models import OutboxMessage

# RFC 5322 field names: printable US-ASCII except the colon.
HEADER_NAME = re.compile(r"^[!-9;-~]+$")
# Headers the composer writes itself; a row's extra headers may not replace them.
RESERVED_HEADERS = frozenset(
    {
        "bcc",
        "cc",
        "content-disposition",
        "content-transfer-encoding",
        "content-type",
        "date",
        "from",
        "message-id",
        "mime-version",
        "return-path",
        "sender",
        "subject",
        "to",
    }
)


class UnsafeHeaderError(ValueError):
    """A header name or value would break the message's structure (e.g. CR/LF injection)."""


def check_extra_headers(headers: dict[str, Any]) -> dict[str, str]:
    """``headers`` as safe strings, or ``UnsafeHeaderError`` saying which one is not."""
    checked = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not HEADER_NAME.match(name):
            raise UnsafeHeaderError(f"invalid header name {name!r}")
        if name.lower() in RESERVED_HEADERS:
            raise UnsafeHeaderError(f"header {name!r} is set by the composer")
        text = str(value)
        if "\r" in text or "\n" in text or "\0" in text:
            raise UnsafeHeaderError(f"line break in the value of header {name!r}")
        checked[name] = text
    return checked


def ascii_address(email: str) -> str:
    """The address with its domain in IDNA form, as SMTP without SMTPUTF8 needs it."""
    local, _, domain = email.rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise UnsafeHeaderError(f"cannot encode the domain of {email!r}") from error
    if not local.isascii():
        raise UnsafeHeaderError(f"non-ASCII local part in {email!r} needs SMTPUTF8")
    return f"{local}@{domain}"


class OutboxMail(Message):
    """A Flask-Mail ``Message`` for one outbox row, with iMIP parts where it has a calendar."""

    def __init__(self, row: OutboxMessage, *, sender: str, date: datetime | None = None) -> None:
        self.row_id = row.id
        self.recipient_name = display_name(row.recipient_name or "")
        self.recipient_address = ascii_address(row.recipient)
        # iCalendar lines end in CRLF (RFC 5545 §3.1), whatever the database kept.
        self.calendar = re.sub(r"\r?\n", "\r\n", row.ics).encode("utf-8") if row.ics else None
        self.calendar_method = (row.ics_method or "REQUEST").upper()
        self.sent_date = (date or datetime.now(UTC)).astimezone(UTC)
        self.images = list(row.images or [])
        super().__init__(
            subject=row.subject,
            recipients=[self.recipient_address],
            body=row.text_body,
            html=row.html_body,
            sender=sender,
            date=self.sent_date.timestamp(),
            extra_headers=check_extra_headers(row.headers or {}),
        )
        # Fixed when the row was queued, so that a retried delivery carries the same one.
        self.msgId = row.message_id

    def has_bad_headers(self) -> bool:
        if super().has_bad_headers():
            return True
        try:
            check_extra_headers(self.extra_headers or {})
        except UnsafeHeaderError:
            return True
        return False

    def _message(self) -> EmailMessage:  # type: ignore[override]
        message = EmailMessage(policy=SMTP)
        message["Subject"] = display_name(self.subject)
        message["From"] = str(self.sender)
        message["To"] = Address(display_name=self.recipient_name, addr_spec=self.recipient_address)
        message["Date"] = format_datetime(self.sent_date)
        message["Message-ID"] = self.msgId
        message["MIME-Version"] = "1.0"
        # RFC 3834: out-of-office robots should not answer a confirmation or a reminder.
        message["Auto-Submitted"] = "auto-generated"
        for name, value in (self.extra_headers or {}).items():
            message[name] = value

        # Parts are MIMEParts: only the top level carries MIME-Version.
        texts = [_text_part(self.body or "", "plain")]
        if self.html:
            texts.append(self._html_part())
        if self.calendar is None:
            message.make_alternative()
            for part in texts:
                message.attach(part)
            return message
        alternative = _new_part()
        alternative.make_alternative()
        for part in texts:
            alternative.attach(part)
        # Base64 keeps the calendar's CRLF line ends and folding byte for byte.
        inline = _new_part()
        inline.set_content(
            self.calendar,
            maintype="text",
            subtype="calendar",
            cte="base64",
            params={"charset": "utf-8", "method": self.calendar_method},
        )
        alternative.attach(inline)
        attachment = _new_part()
        attachment.set_content(
            self.calendar,
            maintype="application",
            subtype="ics",
            cte="base64",
            disposition="attachment",
            filename="invite.ics",
            params={"name": "invite.ics"},
        )
        message.make_mixed()
        message.attach(alternative)
        message.attach(attachment)
        return message

    def _html_part(self) -> EmailMessage:
        html = _text_part(self.html or "", "html")
        if not self.images:
            return html
        related = _new_part()
        related.make_related()
        related.attach(html)
        for image in self.images:
            maintype, _slash, subtype = image["type"].partition("/")
            part = _new_part()
            part.set_content(
                base64.b64decode(image["data"]),
                maintype=maintype,
                subtype=subtype,
                cte="base64",
                disposition="inline",
                cid=f"<{image['cid']}>",
            )
            related.attach(part)
        return related


def _new_part() -> EmailMessage:
    # A MIMEPart, unlike an EmailMessage, adds no MIME-Version header of its own; typeshed
    # lets only EmailMessage be attached, though both work alike.
    return cast(EmailMessage, MIMEPart(policy=SMTP))


def _text_part(text: str, subtype: str) -> EmailMessage:
    part = _new_part()
    # Quoted-printable: readable in an .eml file, safe through any 7-bit relay.
    part.set_content(text, subtype=subtype, charset="utf-8", cte="quoted-printable")
    return part
