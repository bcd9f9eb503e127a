"""Changing the configuration of a running test app, as a restart with new settings would.

Services read the typed settings made at start-up (``roadshow.settings``), never
``app.config`` itself, so a test that changes a value must rebuild them: ``configure``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from roadshow.settings import load_settings


def configure(app: Flask, **values: Any) -> None:
    """Set ``values`` in ``app.config`` and rebuild the settings from it."""
    app.config.update(values)
    load_settings(app)
