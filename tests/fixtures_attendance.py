"""The real webinar tools' exports the importer is tested on, and our own edge-case files."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
OWN = Path(__file__).resolve().parent / "data" / "attendance"


def reports_dir() -> Path:
    """``<repo>/../shared/attendance-reports``, else ``/work/shared/attendance-reports``."""
    for candidate in (
        REPO.parent / "shared" / "attendance-reports",
        Path("/work/shared/attendance-reports"),
    ):
        if candidate.is_dir():
            return candidate
    pytest.skip("the real attendance reports (shared/attendance-reports) are not on this machine")


def real_report(name: str) -> bytes:
    return (reports_dir() / name).read_bytes()


def own_report(name: str) -> bytes:
    return (OWN / name).read_bytes()
