"""Benchmark: scoring a 20,000-household bundle with the default rubric, against its read floor.

    .venv/bin/python bench/scoring.py                 # builds the demo bundle (about a minute)
    .venv/bin/python bench/scoring.py --keep /tmp/b   # ... and keeps it for the next run
    .venv/bin/python bench/scoring.py --bundle /tmp/b # reuses a bundle

The bundle is the synthetic demo (evaluator.bundle.demo) sized so that about 20,000 households
are sampled: 20,000 door questionnaires (~40 fields plus the members repeat), 20,000 file
checks and 20,000 system rows, from a 200,000-household roster. It prints

* the floor: ``load_bundle`` (reading, decoding and normalising every file of the bundle), and
  for comparison the parse of the three source files alone;
* the scoring time: ``score(rubric, bundle)`` including the conversion to ScoringData;
* the ratio, against the target of the issue: scoring <= 1.0 s and <= 3x the floor.

Times are the best of ``--repeat`` runs (the median is printed too): this machine is shared, and
the best run is the one least disturbed. A benchmark, not a test: it never fails.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

from evaluator.bundle.demo import SAMPLE_SHARE, write_demo
from evaluator.bundle.reader import load_bundle, normalise_source, source_spec
from evaluator.paths import RUBRICS_DIR, SURVEYS_DIR
from evaluator.rubrics.definition import load_rubric
from evaluator.scoring import score
from evaluator.surveys.definition import load_surveys
from evaluator.tables import read_table

SAMPLED = 20_000
SOURCES = ("household", "file_check", "system")
TARGET_SECONDS = 1.0
TARGET_RATIO = 3.0


def timed(fn, repeat: int) -> tuple[float, float, object]:
    """(best, median) seconds of ``repeat`` calls, and the last result."""
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, help="score this bundle instead of building one")
    parser.add_argument("--keep", type=Path, help="build the bundle here and keep it")
    parser.add_argument("--sampled", type=int, default=SAMPLED, help="households to sample (default 20000)")
    parser.add_argument("--repeat", type=int, default=5, help="scoring runs (default 5)")
    parser.add_argument("--floor-repeat", type=int, default=2, help="load_bundle runs (default 2)")
    args = parser.parse_args(argv)

    surveys = load_surveys(SURVEYS_DIR)
    rubric = load_rubric(RUBRICS_DIR / "union-hardship.yaml", surveys)
    with tempfile.TemporaryDirectory() as scratch:
        path = args.bundle
        if path is None:
            path = args.keep or Path(scratch) / "bench-bundle"
            households = math.ceil(args.sampled / SAMPLE_SHARE)
            print(f"building the demo bundle: {households:,} households on the roster ...", flush=True)
            start = time.perf_counter()
            write_demo(path, households=households, overwrite=True)
            print(f"  built in {time.perf_counter() - start:.1f} s (not measured)")
        return run(path, surveys, rubric, args)


def run(path: Path, surveys, rubric, args) -> int:
    floor, floor_median, bundle = timed(lambda: load_bundle(path, surveys), args.floor_repeat)
    rows = {s: len(bundle.rows(s)) for s in SOURCES}
    fields = {s: len(bundle.sources[s].fields) for s in SOURCES if s in bundle.sources}
    members = sum(len(r.rows) for r in bundle.sources["household"].repeats.values())

    def parse_sources():
        for source in SOURCES:
            table = read_table(Path(path) / f"{source}.csv")
            normalise_source(source, table, source_spec(source, bundle.meta.surveys.get(source), surveys))

    rows_floor, _, _ = timed(parse_sources, args.floor_repeat)
    best, median, sheet = timed(lambda: score(rubric, bundle), args.repeat)

    print(f"bundle: {path}")
    print(f"  roster {len(bundle.roster):,} households; sample {sum(1 for s in bundle.sample if s.role == 'sample'):,}")
    for source in SOURCES:
        print(f"  {source}.csv {rows[source]:,} rows x {fields.get(source, 0)} fields")
    print(f"  household-members.csv {members:,} rows")
    print(f"rubric: {rubric.id} {rubric.version}, {len(rubric.indicators)} indicators")
    print(f"floor    load_bundle            {floor:7.3f} s (median {floor_median:.3f})")
    print(f"         source rows only       {rows_floor:7.3f} s (read + normalise the 3 source CSVs)")
    print(f"scoring  score(rubric, bundle)  {best:7.3f} s (median {median:.3f}, best of {args.repeat})")
    print(f"ratio    scoring / floor        {best / floor:7.3f} x   (scoring / source rows only: {best / rows_floor:.3f} x)")
    print(f"result   total {sheet.total:.2f} / {sheet.max:.0f}, grade {sheet.grade}")
    ok_time = best <= TARGET_SECONDS
    ok_ratio = best <= TARGET_RATIO * floor
    print(f"target   scoring <= {TARGET_SECONDS:.1f} s: {'yes' if ok_time else 'NO'}; "
          f"<= {TARGET_RATIO:.0f}x floor: {'yes' if ok_ratio else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
