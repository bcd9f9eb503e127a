"""Company registrations, capacity, waiting list, self-service, invitations, reminders."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from roadshow.mail.cli import mail as mail_commands
    from roadshow.registrations import cli, notifications, views

    app.register_blueprint(views.bp)
    mail_commands.add_command(cli.reminders)
    notifications.listen_to_events()
