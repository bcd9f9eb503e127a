"""The declarative base, column types and engine settings shared by every domain."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, registry, scoped_session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# What services take: a plain Session (CLI, workers) or Flask-SQLAlchemy's ``db.session``.
DBSession = Session | scoped_session[Any]


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """An instant stored in UTC and always returned timezone-aware in UTC.

    SQLite has no time zones and PostgreSQL returns the session's zone; this type makes
    both behave the same, and refuses naive datetimes so that no local time slips in.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give instants with a time zone")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_cls: type[enum.Enum], **kwargs: Any) -> sa.Enum:
    """Store an ``enum.Enum`` by its values as a VARCHAR with a CHECK constraint."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda cls: [member.value for member in cls],
        name=enum_cls.__name__.lower(),
        **kwargs,
    )


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    registry = registry(
        metadata=metadata, type_annotation_map={datetime: UTCDateTime(), str: sa.String()}
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# Statements before which SQLite's driver would open a deferred transaction (or, for a
# savepoint, SQLite itself would).
_OPENS_A_WRITE = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT")


def configure_sqlite(engine: sa.Engine) -> None:
    """Foreign keys on, write-ahead log, a generous wait for a busy database, ``secure_delete``
    (deleted and overwritten rows are zeroed in the file instead of lingering in free space,
    so that erased personal data is gone from the disk too), and writers that take the write
    lock when they begin.

    Reads outside a write run on their own, each seeing the latest commit, as on PostgreSQL
    (the driver opens no transaction for a SELECT). A transaction opens just before the
    first write with ``BEGIN IMMEDIATE`` (where the driver would send a deferred ``BEGIN``):
    it takes the write lock at once, waiting for another writer as long as the busy timeout
    allows. So no transaction ever holds a read snapshot that must
    later become a write lock: in WAL mode that upgrade fails at once with "database is
    locked" when another writer committed in between, whatever the busy timeout.

    A savepoint opened before the first write would start a transaction of its own, which
    its RELEASE commits: what was written inside would stay even when the request rolls
    back. It therefore begins the transaction first, the same immediate way.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA secure_delete=ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _begin_immediate_before_the_first_write(
        conn: sa.Connection, cursor: Any, statement: str, *_args: Any
    ) -> None:
        if statement.lstrip()[:9].upper().startswith(_OPENS_A_WRITE):
            dbapi_connection = conn.connection.dbapi_connection
            if dbapi_connection is not None and not dbapi_connection.in_transaction:
                cursor.execute("BEGIN IMMEDIATE")
