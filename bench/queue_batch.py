"""Benchmark: a batch of county reports through the job queue, against the CLI batch.

    flock /work/notes/bench.lock .venv/bin/python bench/queue_batch.py               # 100 reports
    .venv/bin/python bench/queue_batch.py --reports 10 --crash                       # smaller

The same ``--reports`` county bundles (copies of ``--distinct`` demo bundles of 5,000 households,
500 sampled, as bench/report.py makes them) are rendered twice on this machine:

* CLI: ``evaluator report --batch DIR --out OUT --jobs 2`` (forked processes, warmed up once);
* queue: the local production stack (evaluator.ops.stack: Redis, 2 ``evaluator worker``
  processes, already started and warmed up, as in production) takes one ``report.bundle`` job
  per bundle, enqueued through the job interface (evaluator.jobs); timed from the first
  enqueue to the last job done.

Printed: both wall times and their ratio (goal: queue <= 1.1 x CLI), and whether every PDF the
queue wrote is byte for byte the CLI's. With ``--crash``, one queue worker is killed (SIGKILL,
with the job it runs) a third of the way through: its job is retried by the other worker once
the dead one's heartbeat expires, and the batch still completes with identical PDFs.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluator.ops.stack import Stack  # noqa: E402


def bundles(folder: Path, count: int, distinct: int, households: int) -> list[Path]:
    from evaluator.bundle.demo import write_demo

    sources = []
    for seed in range(1, distinct + 1):
        target = folder / "distinct" / f"county-{seed}"
        write_demo(target, households=households, seed=seed)
        sources.append(target)
    units = []
    for number in range(1, count + 1):
        unit = folder / "batch" / f"county-{number:03d}"
        shutil.copytree(sources[(number - 1) % distinct], unit)
        units.append(unit)
    return units


def load() -> str:
    import os

    return f"{os.getloadavg()[0]:.1f}"


def wait_listening(stack: Stack, names: list[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    for name in names:
        log = stack.folder / "logs" / f"{name}.log"
        while "Listening on" not in (log.read_text() if log.exists() else ""):
            if time.monotonic() > deadline:
                raise SystemExit(f"{name} did not start")
            time.sleep(0.1)
    time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=100)
    parser.add_argument("--distinct", type=int, default=5)
    parser.add_argument("--households", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--crash", action="store_true",
                        help="kill one queue worker a third of the way through")
    parser.add_argument("--time-limit", type=float, default=600)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="evaluator-queue-batch-") as scratch:
        folder = Path(scratch)
        started = time.perf_counter()
        units = bundles(folder, args.reports, args.distinct, args.households)
        print(f"{args.reports} county bundles ({args.distinct} distinct, {args.households:,} "
              f"households, 500 sampled) built in {time.perf_counter() - started:.0f} s "
              f"(not measured); load average {load()}", flush=True)

        cli_out = folder / "cli"
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "evaluator", "report", "--batch",
                               str(folder / "batch"), "--out", str(cli_out), "--jobs",
                               str(args.workers)], capture_output=True, text=True)
        cli_seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"CLI batch failed: {done.stderr[-2000:]}")
        print(f"CLI   evaluator report --batch --jobs {args.workers}: {cli_seconds:7.1f} s "
              f"(load average {load()} at the end)", flush=True)

        with Stack(web_workers=1, queue_workers=args.workers, s3=False) as stack:
            from evaluator.jobs.rq_queue import RQQueue
            from evaluator.storage import LocalStorage

            storage = LocalStorage(stack.folder / "instance")
            queue = RQQueue(stack.env["EVALUATOR_QUEUE_URL"], storage=storage)
            wait_listening(stack, [f"queue-{n}" for n in range(args.workers)])
            started = time.perf_counter()
            jobs = {}
            for unit in units:
                key = f"batch/{unit.name}.pdf"
                jobs[queue.enqueue("report.bundle",
                                   {"bundle": str(unit), "lang": "zh", "out": key},
                                   {"bundle": str(unit), "lang": "zh", "out": key})] = unit
            crashed_at = None
            pending = set(jobs)
            states = {}
            while pending and time.perf_counter() - started < args.time_limit:
                for job in list(pending):
                    state = queue.status(job)
                    if state is not None and state.state in ("done", "failed"):
                        states[job] = state
                        pending.discard(job)
                if args.crash and crashed_at is None and len(states) >= len(jobs) // 3:
                    stack.kill("queue-0")  # the worker and the job process it runs
                    crashed_at = time.perf_counter() - started
                time.sleep(0.05)
            queue_seconds = time.perf_counter() - started
            failed = [s for s in states.values() if s.state != "done"]
            retried = sum(1 for s in states.values() if s.attempts > 1)
            print(f"queue {args.workers} x evaluator worker (RQ):{'':7}{queue_seconds:7.1f} s"
                  + (f"  (worker queue-0 killed at {crashed_at:.1f} s; {retried} job(s) "
                     "retried)" if crashed_at is not None else ""))
            print(f"ratio queue / CLI: {queue_seconds / cli_seconds:.2f} (goal <= 1.10; load "
                  f"average {load()} at the end: the machine is shared, so wall times only "
                  "compare when it stayed near 2 or below)")
            same = sum(1 for job, unit in jobs.items() if job in states
                       and states[job].state == "done"
                       and storage.get(states[job].result)
                       == (cli_out / f"{unit.name}.pdf").read_bytes())
            print(f"PDFs identical to the CLI's: {same}/{len(jobs)}; failed {len(failed)}; "
                  f"unfinished {len(pending)}")
            for state in failed[:5]:
                print(f"  failed: {state.id}: {state.error}")


if __name__ == "__main__":
    main()
