"""Users, roles, login."""

from __future__ import annotations

from flask import Flask

from roadshow.extensions import db, login_manager


def init_app(app: Flask) -> None:
    from roadshow.accounts import audit, cli, views
    from roadshow.accounts.models import User

    login_manager.login_view = "accounts.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.users)
    audit.listen_to_partners()
