"""After an erasure is committed: what lies outside the database's transaction.

The ``.eml`` files of erased messages are deleted and those that mentioned the person are
written again from their scrubbed rows; and the database drops its own copies of the old
rows (SQLite's write-ahead log, PostgreSQL's dead tuples). Running this twice does no harm.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import sqlalchemy as sa

from roadshow.database import DBSession
from roadshow.mail.message import OutboxMail
from roadshow.mail.models import OutboxMessage
from roadshow.privacy.services import Erasure
from roadshow.settings import settings


def remove_traces(session: DBSession, erasure: Erasure, mail_folder: Path) -> int:
    """After the commit: delete the ``.eml`` files of erased messages, rewrite those of
    messages that mentioned the person, and make the database drop old row versions.
    Returns the number of files deleted or rewritten."""
    files = _clean_mail_folder(session, erasure, mail_folder)
    _drop_old_row_versions(session, erasure.tables)
    return files


def _message_id_of(path: Path) -> int | None:
    """The outbox row of ``<stamp>-<row id>.eml`` (or ``.eml.part``), as the mail folder
    names them."""
    stem = path.name.split(".", 1)[0]
    number = stem.rsplit("-", 1)[-1]
    return int(number) if number.isdigit() else None


def _clean_mail_folder(session: DBSession, erasure: Erasure, folder: Path) -> int:
    if not folder.is_dir() or not (erasure.erased_messages or erasure.edited_messages):
        return 0
    done = 0
    for path in sorted(folder.iterdir()):
        row_id = _message_id_of(path)
        if row_id in erasure.erased_messages:
            path.unlink(missing_ok=True)
            done += 1
        elif row_id in erasure.edited_messages and path.suffix == ".eml":
            row = session.get(OutboxMessage, row_id)
            if row is not None:
                sender = settings().mail.default_sender
                path.write_bytes(OutboxMail(row, sender=sender, date=row.sent_at).as_bytes())
                done += 1
    return done


def _drop_old_row_versions(session: DBSession, tables: Collection[str]) -> None:
    """SQLite overwrites with zeros (``secure_delete``, see ``database.configure_sqlite``),
    but the old pages also sit in the write-ahead log until a checkpoint; PostgreSQL keeps
    updated rows as dead tuples until VACUUM. Neither may run inside a transaction."""
    if not tables:
        return
    engine = session.get_bind()
    assert isinstance(engine, sa.Engine)
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            if connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal":
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    elif engine.dialect.name == "postgresql":
        quote = engine.dialect.identifier_preparer.quote
        names = ", ".join(quote(table) for table in sorted(tables))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"VACUUM {names}")
