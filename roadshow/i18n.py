"""Languages (German first, English), time zones and date formatting in pages and mail."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from flask import Flask, current_app, has_request_context, redirect, request, session, url_for
from flask_babel import format_date, format_datetime, format_time, get_locale
from werkzeug.wrappers import Response

from roadshow.extensions import babel

PACKAGE = Path(__file__).resolve().parent


def select_locale() -> str:
    """The visitor's explicit choice, else German (outside requests: German)."""
    if not has_request_context():
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    choice = request.args.get("lang") or session.get("lang")
    if choice in current_app.config["LANGUAGES"]:
        return str(choice)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def translation_directories() -> str:
    """Each domain package keeps its own ``translations`` folder; Flask-Babel merges them."""
    folders = sorted(str(p) for p in PACKAGE.glob("**/translations") if p.is_dir())
    return ";".join(folders) or str(PACKAGE / "translations")


def local_datetime(value: datetime, timezone: str | None = None) -> datetime:
    zone = ZoneInfo(timezone or current_app.config["TIMEZONE"])
    return value.astimezone(zone)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", translation_directories())
    babel.init_app(app, locale_selector=select_locale)

    @app.get("/language/<lang>")
    def set_language(lang: str) -> Response:
        if lang in app.config["LANGUAGES"]:
            session["lang"] = lang
        target = request.args.get("next", "")
        # Only local paths: an open redirect would let others borrow our domain.
        if not target.startswith("/") or target.startswith("//"):
            target = url_for("events.index")
        return redirect(target)

    @app.template_filter("local_date")
    def _local_date(value: datetime, timezone: str | None = None, fmt: str = "full") -> str:
        return format_date(local_datetime(value, timezone), fmt, rebase=False)

    @app.template_filter("local_skeleton")
    def _local_skeleton(
        value: datetime, timezone: str | None = None, skeleton: str = "yMMMEd"
    ) -> str:
        """A date in the visitor's language, e.g. ``yMMMEd``: "Di., 6. Apr. 2027"."""
        return format_skeleton(skeleton, local_datetime(value, timezone), locale=get_locale())

    @app.template_filter("local_time")
    def _local_time(value: datetime, timezone: str | None = None) -> str:
        return format_time(local_datetime(value, timezone), "HH:mm", rebase=False)

    @app.template_filter("local_datetime")
    def _local_datetime(value: datetime, timezone: str | None = None, fmt: str = "medium") -> str:
        return format_datetime(local_datetime(value, timezone), fmt, rebase=False)

    @app.context_processor
    def _language() -> dict[str, object]:
        return {"current_language": str(get_locale() or "de"), "languages": app.config["LANGUAGES"]}
