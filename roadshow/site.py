"""The site as its organiser presents it: its name, its logo, its imprint and privacy notice.

The name comes from ``ROADSHOW_SITE_NAME`` (default: the organiser's name); the logo is a
file in the instance folder (``logo.svg``, else ``logo.png``); the imprint and the privacy
notice are ``ROADSHOW_IMPRINT_TEXT`` / ``ROADSHOW_PRIVACY_TEXT`` or ``imprint.txt`` /
``privacy.txt`` in the instance folder.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask, current_app
from markupsafe import Markup, escape

from roadshow.settings import settings

LOGO_FILES = ("logo.svg", "logo.png")
LOGO_CONTENT_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}


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


def logo_version(path: Path) -> str:
    """Changes whenever the logo file is replaced: its URL can then be cached for long."""
    stat = path.stat()
    return f"{int(stat.st_mtime)}-{stat.st_size}"


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


def paragraphs(text: str | None) -> Markup:
    """Plain text as HTML paragraphs: blank lines separate them, single line breaks stay;
    everything is escaped, so the operator's text can hold no markup."""
    if not text:
        return Markup("")
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n"))]
    line_break = Markup("<br>\n")
    return Markup("\n").join(
        Markup("<p>{}</p>").format(line_break.join(escape(line) for line in block.split("\n")))
        for block in blocks
        if block
    )


def init_app(app: Flask) -> None:
    """The site's name, imprint and privacy texts for every template."""
    app.add_template_global(site_name, "site_name")
    app.add_template_global(imprint_text, "imprint_text")
    app.add_template_global(privacy_text, "privacy_text")
    app.add_template_filter(paragraphs, "paragraphs")
