"""Public pages kept as rendered, keyed by what they are made of.

The public listing, an event's page, a tour's page, the public API's event list and the
public calendar feeds (all events, filtered, one event's ``.ics``) are the same for every
anonymous visitor until something they are made of changes. Each worker keeps the answers it
rendered (a bounded LRU) under a key of the page's full path, its language, the minute and
the **content version**: one row (``content_version``) that every commit which changed a
tour, venue, series, event, partner, an event's partners, a registration or an attendee
counts up, in the same transaction (``before_commit``, so the row is locked for the last
moment of a transaction only, and always last, which cannot deadlock). A registration
therefore shows in the seats left at once, in every worker; a page is never older than its
data. The minute in the key lets events that have ended drop out of the listing, and
registration windows open and close, within a minute without any write.

What is never kept: answers for somebody logged in, a page with a flashed message, anything
but a 200, an answer that sets a cookie. Every kept answer carries an ETag (a feed its own)
and ``Cache-Control: no-cache`` (a feed its own): a browser or calendar asks again each time
and gets a 304 when nothing changed.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    SessionTransaction,
    UOWTransaction,
    mapped_column,
)
from werkzeug.http import is_resource_modified, parse_date, unquote_etag

from roadshow.database import Base, utcnow
from roadshow.settings import EXTENSION_KEY as SETTINGS_KEY
from roadshow.settings import settings

# Endpoints whose anonymous GET answers are kept.
CACHED_ENDPOINTS = frozenset(
    {
        "events.index",
        "events.detail",
        "events.tour",
        "api.events",
        "calendar.public_feed",
        "calendar.event_ics",
    }
)
# Bounds of what one worker keeps: entries, bytes in all, bytes of one answer.
MAX_ENTRIES = 512
MAX_BYTES = 64 * 1024 * 1024
MAX_BODY_BYTES = 4 * 1024 * 1024
CHANGED = "roadshow_content_changed"


class ContentVersion(Base):
    """One row: counted up by every commit that changed what public pages show."""

    __tablename__ = "content_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)


# The models whose changes public pages show; named by the model registry
# (``roadshow.models``), as this shared module imports no domain.
_tracked: tuple[type, ...] = ()


def track(*models: type) -> None:
    """Count every change of these models' rows as a change of the public pages."""
    global _tracked
    _tracked = (*_tracked, *(m for m in models if m not in _tracked))


# -- counting changes --------------------------------------------------------------------------


def _after_flush(session: Session, context: UOWTransaction) -> None:
    if session.info.get(CHANGED):
        return
    tracked = _tracked
    if any(isinstance(o, tracked) for o in (*session.new, *session.deleted)) or any(
        isinstance(o, tracked) and session.is_modified(o, include_collections=False)
        for o in session.dirty
    ):
        session.info[CHANGED] = True


def _on_execute(state: ORMExecuteState) -> None:
    """ORM-enabled ``update()``/``delete()`` statements bypass the flush."""
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper and issubclass(mapper.class_, _tracked):
        state.session.info[CHANGED] = True


def _before_commit(session: Session) -> None:
    # The commit flushes what is pending only after this hook: flush it here, so that the
    # changes it holds are seen (``_after_flush``) and counted in this transaction.
    if session.new or session.dirty or session.deleted:
        session.flush()
    if not session.info.pop(CHANGED, False):
        return
    connection = session.connection()
    dialect = connection.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = sa.table("content_version", sa.column("id"), sa.column("value"))
    statement = insert(table).values(id=1, value=1)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.id], set_={"value": table.c.value + 1}
    )
    connection.execute(statement)


