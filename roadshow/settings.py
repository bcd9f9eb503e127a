"""The settings services act on, typed and read once from ``app.config`` at start-up.

``config.py`` says where values come from (defaults, ``ROADSHOW_*`` variables); this
module says what code may rely on. Services read ``settings()`` (or take a value as an
argument) instead of looking into ``current_app.config``, so that every setting that
changes behaviour is named here, with its type, and a change of ``app.config`` after
start-up has no effect until ``load_settings`` runs again.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app

EXTENSION_KEY = "roadshow.settings"


@dataclass(frozen=True)
class MailSettings:
    """How and when the outbox is delivered (see ``Config`` for what each one means)."""

    server: str | None
    port: int
    use_tls: bool
    use_ssl: bool
    username: str | None
    password: str | None
    default_sender: str
    timeout: float
    batch_size: int
    max_attempts: int
    retry_base_seconds: float
    retry_max_seconds: float
    stale_seconds: int
    deliver_after_request: bool
    template_folders: tuple[str, ...]

    @property
    def uses_smtp(self) -> bool:
        """False: messages are written as ``.eml`` files (no SMTP server configured)."""
        return bool(self.server)


@dataclass(frozen=True)
class Settings:
    env: str
    secret_key: str
    base_url: str
    timezone: str
    organizer_email: str
    organizer_name: str
    site_name: str  # the header's, the titles' and the mails' name of the site
    imprint_text: str | None  # None: imprint.txt in the instance folder, if there is one
    privacy_text: str | None
    mail: MailSettings
    retention_days: int  # personal data of events that ended longer ago is erased

    @property
    def mail_domain(self) -> str:
        """The domain of Message-IDs and Content-IDs: the sender's, as providers expect
        (a Message-ID on another domain than From's scores as spam); the site's host name
        only when the sender address has no domain."""
        _name, address = parseaddr(self.mail.default_sender)
        domain = address.rpartition("@")[2].strip().strip(".")
        if "@" in address and domain and domain.isprintable() and " " not in domain:
            return domain.lower()
        return urlsplit(self.base_url).hostname or "roadshow.localhost"

    @classmethod
    def from_config(cls, config: Any) -> Settings:
        env = str(config["ENV"])
        deliver_after_request = config.get("MAIL_DELIVER_AFTER_REQUEST")
        return cls(
            env=env,
            secret_key=str(config["SECRET_KEY"]),
            base_url=str(config["BASE_URL"]),
            timezone=str(config["TIMEZONE"]),
            organizer_email=str(config["ORGANIZER_EMAIL"]),
            organizer_name=str(config["ORGANIZER_NAME"]),
            site_name=str(config.get("SITE_NAME") or config["ORGANIZER_NAME"]),
            imprint_text=config.get("IMPRINT_TEXT") or None,
            privacy_text=config.get("PRIVACY_TEXT") or None,
            mail=MailSettings(
                server=config.get("MAIL_SERVER") or None,
                port=int(config["MAIL_PORT"]),
                use_tls=bool(config["MAIL_USE_TLS"]),
                use_ssl=bool(config["MAIL_USE_SSL"]),
                username=config.get("MAIL_USERNAME") or None,
                password=config.get("MAIL_PASSWORD") or None,
                default_sender=str(config["MAIL_DEFAULT_SENDER"]),
                timeout=float(config["MAIL_TIMEOUT"]),
                batch_size=int(config["MAIL_BATCH_SIZE"]),
                max_attempts=int(config["MAIL_MAX_ATTEMPTS"]),
                retry_base_seconds=float(config["MAIL_RETRY_BASE_SECONDS"]),
                retry_max_seconds=float(config["MAIL_RETRY_MAX_SECONDS"]),
                stale_seconds=int(config["MAIL_STALE_SECONDS"]),
                # Unset: deliver right after the response only in development (make run).
                deliver_after_request=env == "development"
                if deliver_after_request is None
                else bool(deliver_after_request),
                template_folders=tuple(str(f) for f in config.get("MAIL_TEMPLATE_FOLDERS", [])),
            ),
            retention_days=int(config["RETENTION_DAYS"]),
        )


def load_settings(app: Flask) -> Settings:
    """Build the settings from ``app.config`` (at start-up, and again after a change)."""
    loaded = Settings.from_config(app.config)
    app.extensions[EXTENSION_KEY] = loaded
    return loaded


def settings() -> Settings:
    """The settings of the current application."""
    loaded: Settings = current_app.extensions[EXTENSION_KEY]
    return loaded
