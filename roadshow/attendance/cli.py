"""``flask attendance …``: webinar reports imported from the command line."""

from __future__ import annotations

import click


@click.group()
def attendance() -> None:
    """Attendance: import the reports of webinar tools."""
