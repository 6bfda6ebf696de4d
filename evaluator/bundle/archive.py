"""Get a bundle's files out of a folder or a .zip, refusing what is not safe to unpack.

``reader.read_files`` calls these. The zip checks (size and member limits, absolute paths,
``..``, symlinks, the one top folder) are a concern of their own, whatever the files hold.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath

from evaluator.bundle.model import EVALUATION_FILE, README_FILE
from evaluator.definitions.problems import Problem

# -- limits (a bundle is a few MB; these only stop hostile or broken archives) ------------------

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
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
        total = 0
        for info in members:
            relative = info.filename[len(root):]
            if "/" in relative or not _wanted(relative):
                continue  # media and sub-folders are not data
            if info.file_size > MAX_FILE_BYTES:
                return None, [Problem(name, info.filename, f"larger than {MAX_FILE_BYTES} bytes uncompressed")]
            with archive.open(info) as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                return None, [Problem(name, info.filename, f"larger than {MAX_FILE_BYTES} bytes uncompressed")]
            total += len(data)
            if total > MAX_TOTAL_BYTES:
                return None, [Problem(name, "", f"more than {MAX_TOTAL_BYTES} bytes uncompressed")]
            files[relative] = data
        return files, []


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
