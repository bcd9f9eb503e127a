"""``flask backup`` and ``flask restore``: the SQLite database and the instance folder in
one archive.

The database is copied with SQLite's online backup API while the app keeps running: the
copy is one read transaction, so it holds every registration whose commit finished before
the copy began and nothing of a transaction still under way (write-ahead log or not). A
plain ``cp`` of ``roadshow.sqlite`` would miss what still sits in ``roadshow.sqlite-wal``.

The archive is a ``.tar.gz``: ``manifest.json`` first (format, date, app version, Alembic
revision, a SHA-256 per file), then ``database/roadshow.sqlite`` and ``instance/…`` (partner
logos and whatever else lives there), without the live database files and without
``mail/`` (``.eml`` files of development, which a backup would only keep longer than the
privacy rules want) and without earlier archives (``*.tar.gz``). It holds personal data
and secrets: it is written readable by its owner only.

PostgreSQL is backed up with ``pg_dump``; ``flask backup`` says so and prints the command.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shlex
import sqlite3
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import click
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy.engine import URL, make_url

from roadshow import __version__
from roadshow.config import resource_folder
from roadshow.extensions import db

FORMAT = "roadshow-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_MEMBER = "database/roadshow.sqlite"
INSTANCE_PREFIX = "instance/"
# Folders of the instance folder that a backup leaves out: the development mail files.
LEFT_OUT_FOLDERS = ("mail",)
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")
ARCHIVE_SUFFIXES = (".tar.gz", ".tar.gz.partial")
CHUNK = 1 << 20


class BackupError(click.ClickException):
    """The backup or restore cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    created_at: str
    app_version: str
    alembic_revision: str
    files: dict[str, dict[str, Any]]  # member name -> {"sha256", "size"}

    def document(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": self.created_at,
            "app_version": self.app_version,
            "alembic_revision": self.alembic_revision,
            "files": self.files,
        }


def sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL, None for other databases or memory."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(str(url.database)).resolve()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_database(source: Path, target: Path) -> str:
    """Copy the live database ``source`` into the new file ``target`` in one read
    transaction; check the copy and return its Alembic revision."""
    if not source.is_file():
        raise BackupError(_("Die Datenbank %(path)s gibt es nicht.", path=source))
    # Read-only: run as another user, it creates no -wal or -shm file the app cannot open.
    live = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(target)
    try:
        live.execute("PRAGMA busy_timeout=30000")
        live.backup(copy)  # all pages in one step: one consistent snapshot
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        check = copy.execute("PRAGMA integrity_check").fetchone()
        if check is None or check[0] != "ok":
            raise BackupError(_("Die Kopie der Datenbank ist beschädigt: %(check)s", check=check))
        try:
            row = copy.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:
            row = None
    finally:
        copy.close()
        live.close()
    if row is None:
        raise BackupError(
            _("Die Datenbank hat noch kein Schema; zuerst „flask db upgrade“ ausführen.")
        )
    return str(row[0])


def instance_files(instance: Path, leave_out: set[Path]) -> Iterator[tuple[str, Path]]:
    """``(name in the archive, file)`` for every regular file of the instance folder that
    belongs in a backup."""
    if not instance.is_dir():
        return
    for root, folders, names in os.walk(instance):
        here = Path(root)
        folders[:] = sorted(
            f
            for f in folders
            if not (here == instance and f in LEFT_OUT_FOLDERS)
            and (here / f).resolve() not in leave_out
        )
        for name in sorted(names):
            path = here / name
            if path.resolve() in leave_out or not path.is_file() or path.is_symlink():
                continue
            if name.endswith(ARCHIVE_SUFFIXES):  # no backup carries the earlier ones
                continue
            yield INSTANCE_PREFIX + path.relative_to(instance).as_posix(), path


