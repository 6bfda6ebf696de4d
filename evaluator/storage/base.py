"""The storage interface every backend implements."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

_KEY = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")


class StorageError(Exception):
    """A file could not be written or read (permission, network, bucket missing...)."""


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    modified: datetime  # UTC, naive


def check_key(key: str) -> str:
    """A key is relative and plain: letters, digits, ``_ . -`` and '/' between parts; no
    part is '.' or '..', so no key can point outside its folder or bucket prefix."""
    if not _KEY.fullmatch(key) or any(part in (".", "..") for part in key.split("/")):
        raise ValueError(f"bad storage key {key!r}")
    return key


class Storage(ABC):
    """Whole files by key. Writes are atomic: a reader sees the old file or the whole new one."""

    #: Shown in logs and by ``/readyz``.
    description: str = ""

    @abstractmethod
    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        ...

    @abstractmethod
    def get(self, key: str) -> bytes:
        """The file's bytes; ``FileNotFoundError`` when there is none."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        ...

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the file; no error when it is not there."""

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[StoredFile]:
        """Every file whose key starts with ``prefix`` (a folder: ends with '/')."""

    @abstractmethod
    def check(self) -> None:
        """Raise ``StorageError`` when the storage cannot be reached (for ``/readyz``)."""

    def get_or_none(self, key: str) -> bytes | None:
        try:
            return self.get(key)
        except FileNotFoundError:
            return None
