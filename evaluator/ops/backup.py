"""``evaluator backup OUT`` and ``evaluator restore IN``: the database and the photo files in
one tar archive, taken while the app runs.

- SQLite: SQLite's online backup API (a consistent copy while others read and write);
- PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot), restored with
  ``pg_restore``; the PostgreSQL client tools of the server's major version must be on the
  machine (Debian: ``postgresql-client-15``).

Files: every photo (``attachments/``) of the file storage, local or S3. Rendered report PDFs
are a cache (made again from the data on demand) and are not included. Files are written
into the archive after the database copy, so every file a backed-up row names is there (a file
of a record committed meanwhile may be too: harmless, and ``storage sweep`` removes it after a
restore).

The archive's ``manifest.json`` records the software version, the schema revision, the row
count of every table and each file's sha256; a restore goes into an empty database only
(``--force`` replaces one), checks the archive's files against the manifest, and compares the
row counts afterwards.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine, make_url

from evaluator import __version__

FORMAT = 1
FILE_PREFIXES = ("attachments/",)


class BackupError(Exception):
    pass


def row_counts(engine: Engine) -> dict[str, int]:
    import evaluator.models  # noqa: F401 - every table registered
    from evaluator.db import Base

    with engine.connect() as connection:
        return {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in Base.metadata.sorted_tables}


def write_backup(app, out: Path) -> str:
    engine: Engine = app.extensions["evaluator.engine"]
    storage = app.extensions["evaluator.storage"]
    from evaluator.migrate import current_revision

    out = Path(out)
    if out.is_dir():
        raise BackupError(f"{out} is a folder; name the archive to write, e.g. {out}/backup.tar")
    out.parent.mkdir(parents=True, exist_ok=True)
    dialect = engine.dialect.name
    with tempfile.TemporaryDirectory(prefix="evaluator-backup-") as folder:
        work = Path(folder)
        if dialect == "sqlite":
            database_name = "database.sqlite3"
            _sqlite_copy(Path(engine.url.database), work / database_name)
        elif dialect == "postgresql":
            database_name = "database.pgdump"
            _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  f"--file={work / database_name}", _libpq_url(engine)], "pg_dump")
        else:
            raise BackupError(f"no backup for a {dialect} database")
        counts = row_counts(engine)
        manifest: dict[str, Any] = {
            "format": FORMAT, "software": __version__, "database": dialect,
            "revision": current_revision(engine),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "rows": counts, "files": {}}
        tmp = out.with_name(f".{out.name}.tmp")
        with tarfile.open(tmp, "w") as archive:
            archive.add(work / database_name, arcname=database_name)
            for prefix in FILE_PREFIXES:
                for stored in storage.list(prefix):
                    data = storage.get(stored.key)
                    manifest["files"][stored.key] = hashlib.sha256(data).hexdigest()
                    _add_bytes(archive, f"files/{stored.key}", data)
            _add_bytes(archive, "manifest.json",
                       json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8"))
        os.replace(tmp, out)
    return (f"backup {out}: {dialect} at revision {manifest['revision']}, "
            f"{sum(counts.values())} rows in {len(counts)} tables, "
            f"{len(manifest['files'])} files")


def read_backup(app, archive_path: Path, *, force: bool = False) -> str:
    engine: Engine = app.extensions["evaluator.engine"]
    storage = app.extensions["evaluator.storage"]
    try:
        archive = tarfile.open(archive_path, "r")  # noqa: SIM115 - closed by the with below
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{archive_path}: not a backup archive ({exc})") from None
    with archive, tempfile.TemporaryDirectory(prefix="evaluator-restore-") as folder:
        manifest = _manifest(archive, archive_path)
        dialect = engine.dialect.name
        if manifest["database"] != dialect:
            raise BackupError(f"{archive_path} holds a {manifest['database']} database; this "
                              f"instance uses {dialect} (restore into the same kind)")
        if not force and _has_data(engine):
            raise BackupError("this instance's database already has data; restore into an "
                              "empty one, or give --force to replace it")
        files = _checked_files(archive, manifest, archive_path)
        work = Path(folder)
        engine.dispose()
        if dialect == "sqlite":
            source = _extract(archive, "database.sqlite3", work)
            _sqlite_copy(source, Path(engine.url.database))
        else:
            source = _extract(archive, "database.pgdump", work)
            _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                  "--no-privileges", "--single-transaction", f"--dbname={_libpq_url(engine)}",
                  str(source)], "pg_restore")
        engine.dispose()
        for key, data in files.items():
            storage.put(key, data)
    counts = row_counts(engine)
    if counts != manifest["rows"]:
        differ = sorted(k for k in set(counts) | set(manifest["rows"])
                        if counts.get(k) != manifest["rows"].get(k))
        raise BackupError(f"restored row counts differ from the backup's in: {', '.join(differ)}")
    return (f"restored {archive_path}: {sum(counts.values())} rows in {len(counts)} tables, "
            f"{len(files)} files (backup of {manifest['created']}, software "
            f"{manifest['software']})")


def _manifest(archive: tarfile.TarFile, path: Path) -> dict[str, Any]:
    try:
        member = archive.extractfile("manifest.json")
        manifest = json.loads(member.read()) if member else None
    except (KeyError, ValueError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: no readable manifest.json of backup format {FORMAT}")
    return manifest


def _checked_files(archive: tarfile.TarFile, manifest: dict, path: Path) -> dict[str, bytes]:
    from evaluator.storage import check_key

    files = {}
    for key, digest in manifest["files"].items():
        check_key(key)
        try:
            member = archive.extractfile(f"files/{key}")
        except KeyError:
            member = None
        data = member.read() if member else b""
        if member is None or hashlib.sha256(data).hexdigest() != digest:
            raise BackupError(f"{path}: files/{key} is missing or damaged; nothing restored")
        files[key] = data
    return files


def _extract(archive: tarfile.TarFile, name: str, folder: Path) -> Path:
    member = archive.extractfile(name)
    if member is None:
        raise BackupError(f"the archive has no {name}")
    target = folder / name
    with target.open("wb") as handle:
        shutil.copyfileobj(member, handle)
    return target


def _has_data(engine: Engine) -> bool:
    from sqlalchemy import inspect

    names = set(inspect(engine).get_table_names())
    if "users" not in names:
        return False
    with engine.connect() as connection:
        return bool(connection.execute(text("SELECT count(*) FROM users")).scalar_one())


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup API: a consistent copy while others read and write."""
    if not source.is_file():
        raise BackupError(f"no database file {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    dst.close()
    src.close()


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(data))


def _libpq_url(engine: Engine) -> str:
    url = make_url(engine.url.render_as_string(hide_password=False)).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _pg_tool(name: str) -> str:
    """The client tool of the newest installed PostgreSQL (Debian keeps them per version)."""
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                   key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if found:
        return str(found[-1])
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools "
                          "(apt-get install postgresql-client)")
    return path


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip()[:2000]}")