def write_backup(app: Flask, target: Path) -> tuple[Path, Manifest]:
    """Write the archive to ``target`` (a file, or a folder for a dated name in it)."""
    database = sqlite_path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]))
    assert database is not None
    now = datetime.now(UTC).replace(microsecond=0)
    if target.is_dir():
        target = target / f"roadshow-{now:%Y%m%d-%H%M%S}.tar.gz"
    target = target.resolve()
    if not target.parent.is_dir():
        raise BackupError(_("Den Ordner %(folder)s gibt es nicht.", folder=target.parent))
    instance = Path(app.instance_path).resolve()
    leave_out = {database.with_name(database.name + suffix) for suffix in SQLITE_COMPANIONS}
    leave_out.add(target)
    # The copy is made beside the archive: /tmp may be a small tmpfs.
    with tempfile.TemporaryDirectory(prefix=".roadshow-backup-", dir=target.parent) as scratch:
        leave_out.add(Path(scratch).resolve())
        copy = Path(scratch) / "roadshow.sqlite"
        revision = copy_database(database, copy)
        members = [(DATABASE_MEMBER, copy)]
        members += list(instance_files(instance, leave_out))
        files = {
            name: {"sha256": _sha256(path), "size": path.stat().st_size} for name, path in members
        }
        manifest = Manifest(now.isoformat(), __version__, revision, files)
        partial = target.with_name(target.name + ".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                _add_bytes(tar, MANIFEST, json.dumps(manifest.document(), indent=2).encode())
                for name, path in members:
                    tar.add(path, arcname=name, recursive=False)
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return target, manifest


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


@contextlib.contextmanager
def _open_archive(path: Path) -> Iterator[tarfile.TarFile]:
    try:
        tar = tarfile.open(path, mode="r:gz")  # noqa: SIM115 - closed below
    except (tarfile.TarError, OSError, EOFError):
        raise BackupError(_("Das ist keine Sicherung von Roadshow (kein .tar.gz).")) from None
    with tar:
        yield tar


def read_manifest(tar: tarfile.TarFile) -> Manifest:
    """The manifest of a Roadshow archive; anything else is refused."""
    not_ours = BackupError(_("Das ist keine Sicherung von Roadshow (manifest.json fehlt)."))
    try:
        member = tar.getmember(MANIFEST)
    except KeyError:
        raise not_ours from None
    handle = tar.extractfile(member)
    if handle is None:
        raise not_ours
    try:
        document = json.loads(handle.read())
    except ValueError:
        raise not_ours from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise not_ours
    if document.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            _(
                "Diese Sicherung hat das Format %(version)s, das diese Version nicht lesen kann.",
                version=document.get("format_version"),
            )
        )
    files = document.get("files")
    if not isinstance(files, dict) or DATABASE_MEMBER not in files:
        raise not_ours
    return Manifest(
        str(document.get("created_at")),
        str(document.get("app_version")),
        str(document.get("alembic_revision")),
        files,
    )


def check_revision(revision: str) -> None:
    """Refuse an archive whose schema the code does not know (made by a newer version)."""
    scripts = ScriptDirectory(str(resource_folder("migrations")))
    known = {script.revision for script in scripts.walk_revisions()}
    if revision not in known:
        raise BackupError(
            _(
                "Die Sicherung hat den Datenbankstand %(revision)s, den diese Version von "
                "Roadshow (%(version)s) nicht kennt: sie stammt von einer neueren Version. "
                "Installieren Sie zuerst diese oder eine neuere Version.",
                revision=revision,
                version=__version__,
            )
        )


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(_("Die Sicherung enthält einen unzulässigen Pfad: %(name)s", name=name))
    return path


def _extract_verified(
    tar: tarfile.TarFile, name: str, expected: dict[str, Any], target: Path
) -> None:
    """Write member ``name`` to ``target`` through a temporary file beside it, checking its
    SHA-256 first, then rename: a reader sees the old file or the whole new one."""
    try:
        member = tar.getmember(name)
    except KeyError:
        raise BackupError(_("Der Sicherung fehlt %(name)s.", name=name)) from None
    source = tar.extractfile(member) if member.isfile() else None
    if source is None:
        raise BackupError(_("Der Sicherung fehlt %(name)s.", name=name))
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        digest = hashlib.sha256()
        with os.fdopen(descriptor, "wb") as out:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != expected.get("sha256"):
            raise BackupError(_("%(name)s in der Sicherung ist beschädigt.", name=name))
        if name == DATABASE_MEMBER:
            _check_sqlite(Path(temporary))
            for suffix in SQLITE_COMPANIONS[1:]:  # a stale log must not be replayed onto it
                target.with_name(target.name + suffix).unlink(missing_ok=True)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _check_sqlite(path: Path) -> None:
    connection = sqlite3.connect(path)
    try:
        check = connection.execute("PRAGMA integrity_check").fetchone()
    finally:
        connection.close()
    if check is None or check[0] != "ok":
        raise BackupError(
            _("Die Datenbank in der Sicherung ist beschädigt: %(check)s", check=check)
        )


