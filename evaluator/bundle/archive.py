"""Get a bundle's files out of a folder or a .zip, refusing what is not safe to unpack.

``reader.read_files`` calls these. The zip checks (size and member limits, absolute paths,
``..``, symlinks, the one top folder) are a concern of their own, whatever the files hold.
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from evaluator.bundle.model import EVALUATION_FILE, README_FILE
from evaluator.definitions.problems import Problem

# -- limits (a bundle is a few MB; these only stop hostile or broken archives) ------------------
#
# A zip bomb is a small file that expands enormously (0.75 MB into a 190 MB roster that took
# 3.5 GB to parse). Each member is decompressed as a stream, a chunk at a time, counting what
# comes out, so no declared size is trusted and nothing beyond a limit is ever held: a member
# stops at MAX_FILE_BYTES or at MAX_RATIO times its compressed size (past the first
# RATIO_GRACE bytes: tiny files compress oddly), the bundle at MAX_TOTAL_BYTES and MAX_RATIO
# overall. Real bundles compress 2-13x (demo-data at 20,000 households); a 63,000-household
# national household.csv is ~60 MB.

MAX_FILE_BYTES = 128 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_RATIO = 100
RATIO_GRACE = 1024 * 1024
CHUNK = 1024 * 1024
MAX_MEMBERS = 20_000
DATA_SUFFIXES = (".csv", ".yaml", ".yml")


def read_folder(path: Path) -> dict[str, bytes]:
    files = {}
    for child in sorted(path.iterdir()):
        if child.is_file() and not child.is_symlink() and _wanted(child.name):
            files[child.name] = child.read_bytes()
    return files


def _wanted(name: str) -> bool:
    return name == README_FILE or name.endswith(DATA_SUFFIXES)


def read_zip(path: Path) -> tuple[dict[str, bytes] | None, list[Problem]]:
    name = str(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        return None, [Problem(name, "", f"unreadable zip ({exc})")]
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            return None, [Problem(name, "", f"the zip holds {len(infos)} entries; at most {MAX_MEMBERS}")]
        problems = [p for info in infos if (p := _unsafe_member(info, name)) is not None]
        if problems:
            return None, problems
        members = [
            i for i in infos
            if not i.is_dir() and not i.filename.startswith("__MACOSX/")
            and PurePosixPath(i.filename).name != ".DS_Store"
        ]
        root = _zip_root([i.filename for i in members])
        if root is None:
            return None, [Problem(name, "", "no evaluation.yaml at the top of the zip or inside one folder")]
        files: dict[str, bytes] = {}
        budget = _Budget(name)
        for info in members:
            relative = info.filename[len(root):]
            if "/" in relative or not _wanted(relative):
                continue  # media and sub-folders are not data
            data, problem = budget.read(archive, info)
            if problem is not None:
                return None, [problem]
            files[relative] = data
        return files, []


class _Budget:
    """What the members of one zip may still expand to (see the limits above)."""

    def __init__(self, zip_name: str):
        self.zip_name = zip_name
        self.total = 0
        self.compressed = 0

    def read(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo
             ) -> tuple[bytes, Problem | None]:
        if info.file_size > MAX_FILE_BYTES:  # declared: refused before any work
            return b"", self._too_big(info)
        self.compressed += info.compress_size
        chunks: list[bytes] = []
        size = 0
        try:
            with archive.open(info) as handle:
                while chunk := handle.read(CHUNK):
                    size += len(chunk)
                    self.total += len(chunk)
                    if size > MAX_FILE_BYTES:
                        return b"", self._too_big(info)
                    if size > RATIO_GRACE and size > MAX_RATIO * max(info.compress_size, 1):
                        return b"", Problem(self.zip_name, info.filename, (
                            f"expands more than {MAX_RATIO} times its compressed size "
                            f"({info.compress_size} bytes); a zip bomb or a broken file, refused"))
                    if self.total > MAX_TOTAL_BYTES or (self.total > RATIO_GRACE and
                                                        self.total > MAX_RATIO * self.compressed):
                        return b"", Problem(self.zip_name, "", (
                            f"expands to more than {MAX_TOTAL_BYTES} bytes or {MAX_RATIO} "
                            "times its size; a zip bomb or a broken file, refused"))
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, ValueError) as exc:
            # zlib errors, CRC mismatches, encrypted members
            return b"", Problem(self.zip_name, info.filename, f"unreadable member ({exc})")
        return b"".join(chunks), None

    def _too_big(self, info: zipfile.ZipInfo) -> Problem:
        return Problem(self.zip_name, info.filename,
                       f"larger than {MAX_FILE_BYTES} bytes uncompressed; a zip bomb or a "
                       "broken file, refused")


def _unsafe_member(info: zipfile.ZipInfo, zip_name: str) -> Problem | None:
    """Zip-slip and friends: absolute paths, drive letters, ``..``, symlinks are refused."""
    raw = info.filename
    normalised = raw.replace("\\", "/")
    parts = normalised.split("/")
    if normalised.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        return Problem(zip_name, raw, "absolute path inside the zip; refused")
    if ".." in parts:
        return Problem(zip_name, raw, "path leaves the bundle ('..'); refused")
    if "\\" in raw:
        return Problem(zip_name, raw, "backslash in a zip path; refused")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return Problem(zip_name, raw, "symbolic link inside the zip; refused")
    return None


def _zip_root(names: list[str]) -> str | None:
    if EVALUATION_FILE in names:
        return ""
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) == 1:
        top = tops.pop() + "/"
        if top + EVALUATION_FILE in names:
            return top
    return None