def _forget(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ended without ``before_commit`` counting it was rolled back: its
    changes are gone. Only the outermost one: a savepoint rolled back inside leaves the
    changes made before it."""
    if transaction.parent is None:
        session.info.pop(CHANGED, None)


VERSION_QUERY = "SELECT value FROM content_version WHERE id = 1"


def content_version(engine: sa.Engine) -> int:
    """The current content version (0 before anything was counted)."""
    with engine.connect() as connection:
        return int(connection.exec_driver_sql(VERSION_QUERY).scalar() or 0)


# -- keeping pages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kept:
    body: bytes
    headers: tuple[tuple[str, str], ...]  # the view's own (type, ETag, Cache-Control, …)


class PageCache:
    """A bounded LRU of rendered answers, one per worker process (thread-safe)."""

    def __init__(self, size: int = MAX_ENTRIES) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[Any, ...], Kept] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = self.misses = 0
        self.bytes = 0
        self._version_engine: sa.Engine | None = None

    def version(self, engine: sa.Engine) -> int | None:
        """The content version, read as cheaply as the database allows: all a kept page
        costs. On PostgreSQL through a small engine of its own in autocommit, without the
        main pool's ping on checkout and rollback on return (one round trip instead of
        four); a connection that died is given up and the page rendered as usual (None)."""
        if engine.dialect.name == "sqlite":
            return content_version(engine)
        if self._version_engine is None:
            with self.lock:
                if self._version_engine is None:
                    self._version_engine = sa.create_engine(
                        engine.url,
                        isolation_level="AUTOCOMMIT",
                        pool_size=1,
                        max_overflow=4,
                        pool_pre_ping=False,
                    )
                    # Its connections closed when the app goes (or the process ends).
                    weakref.finalize(self, self._version_engine.dispose)
        try:
            return content_version(self._version_engine)
        except sa.exc.DBAPIError:
            self._version_engine.dispose()
            return None

    def dispose(self) -> None:
        if self._version_engine is not None:
            self._version_engine.dispose()

    def get(self, key: tuple[Any, ...]) -> Kept | None:
        with self.lock:
            kept = self.entries.get(key)
            if kept is None:
                self.misses += 1
                return None
            self.entries.move_to_end(key)
            self.hits += 1
            return kept

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.bytes = 0

    def put(self, key: tuple[Any, ...], kept: Kept) -> None:
        if len(kept.body) > MAX_BODY_BYTES:
            return  # e.g. a feed of thousands of events: built each time, not kept
        with self.lock:
            previous = self.entries.pop(key, None)
            if previous is not None:
                self.bytes -= len(previous.body)
            self.entries[key] = kept
            self.bytes += len(kept.body)
            while len(self.entries) > self.size or self.bytes > MAX_BYTES:
                _key, dropped = self.entries.popitem(last=False)
                self.bytes -= len(dropped.body)


def page_cache(app: Flask | None = None) -> PageCache:
    cache: PageCache = (app or current_app).extensions["roadshow_pagecache"]
    return cache


def _key() -> tuple[Any, ...] | None:
    if request.method not in ("GET", "HEAD") or request.endpoint not in CACHED_ENDPOINTS:
        return None
    if current_user.is_authenticated or session.get("_flashes"):
        return None
    from roadshow.extensions import db

    version = request.environ.get(VERSION_READ)
    if version is None:
        version = page_cache().version(db.engine)
    if version is None:
        return None
    minute = int(utcnow().timestamp() // 60)
    # The base URL is in every absolute link (feeds, calendar links); it is the same for a
    # process's life except where a test changes it.
    return (request.full_path, str(get_locale()), settings().base_url, version, minute)


def _serve_kept() -> Response | None:
    key = _key()
    g.roadshow_page_key = key
    if key is None:
        return None
    kept = page_cache().get(key)
    if kept is None:
        return None
    g.roadshow_page_key = None  # served as kept: nothing to keep afterwards
    request.environ[KEEPABLE] = True
    response = Response(kept.body, headers=list(kept.headers))
    response.make_conditional(request)
    return response


def _keep(response: Response) -> Response:
    key = g.pop("roadshow_page_key", None)
    if key is None or response.status_code != 200 or response.is_streamed:
        return response
    if "Set-Cookie" in response.headers:
        return response
    body = response.get_data()
    if "ETag" not in response.headers:  # a feed knows its own; a page gets one of its body
        response.set_etag(hashlib.blake2b(body, digest_size=12).hexdigest())
    response.headers.setdefault("Cache-Control", "no-cache")
    response.vary.add("Cookie")  # the language chosen is kept in the session
    headers = tuple((k, v) for k, v in response.headers.items() if k not in UNKEPT_HEADERS)
    page_cache().put(key, Kept(body, headers))
    request.environ[KEEPABLE] = True
    response.make_conditional(request)
    return response


# Set again for every answer (the length by werkzeug, the rest by later hooks).
UNKEPT_HEADERS = frozenset({"Content-Length", "Set-Cookie", "Date"})


# -- before Flask: visitors without a cookie ------------------------------------------------
#
# A calendar app polling a feed, an API client, a first visit: no cookie, so no session,
# no login and no language but the one in the path. Their kept answers (the final ones, every
# header included) are served by a WSGI layer in front of Flask, which costs the content
# version and a lookup, nothing else.

KEEPABLE = "roadshow.keepable"
VERSION_READ = "roadshow.content_version"


class KeptAnswers:
    def __init__(self, app: Flask, wsgi_app: Any) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self._engine: sa.Engine | None = None

    def _key(self, environ: dict[str, Any]) -> tuple[Any, ...] | None:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or environ.get("HTTP_COOKIE"):
            return None
        try:
            endpoint, _values = self.app.url_map.bind_to_environ(environ).match()
        except Exception:  # noqa: BLE001 - unknown paths, redirects: Flask answers them
            return None
        if endpoint not in CACHED_ENDPOINTS:
            return None
        if self._engine is None:
            from roadshow.extensions import db

            with self.app.app_context():
                self._engine = db.engine
        version = page_cache(self.app).version(self._engine)
        if version is None:
            return None
        environ[VERSION_READ] = version  # Flask's side, on a miss, needs not read it again
        path = environ.get("PATH_INFO", "") + "?" + environ.get("QUERY_STRING", "")
        base_url = self.app.extensions[SETTINGS_KEY].base_url
        # The scheme as the app will see it (HSTS is sent over HTTPS only).
        scheme = (environ.get("wsgi.url_scheme"), environ.get("HTTP_X_FORWARDED_PROTO"))
        minute = int(utcnow().timestamp() // 60)
        return ("without a cookie", path, scheme, base_url, version, minute)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        key = self._key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        kept = page_cache(self.app).get(key)
        if kept is not None:
            return _answer(kept, environ, start_response)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        answer = self.wsgi_app(environ, capture)
        keep = environ.get(KEEPABLE) and environ["REQUEST_METHOD"] == "GET"
        if not keep or not str(captured.get("status", "")).startswith("200"):
            return answer
        try:
            body = b"".join(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()
        headers = tuple((k, v) for k, v in captured["headers"] if k not in UNKEPT_HEADERS)
        page_cache(self.app).put(key, Kept(body, headers))
        return [body]


def _answer(kept: Kept, environ: dict[str, Any], start_response: Any) -> list[bytes]:
    headers = list(kept.headers)
    etag = next((unquote_etag(v)[0] for k, v in headers if k == "ETag"), None)
    modified = next((parse_date(v) for k, v in headers if k == "Last-Modified"), None)
    if not is_resource_modified(environ, etag=etag, last_modified=modified):
        start_response("304 NOT MODIFIED", [(k, v) for k, v in headers if k not in BODY_HEADERS])
        return []
    start_response("200 OK", [*headers, ("Content-Length", str(len(kept.body)))])
    return [] if environ["REQUEST_METHOD"] == "HEAD" else [kept.body]


# What a 304 leaves out: it has no body.
BODY_HEADERS = frozenset({"Content-Type", "Content-Disposition"})


def init_app(app: Flask) -> None:
    app.extensions["roadshow_pagecache"] = PageCache()
    app.before_request(_serve_kept)
    app.after_request(_keep)
    app.wsgi_app = KeptAnswers(app, app.wsgi_app)  # type: ignore[method-assign]


# Every session of every app: a change made by a CLI command or the mail worker counts too.
sa_event.listen(Session, "after_flush", _after_flush)
sa_event.listen(Session, "do_orm_execute", _on_execute)
sa_event.listen(Session, "before_commit", _before_commit)
sa_event.listen(Session, "after_transaction_end", _forget)
