"""Where composed messages go: an SMTP server through Flask-Mail, or ``.eml`` files.

One transport is opened per batch and reused for every message in it: a new SMTP
connection (TCP, greeting, EHLO, maybe STARTTLS and login) per message would cost more
than the message itself.
"""

from __future__ import annotations

import os
import smtplib
from pathlib import Path
from typing import Protocol

from flask import Flask
from flask_mail import BadHeaderError, Connection

from roadshow.extensions import mail
from roadshow.mail.message import OutboxMail
from roadshow.settings import MailSettings


class Transport(Protocol):
    def send(self, message: OutboxMail) -> None: ...

    def close(self) -> None: ...


class SmtpTransport(Connection):
    """Flask-Mail's connection, with a socket timeout so that a hung server cannot hang us.

    Built from the mail settings, and it always sends: a worker that only pretended to
    send would mark messages sent that never left.
    """

    def __init__(self, settings: MailSettings) -> None:
        state = mail.init_mail(
            {
                "MAIL_SERVER": settings.server,
                "MAIL_PORT": settings.port,
                "MAIL_USE_TLS": settings.use_tls,
                "MAIL_USE_SSL": settings.use_ssl,
                "MAIL_USERNAME": settings.username,
                "MAIL_PASSWORD": settings.password,
                "MAIL_DEFAULT_SENDER": settings.default_sender,
            },
            debug=False,
            testing=False,
        )
        state.suppress = False
        # Flask-Mail annotates Mail here, but passes its per-app state (_Mail) itself.
        super().__init__(state)  # type: ignore[arg-type]
        self.timeout = settings.timeout
        self.host = self.configure_host()

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        host: smtplib.SMTP
        server, port = str(self.mail.server), int(self.mail.port)
        if self.mail.use_ssl:
            host = smtplib.SMTP_SSL(server, port, timeout=self.timeout)
        else:
            host = smtplib.SMTP(server, port, timeout=self.timeout)
        try:
            if self.mail.use_tls:
                host.starttls()
            if self.mail.username and self.mail.password:
                host.login(self.mail.username, self.mail.password)
        except BaseException:
            host.close()
            raise
        return host

    def close(self) -> None:
        host, self.host = self.host, None
        if host is None:
            return
        try:
            host.quit()
        except (smtplib.SMTPException, OSError):
            host.close()  # the server already hung up: nothing more to say


class EmlFolderTransport:
    """Writes each message as ``<instance>/mail/<date>-<row id>.eml`` (no SMTP server set).

    Files appear whole or not at all (written aside, then renamed), so a mail client or a
    person looking at the folder never sees half a message.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def send(self, message: OutboxMail) -> None:
        if message.has_bad_headers():
            raise BadHeaderError
        stamp = message.sent_date.strftime("%Y%m%d-%H%M%S")
        target = self.folder / f"{stamp}-{message.row_id:06d}.eml"
        partial = target.with_suffix(".eml.part")
        partial.write_bytes(message.as_bytes())
        os.replace(partial, target)

    def close(self) -> None:
        pass


def eml_folder(app: Flask) -> Path:
    return Path(app.instance_path) / "mail"


def open_transport(settings: MailSettings, folder: Path) -> Transport:
    """SMTP when ``MAIL_SERVER`` is set, else ``.eml`` files in ``folder``."""
    if settings.uses_smtp:
        return SmtpTransport(settings)
    return EmlFolderTransport(folder)
