"""Organiser endpoints: tours, venues and events (create, change, publish, cancel, impact)."""

from __future__ import annotations

from typing import Any

from roadshow.api.views import bp  # noqa: F401  (the routes below join the API blueprint)


def openapi_part() -> dict[str, Any]:
    """The paths and schemas of these endpoints for the OpenAPI document."""
    return {"paths": {}, "schemas": {}}