def restore_backup(app: Flask, archive: Path, manifest: Manifest, tar: tarfile.TarFile) -> int:
    """Write the archive's database and instance files; return how many files were written."""
    database = sqlite_path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]))
    assert database is not None
    instance = Path(app.instance_path)
    names = sorted(manifest.files)
    for name in names:
        _safe_name(name)
    db.engine.dispose()  # no connection of ours keeps the old file open
    _extract_verified(tar, DATABASE_MEMBER, manifest.files[DATABASE_MEMBER], database)
    written = 1
    for name in names:
        if name.startswith(INSTANCE_PREFIX):
            relative = _safe_name(name[len(INSTANCE_PREFIX) :])
            _extract_verified(tar, name, manifest.files[name], instance.joinpath(*relative.parts))
            written += 1
    return written


def libpq_address(url: URL) -> str:
    """``url`` as libpq reads it (``postgresql://user@host:port/name?…``), without the
    password."""
    plain = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return plain.render_as_string(hide_password=False)


def pg_dump_command(url: URL, target: str) -> str:
    """The ``pg_dump`` command for ``url``, without its password."""
    return shlex.join(["pg_dump", "--format=custom", f"--file={target}", libpq_address(url)])


def _postgresql_refusal(url: URL, target: str, instance: str, restore: bool) -> None:
    plain = libpq_address(url)
    if restore:
        click.echo(
            _("Die Datenbank ist PostgreSQL: stellen Sie sie mit pg_restore wieder her:"), err=True
        )
        click.echo(
            shlex.join(
                ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction"]
                + ["--exit-on-error", f"--dbname={plain}", target]
            )
        )
    else:
        click.echo(_("Die Datenbank ist PostgreSQL: sichern Sie sie mit pg_dump:"), err=True)
        click.echo(pg_dump_command(url, target))
        click.echo(_("und den Instanzordner (Logos) mit:"), err=True)
        click.echo(
            shlex.join(["tar", "-czf", "instance.tar.gz", "--exclude=./mail", "-C", instance, "."])
        )
    if url.password:
        click.echo(
            _("Das Passwort lesen pg_dump und pg_restore aus PGPASSWORD oder ~/.pgpass."), err=True
        )
    raise SystemExit(2)


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write the SQLite database (while the app runs) and the instance folder to PATH
    (.tar.gz; a folder gets a dated file in it)."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        _postgresql_refusal(url, str(path), current_app.instance_path, restore=False)
    if sqlite_path(url) is None:
        raise BackupError(_("Nur eine SQLite-Datei oder PostgreSQL lässt sich sichern."))
    written, manifest = write_backup(current_app, path)
    click.echo(
        _(
            "Sicherung geschrieben: %(path)s (%(count)s Dateien, Datenbankstand %(revision)s)",
            path=written,
            count=len(manifest.files),
            revision=manifest.alembic_revision,
        )
    )


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Bring back a backup made by ``flask backup``: the database and the instance files.
    Stop the web and mail workers first; run ``flask db upgrade`` afterwards."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        _postgresql_refusal(url, str(path), current_app.instance_path, restore=True)
    database = sqlite_path(url)
    if database is None:
        raise BackupError(_("Nur eine SQLite-Datei lässt sich wiederherstellen."))
    with _open_archive(path) as tar:
        manifest = read_manifest(tar)
        check_revision(manifest.alembic_revision)
        click.echo(
            _(
                "Sicherung vom %(date)s (Roadshow %(version)s, Datenbankstand %(revision)s).",
                date=manifest.created_at,
                version=manifest.app_version,
                revision=manifest.alembic_revision,
            )
        )
        question = _(
            "Die Datenbank %(database)s und die Dateien in %(instance)s ersetzen?",
            database=database,
            instance=current_app.instance_path,
        )
        if not yes and not click.confirm(question):
            raise BackupError(_("Abgebrochen, nichts geändert."))
        try:
            count = restore_backup(current_app, path, manifest, tar)
        except (tarfile.TarError, EOFError, zlib.error):
            raise BackupError(_("Die Sicherung ist unvollständig oder beschädigt.")) from None
    click.echo(
        _(
            "Wiederhergestellt: %(count)s Dateien. Jetzt „flask db upgrade“ ausführen, dann "
            "Web- und Mail-Worker starten.",
            count=count,
        )
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
