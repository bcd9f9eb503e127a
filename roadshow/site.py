"""The site as its organiser presents it: its name, its logo, its imprint and privacy notice.

The name comes from ``ROADSHOW_SITE_NAME`` (default: the organiser's name); the logo is a
file in the instance folder (``logo.svg``, else ``logo.png``); the imprint and the privacy
notice are ``ROADSHOW_IMPRINT_TEXT`` / ``ROADSHOW_PRIVACY_TEXT`` or ``imprint.txt`` /
``privacy.txt`` in the instance folder.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from roadshow.settings import settings

LOGO_FILES = ("logo.svg", "logo.png")


def site_name() -> str:
    return settings().site_name


def logo_path() -> Path | None:
    """The organiser's logo file in the instance folder, if there is one."""
    folder = Path(current_app.instance_path)
    for name in LOGO_FILES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def _text(configured: str | None, file_name: str) -> str | None:
    if configured:
        return configured
    candidate = Path(current_app.instance_path) / file_name
    if candidate.is_file():
        return candidate.read_text(encoding="utf-8")
    return None


def imprint_text() -> str | None:
    """The Impressum as the organiser wrote it, or None when none is configured."""
    return _text(settings().imprint_text, "imprint.txt")


def privacy_text() -> str | None:
    """The privacy notice as the organiser wrote it, or None when none is configured."""
    return _text(settings().privacy_text, "privacy.txt")
