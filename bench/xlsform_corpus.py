"""What the XLSForm compatibility corpus shows, per source: forms, how many pyxform converts,
how many import here, every refusal with its reason and place, and the warnings.

Reads tests/corpus/cache (``make corpus``; tests/corpus/SOURCES.md). Forms held twice (the
same bytes under two paths) count once. The floor is pyxform's own verdict on each form:
every form it converts must import, every form it refuses must be refused with a reason.

    .venv/bin/python bench/xlsform_corpus.py [--refusals] [--warnings N]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import sys
import tempfile
import time
import warnings
from collections import Counter, defaultdict
from pathlib import Path

from pyxform.builder import create_survey_element_from_dict
from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from evaluator.definitions.problems import DefinitionError
from evaluator.surveys.xlsform import read_xlsform

CACHE = Path(__file__).resolve().parents[1] / "tests" / "corpus" / "cache"
FORM_SUFFIXES = (".xls", ".xlsx", ".xlsm")
OLE2 = bytes.fromhex("d0cf11e0a1b11ae1")


def source_of(path: Path) -> str:
    parts = path.relative_to(CACHE).parts
    return "/".join(parts[1:3]) if parts[0] == "outside" else parts[0]


def pyxform_converts(path: Path) -> bool:
    """pyxform alone (the floor: no product code), given the name the bytes call for."""
    head = path.read_bytes()[:8]
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        given = path
        if (head == OLE2) != (path.suffix.lower() == ".xls"):
            given = Path(folder) / (path.stem + (".xls" if head == OLE2 else ".xlsx"))
            given.write_bytes(path.read_bytes())
        try:
            book = get_xlsform(str(given))
            parsed = workbook_to_json(book, fallback_form_name=book.fallback_form_name,
                                      warnings=[])
            create_survey_element_from_dict(copy.deepcopy(parsed)).to_xml(validate=False,
                                                                          warnings=[])
        except PyXFormError:
            return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refusals", action="store_true", help="print every refusal")
    parser.add_argument("--warnings", type=int, default=0,
                        help="print the N most frequent warning kinds")
    args = parser.parse_args()
    forms, seen = [], set()
    for path in sorted(p for p in CACHE.rglob("*") if p.suffix.lower() in FORM_SUFFIXES):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            forms.append(path)
    if not forms:
        print("no corpus: run `make corpus`", file=sys.stderr)
        return 1
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    refusals: list[str] = []
    kinds: Counter[str] = Counter()
    started = time.perf_counter()
    for path in forms:
        source = source_of(path)
        counts = rows[source]
        counts["forms"] += 1
        converts = pyxform_converts(path)
        counts["pyxform converts"] += converts
        try:
            imported = read_xlsform(path)
        except DefinitionError as error:
            counts["refused"] += 1
            counts["refused, pyxform converts"] += converts
            first = error.problems[0]
            refusals.append(f"{path.relative_to(CACHE)}: {first.where or '(file)'}: "
                            f"{first.message}")
            continue
        counts["imported"] += 1
        counts["imported, pyxform refuses"] += not converts
        counts["warnings"] += len(imported.warnings)
        counts["forms with warnings"] += bool(imported.warnings)
        for warning in imported.warnings:
            kinds[warning.message.split(":")[0].split("'")[0][:70]] += 1
    elapsed = time.perf_counter() - started
    columns = ["forms", "pyxform converts", "imported", "refused", "imported, pyxform refuses",
               "refused, pyxform converts", "warnings", "forms with warnings"]
    width = max(len(s) for s in [*rows, "all"])
    print(f"{'source':<{width}}  " + "  ".join(columns))
    total: Counter[str] = Counter()
    for source, counts in rows.items():
        total.update(counts)
        print(f"{source:<{width}}  " + "  ".join(f"{counts[c]:>{len(c)}}" for c in columns))
    print(f"{'all':<{width}}  " + "  ".join(f"{total[c]:>{len(c)}}" for c in columns))
    print(f"{len(forms)} distinct forms in {elapsed:.1f} s (pyxform's verdict and the import, "
          f"each form once)")
    if args.refusals:
        print("\nrefused:")
        print("\n".join(refusals))
    if args.warnings:
        print("\nmost frequent warnings (first words):")
        for kind, count in kinds.most_common(args.warnings):
            print(f"{count:>5}  {kind}")
    return 0 if not total["imported, pyxform refuses"] + total["refused, pyxform converts"] else 1


if __name__ == "__main__":
    sys.exit(main())
