"""Rendering emails from ``emails/<domain>/<name>.{subject.txt,txt,html}``.

Templates are German and translated through the same catalogues as the pages; they render
in the recipient's language, inside or outside a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jinja2
from flask import current_app
from flask_babel import force_locale

from roadshow.config import resource_folder
from roadshow.settings import settings


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


def render_email(template: str, language: str, **context: Any) -> RenderedEmail:
    """Render ``template`` (e.g. ``registrations/confirmed``) in ``language``."""
    env = _environment()
    context = {"language": language, **context}
    with force_locale(language):
        subject = env.get_template(f"{template}.subject.txt").render(**context)
        text = env.get_template(f"{template}.txt").render(**context)
        html = env.get_template(f"{template}.html").render(**context)
    # A subject is one line: a newline from user text must not become a header break.
    subject = " ".join(subject.split())
    return RenderedEmail(subject=subject, text=text, html=html)
