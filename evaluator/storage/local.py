"""Files in a local folder (the default: the instance folder)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from evaluator.storage.base import Storage, StorageError, StoredFile, check_key


class LocalStorage(Storage):
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self.description = f"local folder {self.root}"

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # A temporary file renamed into place: a reader never sees half a file, and two
        # processes writing the same key both leave a whole one.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def list(self, prefix: str = "") -> Iterator[StoredFile]:
        base = self.root
        folder = base / prefix.rsplit("/", 1)[0] if "/" in prefix else base
        for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
            if not path.is_file() or path.name.startswith("."):
                continue
            key = path.relative_to(base).as_posix()
            if not key.startswith(prefix):
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            yield StoredFile(key, stat.st_size,
                             datetime.fromtimestamp(stat.st_mtime, UTC).replace(tzinfo=None))

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"{self.description}: {exc}") from exc
        if not os.access(self.root, os.W_OK):
            raise StorageError(f"{self.description} is not writable")
