"""Changes as the audit log keeps them: field, old and new, in plain JSON."""

from __future__ import annotations

from typing import Any


def changed_fields(obj: Any, values: dict[str, Any]) -> list[dict[str, Any]]:
    """Set ``values`` on ``obj``; the changes as the audit log keeps them, old and new
    (plain JSON: dates as ISO text, enums by value). Unchanged values are left out, and
    "" and None count as the same nothing (an empty form field)."""
    changes = []
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new and not (old in ("", None) and new in ("", None)):
            changes.append({"field": name, "old": _plain(old), "new": _plain(new)})
        setattr(obj, name, new)
    return changes


def _plain(value: Any) -> Any:
    if value == "":
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value") and not isinstance(value, (int, float, str)):
        return value.value
    return value
