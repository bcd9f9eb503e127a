"""Users, roles, login."""

from __future__ import annotations

from flask import Flask

from roadshow.extensions import db, login_manager


def init_app(app: Flask) -> None:
    from roadshow.accounts import audit, cli, twofactor_views, views  # noqa: F401 - routes
    from roadshow.accounts.models import User

    login_manager.login_view = "accounts.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        # "<id>.<session_version>": a session (or remember cookie) from before a logout or
        # a password change names an older version and logs in no one.
        user_id, _dot, version = session_id.partition(".")
        if not (user_id.isdigit() and version.isdigit()):
            return None
        user = db.session.get(User, int(user_id))
        if user is None or user.session_version != int(version):
            return None
        return user

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.users)
    audit.listen_to_partners()
