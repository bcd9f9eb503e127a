"""Personal data (DSGVO): what is stored about a person, erasing it, the retention period.

This domain sits above the others: it reads and scrubs the rows of every domain that holds
addresses (registrations, calendar subscriptions, the outbox, accounts and the audit log),
and no domain imports it.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from roadshow.privacy.cli import privacy

    app.cli.add_command(privacy)
