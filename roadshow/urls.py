"""Absolute links for mail, feeds and the API, from ``ROADSHOW_BASE_URL``.

Works inside and outside a request (the mail worker and CLI commands have none).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import MapAdapter

from roadshow.settings import settings


def url_adapter(base_url: str) -> MapAdapter:
    """The app's URL map bound to ``base_url``, for absolute URLs without a request.

    Bound once per app and base URL (binding costs more than building a URL, and a feed
    builds thousands); an adapter only reads its state, so threads share it.
    """
    adapters: dict[str, MapAdapter] = current_app.extensions.setdefault("roadshow.urls", {})
    adapter = adapters.get(base_url)
    if adapter is None:
        base = urlsplit(base_url)
        adapter = current_app.url_map.bind(
            base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
        )
        adapters[base_url] = adapter
    return adapter


def external_url(endpoint: str, **values: Any) -> str:
    """``https://roadshow.example.org/events/weilheim`` for ``url_for``-style arguments."""
    adapter = url_adapter(settings().base_url)
    return adapter.build(endpoint, values, force_external=True)


def webcal_url(https_url: str) -> str:
    """The ``webcal://`` form of a feed URL, which calendar apps open as a subscription."""
    return "webcal://" + https_url.split("://", 1)[1]
