"""Bearer tokens for the organiser endpoints of the API.

``Authorization: Bearer <token>`` (from ``flask users token EMAIL``) identifies a user.
No token or a wrong one answers 401 with ``WWW-Authenticate: Bearer``; a user whose role
may not plan events (a partner) answers 403, except at a partner's own report
(``own_partner_api``). Requests with a token carry no cookies, so
they need no CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, jsonify, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from roadshow.accounts.models import User
from roadshow.accounts.services import user_for_api_token
from roadshow.extensions import db

F = TypeVar("F", bound=Callable[..., Any])


def _unauthorised(error: str, message: str) -> Response:
    response = jsonify({"message": message, "errors": {}})
    response.status_code = 401
    realm = 'Bearer realm="roadshow"'
    response.headers["WWW-Authenticate"] = f'{realm}, error="{error}"' if error else realm
    return response


def organisers_api(view: F) -> F:
    """The view answers only requests with an organiser's or admin's valid token."""
    return _token_api(view, partners_too=False)


def own_partner_api(view: F) -> F:
    """The view (with a ``slug`` argument naming a partner) answers organisers and admins,
    and the users of that partner; another partner's user gets 404, as for a partner that
    does not exist, and its token's "last used" stays as it was."""

    def allowed(user: User, arguments: dict[str, Any]) -> bool:
        return user.is_organiser or (
            user.partner is not None and user.partner.slug == arguments.get("slug")
        )

    return _token_api(view, partners_too=True, allowed=allowed)


def _token_api(
    view: F,
    *,
    partners_too: bool,
    allowed: Callable[[User, dict[str, Any]], bool] | None = None,
) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _space, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            return _unauthorised("", _("Bitte melden Sie sich mit einem API-Token an."))
        user = user_for_api_token(db.session, raw.strip())
        if user is None:
            db.session.rollback()
            return _unauthorised("invalid_token", _("Dieses API-Token gilt nicht."))
        if not user.is_organiser and not (partners_too and user.partner_id is not None):
            db.session.rollback()
            response = jsonify(
                {"message": _("Dafür fehlt Ihrem Konto die Berechtigung."), "errors": {}}
            )
            response.status_code = 403
            return response
        if allowed is not None and not allowed(user, kwargs):
            db.session.rollback()
            response = jsonify({"message": _("Diesen Partner gibt es nicht."), "errors": {}})
            response.status_code = 404
            return response
        g.api_user = user
        db.session.commit()  # the token's "last used", also for requests that change nothing
        return view(*args, **kwargs)

    return cast(F, wrapped)


def api_user() -> User:
    """The user whose token authorised this request (inside an ``organisers_api`` view)."""
    return cast(User, g.api_user)
