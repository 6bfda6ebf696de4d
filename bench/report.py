"""Benchmark: the PDF report of a county evaluation (500 sampled households), and a batch of them.

    .venv/bin/python bench/report.py                   # builds the bundles (about 10 s), then runs
    .venv/bin/python bench/report.py --batch-size 10   # a smaller batch
    .venv/bin/python bench/report.py --keep /tmp/rb    # keep the bundles for the next run
    .venv/bin/python bench/report.py --bundles /tmp/rb # reuse them

One report: the bundle is read, checked and scored once (printed, not part of the report's
cost), then the report is built ``--repeat`` times and the best run is printed:

* ours: ``build_context`` (plain values) + the Jinja HTML with its SVG charts;
* WeasyPrint's layout (``HTML.render``, the floor: what any report of this size costs), and its
  whole work (parse + layout + drawing/subsetting/writing + freeing the laid-out document, which
  is cyclic garbage), from ``render_pdf``'s timings;
* the total, and the ratio ours / WeasyPrint layout.

Targets of the issue (on a 2-core machine): one report <= 3 s, ours <= 20 % of the layout.

Batch: ``--batch-size`` units (default 100) rendered by ``evaluator report --batch``'s code with
all cores; each unit is checked, scored and rendered (nothing is shared but the definitions and
templates each worker loads once). The units are copies of ``--distinct`` generated bundles
(different seeds): a unit's cost depends on its size, not on its numbers. Printed: wall time,
reports per minute, and each worker's peak resident memory (``getrusage``), or with ``--trace``
also the peak Python heap seen by tracemalloc (slower). Targets: <= 150 s, <= 1 GB per worker.

A benchmark, not a test: it never fails; the machine is shared, so the best run is the figure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from evaluator.bundle.demo import write_demo
from evaluator.reports.build import (
    build_batch,
    load_scored,
    render_report_html,
    report_context,
)
from evaluator.reports.pdf import render_pdf

HOUSEHOLDS = 5000  # the demo samples 10 %: 500 households
TARGET_SECONDS = 3.0
TARGET_OVERHEAD = 0.20
TARGET_BATCH_SECONDS = 150.0
TARGET_WORKER_MB = 1024.0


def one_report(bundle: Path, repeat: int, lang: str) -> dict[str, float]:
    started = time.perf_counter()
    scored = load_scored(bundle)
    loaded = time.perf_counter() - started
    sheet, data, rubric = scored.sheet, scored.bundle, scored.rubric
    print(f"bundle: {len(data.roster):,} households on the roster, "
          f"{sum(1 for s in data.sample if s.role == 'sample')} sampled, "
          f"{len(data.rows('household'))} visited, {len(data.findings)} findings")
    print(f"  read + check + score (once, not part of the report): {loaded:.2f} s "
          f"(read {scored.timings['load']:.2f}, check {scored.timings['check']:.2f}, "
          f"score {scored.timings['score']:.3f})")
    runs = []
    for run in range(repeat + 1):  # the first run warms up (templates compiled, fonts loaded)
        t0 = time.perf_counter()
        context = report_context(sheet, data, rubric, lang, surveys=scored.surveys)
        t1 = time.perf_counter()
        html = render_report_html(sheet, data, rubric, lang, standalone=False, context=context)
        t2 = time.perf_counter()
        timings: dict[str, float] = {}
        render_pdf(html, created=None, timings=timings)
        t3 = time.perf_counter()
        if run == 0:
            continue
        runs.append({"context": t1 - t0, "html": t2 - t1, "ours": t2 - t0,
                     "wrapper": timings["overhead"], "parse": timings["parse"],
                     "layout": timings["layout"], "write": timings["write"],
                     "collect": timings.get("collect", 0.0),
                     "weasyprint": timings["weasyprint"], "total": t3 - t0,
                     "pages": timings["pages"]})
    best = min(runs, key=lambda r: r["total"])
    median_total = statistics.median(r["total"] for r in runs)
    ours = best["ours"] + best["wrapper"]
    ratio = ours / best["layout"]
    print(f"\none report ({lang}, {best['pages']:.0f} pages), best of {repeat} after a warm-up "
          f"(median total {median_total:.2f} s):")
    print(f"  ours: context {best['context'] * 1000:.0f} ms + HTML {best['html'] * 1000:.0f} ms "
          f"+ render_pdf wrapper {best['wrapper'] * 1000:.0f} ms = {ours * 1000:.0f} ms")
    print(f"  WeasyPrint: parse {best['parse']:.2f} s, layout {best['layout']:.2f} s (the floor), "
          f"draw+write {best['write']:.2f} s, freeing the document {best['collect']:.2f} s "
          f"= {best['weasyprint']:.2f} s")
    print(f"  total {best['total']:.2f} s (target <= {TARGET_SECONDS:.0f} s: "
          f"{'met' if best['total'] <= TARGET_SECONDS else 'MISSED'})")
    print(f"  ratio ours / WeasyPrint layout = {ratio:.1%} (target <= {TARGET_OVERHEAD:.0%}: "
          f"{'met' if ratio <= TARGET_OVERHEAD else 'MISSED'})")
    return best


def batch(bundles: list[Path], size: int, jobs: int, lang: str, trace: bool) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        units = Path(scratch) / "units"
        units.mkdir()
        for k in range(size):
            os.symlink(bundles[k % len(bundles)], units / f"county{k + 1:03d}")
        out = Path(scratch) / "reports"
        done = []

        def progress(item, count, total):
            done.append(item)
            if count % max(1, total // 10) == 0 or count == total:
                print(f"  {count}/{total} reports, {time.perf_counter() - started:.0f} s",
                      flush=True)

        print(f"\nbatch: {size} units ({len(bundles)} distinct bundles), {jobs} processes ...",
              flush=True)
        started = time.perf_counter()
        cpu_before = _cpu_seconds()
        items = build_batch(sorted(units.iterdir()), out, jobs=jobs, lang=lang,
                            progress=progress, trace_memory=trace)
        wall = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before
    failed = [i for i in items if not i.ok]
    per_worker: dict[int, list] = {}
    for item in items:
        per_worker.setdefault(item.pid, []).append(item)
    print(f"  wall time {wall:.1f} s for {len(items)} reports ({len(failed)} failed), "
          f"{60 * len(items) / wall:.1f} reports/min, "
          f"{statistics.mean(i.seconds for i in items):.2f} s per report in a worker")
    load = os.getloadavg()[0]
    print(f"  CPU time {cpu:.1f} s (workers and driver): {cpu / jobs:.1f} s on {jobs} idle cores "
          f"(the wall time a quiet machine would take; the load average was {load:.1f} at the end)")
    for pid, worker_items in sorted(per_worker.items()):
        rss = max(i.max_rss_mb for i in worker_items)
        traced = [i.traced_peak_mb for i in worker_items if i.traced_peak_mb is not None]
        extra = f", Python heap peak {max(traced):.0f} MB (tracemalloc)" if traced else ""
        print(f"  worker {pid}: {len(worker_items)} reports, peak RSS {rss:.0f} MB{extra}")
    worst = max(i.max_rss_mb for i in items)
    scaled = wall * 100 / size
    print(f"  target batch of 100 <= {TARGET_BATCH_SECONDS:.0f} s: "
          + (f"{'met' if wall <= TARGET_BATCH_SECONDS else 'MISSED'}" if size == 100
             else f"{scaled:.0f} s projected from {size} ({'met' if scaled <= TARGET_BATCH_SECONDS else 'MISSED'})"))
    print(f"  target <= {TARGET_WORKER_MB:.0f} MB per worker: "
          f"{'met' if worst <= TARGET_WORKER_MB else 'MISSED'} (worst {worst:.0f} MB)")
    for item in failed[:3]:
        print(f"  failed: {item.bundle}: {item.error.splitlines()[0] if item.error else ''}")


def _cpu_seconds() -> float:
    """User + system CPU of this process and its finished children (the batch's workers)."""
    import resource

    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundles", type=Path, help="reuse the bundles in this folder")
    parser.add_argument("--keep", type=Path, help="build the bundles here and keep them")
    parser.add_argument("--households", type=int, default=HOUSEHOLDS,
                        help="roster size of each county (default 5000: 500 sampled)")
    parser.add_argument("--distinct", type=int, default=4, help="distinct bundles (default 4)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of the single report")
    parser.add_argument("--batch-size", type=int, default=100, help="units in the batch (0: none)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="batch processes")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--trace", action="store_true", help="tracemalloc in the workers")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # progress shows up in a log file too

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.bundles or args.keep or Path(scratch)
        bundles = sorted(p for p in folder.glob("county-*") if (p / "evaluation.yaml").is_file())
        if not bundles:
            folder.mkdir(parents=True, exist_ok=True)
            print(f"building {args.distinct} demo bundles of {args.households:,} households ...",
                  flush=True)
            start = time.perf_counter()
            for seed in range(1, args.distinct + 1):
                target = folder / f"county-{seed}"
                if target.exists():
                    shutil.rmtree(target)
                write_demo(target, households=args.households, seed=seed)
                bundles.append(target)
            print(f"  built in {time.perf_counter() - start:.1f} s (not measured)")
        print(f"machine: {os.cpu_count()} cores, load average "
              + " ".join(f"{x:.2f}" for x in os.getloadavg()))
        one_report(bundles[0], args.repeat, args.lang)
        if args.batch_size > 0:
            batch(bundles, args.batch_size, args.jobs, args.lang, args.trace)
    return 0


if __name__ == "__main__":
    sys.exit(main())
