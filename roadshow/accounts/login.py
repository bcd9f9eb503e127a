"""The steps of a login, shared by the password form and the second-factor form.

``after_password`` runs once the password was right: a user with a second factor goes on
to the code form (the user is remembered in the session as pending, not logged in); the
others are logged in at once. ``complete_login`` is the one place that logs a user in.
"""

from __future__ import annotations

import time

from flask import redirect, session, url_for
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from roadshow.accounts.models import User
from roadshow.database import DBSession
from roadshow.web import local_target

PENDING_KEY = "login_pending"  # {"user": "<id>.<session_version>", "next": "/…", "at": …}


def start_page(user: User) -> str:
    """Where a user lands after logging in: staff in the back office, partners in theirs."""
    return "backoffice.dashboard" if user.is_organiser else "portal.index"


def after_password(session_db: DBSession, user: User, next_url: str | None) -> Response:
    """The password was right: ask for the second factor, or log the user in."""
    target = local_target(next_url, start_page(user))
    if user.totp_enabled_at is not None:
        session[PENDING_KEY] = {"user": user.get_id(), "next": target, "at": time.time()}
        return redirect(url_for("accounts.second_factor"))
    complete_login(session_db, user)
    return redirect(target)


def complete_login(session_db: DBSession, user: User) -> None:
    """Log ``user`` in for this browser (a fresh session: no fixation)."""
    session.pop(PENDING_KEY, None)
    session_db.commit()
    login_user(user)


def end_sessions(session_db: DBSession, user: User) -> None:
    """Log ``user`` out everywhere: every session and remember cookie stops working."""
    user.session_version += 1
    session_db.commit()
    logout_user()
