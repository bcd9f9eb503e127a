"""Configuration: defaults here, overrides from ``ROADSHOW_*`` environment variables.

Flask's ``from_prefixed_env`` reads every ``ROADSHOW_<NAME>`` variable into ``<NAME>`` and
parses JSON values (``true``, ``5``, ``["a"]``), so any Flask or extension setting can be
given the same way. A few names are friendlier aliases (``DATABASE_URL``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

ENV_PREFIX = "ROADSHOW"
INSECURE_SECRET_KEY = "dev-insecure-change-me"  # noqa: S105 - refused outside development
PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent


def resource_folder(name: str) -> Path:
    """``templates``, ``emails`` or ``migrations``: beside the package in a checkout, inside
    it when installed from a wheel (the build copies them in, see ``setup.py``)."""
    inside = PACKAGE / name
    return inside if inside.is_dir() else ROOT / name


class ConfigurationError(RuntimeError):
    """The configuration is missing something or is unsafe; the message says what."""


class Config:
    """Defaults. Every one of these can be overridden with ``ROADSHOW_<NAME>``."""

    ENV = "production"  # production, development or testing
    SECRET_KEY = INSECURE_SECRET_KEY
    DATABASE_URL: str | None = None  # default: SQLite file in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    BASE_URL = "http://127.0.0.1:5000"
    TIMEZONE = "Europe/Berlin"
    ORGANIZER_EMAIL = "roadshow@example.org"
    ORGANIZER_NAME = "Roadshow"
    # The site as visitors see it: the name in the header, titles and mails (default: the
    # organiser's name); the logo is a file logo.svg or logo.png in the instance folder.
    SITE_NAME: str | None = None
    # The imprint (Impressum) and the privacy notice, as plain text (paragraphs separated
    # by blank lines), or a file imprint.txt / privacy.txt in the instance folder.
    IMPRINT_TEXT: str | None = None
    PRIVACY_TEXT: str | None = None

    MAIL_SERVER: str | None = None  # no SMTP server: messages go to .eml files
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "Roadshow <roadshow@example.org>"
    MAIL_TIMEOUT = 30  # seconds to wait for any SMTP reply
    MAIL_BATCH_SIZE = 50  # messages per claim and per SMTP connection
    MAIL_MAX_ATTEMPTS = 12  # then a message is marked failed (about a day of retries)
    MAIL_RETRY_BASE_SECONDS = 60  # first retry after 30–60 s, doubling each time
    MAIL_RETRY_MAX_SECONDS = 6 * 3600
    MAIL_STALE_SECONDS = 600  # a row "sending" this long belongs to a crashed worker
    MAIL_DELIVER_AFTER_REQUEST: bool | None = None  # None: only in development
    MAIL_TEMPLATE_FOLDERS: list[str] = []  # searched before emails/, to adapt texts

    BABEL_DEFAULT_LOCALE = "de"  # the languages themselves are in i18n.LANGUAGE_NAMES
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"

    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    REGISTRATION_RATE_LIMIT = "20 per minute;200 per hour"
    LOGIN_RATE_LIMIT = "10 per minute"  # per client address
    LOGIN_ACCOUNT_RATE_LIMIT = "5 per minute;30 per hour"  # per email typed, from anywhere
    RESET_LINK_RATE_LIMIT = "5 per minute;20 per hour"  # asking for reset links, per address

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = True
    WTF_CSRF_TIME_LIMIT = None  # a form left open over lunch still submits

    PROXY_FIX_HOPS = 0  # reverse proxies whose X-Forwarded-* headers we trust

    # Days after an event's end until ``flask privacy purge`` erases its people's data.
    RETENTION_DAYS = 365


def load_config(app: Flask, overrides: dict[str, Any] | None = None) -> None:
    """Fill ``app.config`` from defaults, the environment and ``overrides`` (tests)."""
    app.config.from_object(Config)
    app.config.from_prefixed_env(ENV_PREFIX)
    if overrides:
        app.config.update(overrides)

    env = app.config["ENV"]
    if env not in ("production", "development", "testing"):
        raise ConfigurationError(
            f"ROADSHOW_ENV must be production, development or testing, not {env!r}."
        )
    if env != "production":
        app.config["SESSION_COOKIE_SECURE"] = False
        app.config["REMEMBER_COOKIE_SECURE"] = False

    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(app)
    if env == "production" and app.config["SECRET_KEY"] in (INSECURE_SECRET_KEY, "", None):
        raise ConfigurationError(
            "ROADSHOW_SECRET_KEY is not set. Outside development Roadshow refuses to start "
            "with the built-in key, because anyone who knows it can forge sessions and CSRF "
            "tokens. Set ROADSHOW_SECRET_KEY to a long random value, for example the output "
            "of: python3 -c 'import secrets; print(secrets.token_urlsafe(48))' "
            "(for a local trial, ROADSHOW_ENV=development allows the built-in key)."
        )
    if not str(app.config["RETENTION_DAYS"]).isdigit() or int(app.config["RETENTION_DAYS"]) < 1:
        raise ConfigurationError(
            f"ROADSHOW_RETENTION_DAYS must be a whole number of days, at least 1, "
            f"not {app.config['RETENTION_DAYS']!r}."
        )
    if len(str(app.config["SECRET_KEY"])) < 16 and env == "production":
        raise ConfigurationError("ROADSHOW_SECRET_KEY is too short: use at least 32 characters.")


def database_uri(app: Flask) -> str:
    """The SQLAlchemy URL: ``ROADSHOW_DATABASE_URL`` (psycopg 3 for PostgreSQL) or SQLite."""
    url = app.config.get("DATABASE_URL") or app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        os.makedirs(app.instance_path, exist_ok=True)
        return f"sqlite:///{Path(app.instance_path) / 'roadshow.sqlite'}"
    url = str(url)
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
