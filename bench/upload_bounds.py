"""Benchmark: what a hostile upload costs before it is refused.

    .venv/bin/python bench/upload_bounds.py [--rows 600000]

* A workbook of ``--rows`` rows (written once with XlsxWriter, ~20 s for 600,000):
  - floor: the standard library alone lists the zip and reads the sheet's first 64 kB
    (no product code): the least any refusal must cost;
  - product: ``read_upload`` (the roster/system upload path) until it refuses;
  - peer: what the upload cost before the bounds: openpyxl reading every row (as
    ``read_only`` iteration), measured on the first 200,000 rows and scaled.
* A zip bomb (a 120 MB roster.csv in under 1 MB): peak Python memory (tracemalloc) of
  ``bundle.archive.read_zip`` refusing it, against ``zipfile.read`` of the member (the old path,
  before parsing, which then took ~18x the text).

Printed: seconds and ratios from one run. A benchmark, not a test: it never fails.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path


def workbook(path: Path, rows: int) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("roster")
    sheet.write_row(0, 0, ["household_id", "township", "local_standard"])
    for n in range(1, rows + 1):
        sheet.write_string(n, 0, f"H{n:07d}")
        sheet.write_string(n, 1, f"town{n % 37}")
        sheet.write_number(n, 2, 12000 + n % 500)
    book.close()


def floor(path: Path) -> float:
    started = time.perf_counter()
    with zipfile.ZipFile(path) as book:
        book.infolist()
        with book.open("xl/worksheets/sheet1.xml") as handle:
            handle.read(64 * 1024)
    return time.perf_counter() - started


def product(path: Path) -> tuple[float, str]:
    from evaluator.definitions.problems import DefinitionError
    from evaluator.fieldwork.manage.uploads import read_upload

    data = path.read_bytes()
    started = time.perf_counter()
    try:
        read_upload("roster.xlsx", data)
        outcome = "accepted"
    except DefinitionError as error:
        outcome = str(error.problems[0])
    return time.perf_counter() - started, outcome


def peer(path: Path, rows: int, sample: int = 200_000) -> float:
    import openpyxl

    started = time.perf_counter()
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    for n, _ in enumerate(book.worksheets[0].iter_rows(values_only=True)):
        if n >= sample:
            break
    book.close()
    return (time.perf_counter() - started) * max(1.0, rows / sample)


def bomb(path: Path, size: int) -> None:
    line = b"H0001,town,town,x,y,1,1,2020-01-01,\r\n"
    block = line * (1024 * 1024 // len(line) + 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("evaluation.yaml", "id: bomb\n")
        with z.open("roster.csv", "w") as handle:
            for _ in range(size // len(block)):
                handle.write(block)


def peak(call) -> tuple[int, object]:
    tracemalloc.start()
    try:
        result = call()
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=600_000)
    args = parser.parse_args()
    from evaluator.bundle.archive import read_zip

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.xlsx"
        started = time.perf_counter()
        workbook(path, args.rows)
        print(f"workbook  {args.rows} rows, {path.stat().st_size / 1048576:.1f} MB "
              f"(written in {time.perf_counter() - started:.1f} s)")
        f = floor(path)
        p, outcome = product(path)
        q = peer(path, args.rows)
        print(f"floor     stdlib zip listing + 64 kB of the sheet   {f:8.3f} s")
        print(f"product   read_upload refuses                      {p:8.3f} s  ({outcome})")
        print(f"peer      openpyxl reads every row (scaled)        {q:8.1f} s")
        print(f"ratio     product / floor {p / f:6.1f}   peer / product {q / p:8.0f}")

        archive = Path(folder) / "bomb.zip"
        bomb(archive, 120 * 1024 * 1024)
        ours, (_, problems) = peak(lambda: read_zip(archive))
        theirs, _ = peak(lambda: zipfile.ZipFile(archive).read("roster.csv"))
        print(f"zip bomb  {archive.stat().st_size / 1024:.0f} kB -> 120 MB roster.csv")
        print(f"product   read_zip refuses, peak memory            {ours / 1048576:8.1f} MB "
              f"({problems[0].message[:60]}...)")
        print(f"peer      zipfile.read of the member, peak memory  {theirs / 1048576:8.1f} MB")
        print(f"ratio     peer / product {theirs / max(ours, 1):6.1f}")


if __name__ == "__main__":
    main()
