"""Rendering emails from ``emails/<domain>/<name>.{subject.txt,txt,html}``.

Templates are German and translated through the same catalogues as the pages; they render
in the recipient's language, inside or outside a request. Every template sees the
``letterhead`` (the site's name, the organiser's name and address, the imprint's URL, the
logo) that ``mail/layout.html`` and ``mail/layout.txt`` put around the content.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

import jinja2
from flask import current_app
from flask_babel import force_locale

from roadshow.config import resource_folder
from roadshow.settings import settings
from roadshow.site import site_name
from roadshow.urls import url_adapter

IMPRINT_PATH = "/impressum"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _environment() -> jinja2.Environment:
    app = current_app
    env = app.extensions.get("roadshow_mail_jinja")
    if env is None:
        # Folders in MAIL_TEMPLATE_FOLDERS come first: a chamber adapts a text or its
        # letterhead by placing a template of the same name there.
        folders = [*settings().mail.template_folders, str(resource_folder("emails"))]
        env = app.jinja_env.overlay(
            loader=jinja2.FileSystemLoader(folders),
            autoescape=jinja2.select_autoescape(["html"], default_for_string=False),
        )
        app.extensions["roadshow_mail_jinja"] = env
    return env


@dataclass(frozen=True)
class Logo:
    """The logo picture sent along with a message, and the size to show it at."""

    cid: str
    width: int
    height: int

    MAX_WIDTH = 200
    MAX_HEIGHT = 48

    @classmethod
    def fitted(cls, cid: str, width: int, height: int) -> Logo:
        """At most 200 x 48 pixels, keeping the proportions (Outlook needs both sizes)."""
        scale = min(1.0, cls.MAX_WIDTH / width, cls.MAX_HEIGHT / height)
        return cls(cid, max(1, round(width * scale)), max(1, round(height * scale)))


@dataclass(frozen=True)
class Letterhead:
    """What the layout shows above and below every message."""

    site_name: str
    organizer_name: str
    organizer_email: str
    imprint_url: str | None  # None: the site has no imprint page
    logo: Logo | None  # None: no logo, the header shows the name alone


def imprint_url() -> str | None:
    """The imprint page's absolute URL, if the application serves one."""
    adapter = url_adapter(settings().base_url)
    for rule in current_app.url_map.iter_rules():
        if rule.rule == IMPRINT_PATH and "GET" in (rule.methods or ()):
            return str(adapter.build(rule.endpoint, {}, force_external=True))
    return None


def letterhead(logo: Logo | None = None) -> Letterhead:
    current = settings()
    sender_name, _address = parseaddr(current.mail.default_sender)
    return Letterhead(
        site_name=site_name(),
        organizer_name=current.organizer_name or sender_name,
        organizer_email=current.organizer_email,
        imprint_url=imprint_url(),
        logo=logo,
    )


def render_email(
    template: str, language: str, *, logo: Logo | None = None, **context: Any
) -> RenderedEmail:
    """Render ``template`` (e.g. ``registrations/confirmed``) in ``language``;
    ``logo`` is the logo picture sent along with the message, if any."""
    env = _environment()
    context = {"language": language, "letterhead": letterhead(logo), **context}
    with force_locale(language):
        subject = env.get_template(f"{template}.subject.txt").render(**context)
        content = env.get_template(f"{template}.txt").render(**context)
        # The text part gets the same header and footer as the HTML part's layout.
        text = env.get_template("mail/layout.txt").render(content=content.strip(), **context)
        html = env.get_template(f"{template}.html").render(**context)
    # A subject is one line: a newline from user text must not become a header break.
    subject = " ".join(subject.split())
    return RenderedEmail(subject=subject, text=text, html=html)
