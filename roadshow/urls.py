"""Absolute links for mail, feeds and the API, from ``ROADSHOW_BASE_URL``.

Works inside and outside a request (the mail worker and CLI commands have none).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values: Any) -> str:
    """``https://roadshow.example.org/events/weilheim`` for ``url_for``-style arguments."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def webcal_url(https_url: str) -> str:
    """The ``webcal://`` form of a feed URL, which calendar apps open as a subscription."""
    return "webcal://" + https_url.split("://", 1)[1]
