"""Roadshow: tours, webinars and workshops for small and medium-sized companies."""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from roadshow.config import load_config, resource_folder
from roadshow.settings import load_settings

__version__ = "0.1.0"


def create_app(config: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build the application. ``config`` overrides the environment (used by tests).

    The instance folder (SQLite database, ``.eml`` files) is ``instance/`` beside the code,
    or ``ROADSHOW_INSTANCE_PATH``.
    """
    app = Flask(
        __name__,
        instance_path=_absolute(instance_path or os.environ.get("ROADSHOW_INSTANCE_PATH")),
        instance_relative_config=True,
        template_folder=str(resource_folder("templates")),
    )
    app.url_map.converters["int"] = DatabaseId
    load_config(app, config)
    load_settings(app)
    hops = int(app.config["PROXY_FIX_HOPS"])
    if hops:
        # Behind a reverse proxy: the client's address (rate limits, consent records)
        # and the original scheme and host come from its X-Forwarded-* headers.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )

    from roadshow import errors, i18n, models  # noqa: F401 - every model registered with SQLAlchemy
    from roadshow.database import configure_sqlite
    from roadshow.extensions import csrf, db, limiter, login_manager, mail, migrate

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(resource_folder("migrations")), render_as_batch=True)
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)

    from roadshow import (
        accounts,
        api,
        attendance,
        backoffice,
        demo,
        events,
        headers,
        pagecache,
        partners,
        portal,
        privacy,
        registrations,
        site,
    )
    from roadshow import calendar as calendar_feeds
    from roadshow.mail import init_app as init_mail_domain

    init_mail_domain(app)
    site.init_app(app)
    partners.init_app(app)
    accounts.init_app(app)
    events.init_app(app)
    registrations.init_app(app)
    attendance.init_app(app)
    calendar_feeds.init_app(app)
    api.init_app(app)
    backoffice.init_app(app)
    privacy.init_app(app)
    portal.init_app(app)
    demo.init_app(app)
    headers.init_app(app)
    pagecache.init_app(app)

    from roadshow import resilience

    resilience.init_app(app)

    from roadshow.urls import external_url

    app.add_template_global(external_url, "external_url")

    from roadshow import backup

    backup.init_app(app)
    app.add_url_rule("/healthz", "healthz", limiter.exempt(healthz))
    return app


def healthz() -> tuple[dict[str, Any], int]:
    """For load balancers and monitoring: 200 when the database answers, with the outbox's
    counts (no personal data); 503 when it does not. Sets no cookie."""
    from flask import current_app

    from roadshow.extensions import db
    from roadshow.mail.health import outbox_health

    try:
        db.session.execute(sa.text("SELECT 1"))
        outbox = outbox_health(db.session)
    except sa.exc.SQLAlchemyError:
        current_app.logger.exception("Health check: the database does not answer")
        return {"status": "error", "database": "error"}, 503
    finally:
        db.session.rollback()  # nothing to keep; end the read transaction at once
    return {"status": "ok", "database": "ok", "outbox": outbox.document()}, 200


class DatabaseId(IntegerConverter):
    """``<int:…>`` in routes: numbers beyond the database's INTEGER name nothing (404),
    instead of reaching the database and failing there."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _absolute(path: str | None) -> str | None:
    return os.path.abspath(path) if path else None
