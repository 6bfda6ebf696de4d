"""Plant each of issue 13's nine plausible bugs by hand and check that the tests catch it.

Each mutant is one textual change to the product (a flipped comparison, a dropped term); the
script copies the repository (without .venv) to a temporary folder, applies one mutant, runs
the tests of the numbers there with this interpreter (SCORING_TESTS, part of `make test`), and
reports whether they failed (as they must). Not part of `make test` itself; run it after
changing the scoring code:

    .venv/bin/python tests/mutants.py [--only NAME]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The tests of the numbers (a failure here is a failure of the whole suite, which holds them);
# running only these keeps a mutant to seconds instead of the suite's minutes.
SCORING_TESTS = ["tests/unit/test_scoring.py", "tests/unit/test_scoring_boundaries.py",
                 "tests/unit/test_scoring_properties.py", "tests/unit/test_stats.py",
                 "tests/unit/test_golden.py", "tests/unit/test_plan_to_verdict.py",
                 "tests/unit/test_sampling_size.py"]

# name: (file, old text, new text[, file, old, new ...])
MUTANTS = {
    "n < min_n -> <=": ("evaluator/scoring/decision.py",
                        "if estimate is None or n < (min_n or 1):", "if estimate is None or n <= (min_n or 1):"),
    "judgement n < min_n -> <=": ("evaluator/scoring/methods.py",
                                  "if estimate is None or n < (ind.min_n or 1):",
                                  "if estimate is None or n <= (ind.min_n or 1):"),
    "judgement spread > -> >=": ("evaluator/scoring/methods.py",
                                 "elif spread is not None and spread > max_spread:",
                                 "elif spread is not None and spread >= max_spread:"),
    "deduction pass bar >= -> >": ("evaluator/scoring/methods.py",
                                   'verdict_ = "meets" if points >= ctx.pass_share * float(ind.points) else "fails"\n'
                                   '    notes = [f"{len(findings)}',
                                   'verdict_ = "meets" if points > ctx.pass_share * float(ind.points) else "fails"\n'
                                   '    notes = [f"{len(findings)}'),
    "relative tolerance against the left side": ("evaluator/scoring/methods.py",
                                                 "agree |= gap <= tolerance.relative * np.abs(right)",
                                                 "agree |= gap <= tolerance.relative * np.abs(left)"),
    "absolute tolerance gap == tolerance disagrees": ("evaluator/scoring/methods.py",
                                                      "agree |= gap <= tolerance.absolute",
                                                      "agree |= gap < tolerance.absolute"),
    "share interval without its lower clip (t interval)": (
        "evaluator/scoring/stats.py",
        '    return _estimate(strata, confidence, "share")',
        '    return _estimate(strata, confidence, "mean")'),
    "one-household stratum dropped from the weights": ("evaluator/scoring/stats.py",
                                                       "        if values.size == 0:\n            continue",
                                                       "        if values.size <= 1:\n            continue"),
    # None is made blank twice (where columns are built, and again in methods._blank); either
    # alone keeps the behaviour, so the mutant removes both.
    "None answers not blank (both places)": (
        "evaluator/definitions/expr_columns.py",
        'data[:] = values if plain else [("" if v is None else v) for v in values]', 'data[:] = values',
        "evaluator/scoring/methods.py", 'if value is None or value == "":', 'if value == "":'),
    "not-applicable units left out of frame_too_small": ("evaluator/scoring/methods.py",
                                                          "observed = int(chosen.size) + outside",
                                                          "observed = int(chosen.size)"),
}


def run(name: str, mutant: tuple[str, ...], work: Path) -> tuple[bool, str, float]:
    """Apply the mutant's (file, old, new) edits, run the tests, restore the files."""
    originals: dict[Path, str] = {}
    for k in range(0, len(mutant), 3):
        file, old, new = mutant[k:k + 3]
        target = work / file
        text = originals.setdefault(target, target.read_text(encoding="utf-8"))
        current = target.read_text(encoding="utf-8")
        if current.count(old) != 1:
            raise SystemExit(f"{name}: expected the text once in {file}, found it {text.count(old)} times")
        target.write_text(current.replace(old, new), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(work)}
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                             "-m", "not browser", *SCORING_TESTS], cwd=work, env=env,
                            capture_output=True, text=True)
    for target, text in originals.items():
        target.write_text(text, encoding="utf-8")
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
    return result.returncode != 0, (failed[0] if failed else result.stdout.strip().splitlines()[-1]), (
        time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="run the mutants whose name contains this text")
    args = parser.parse_args()
    chosen = {k: v for k, v in MUTANTS.items() if not args.only or args.only in k}
    survivors = []
    with tempfile.TemporaryDirectory(prefix="evaluator-mutants-") as tmp:
        work = Path(tmp) / "repo"
        shutil.copytree(ROOT, work, ignore=shutil.ignore_patterns(".venv", "instance", ".git", "__pycache__"))
        for name, mutant in chosen.items():
            caught, evidence, seconds = run(name, mutant, work)
            print(f"{'caught  ' if caught else 'SURVIVED'} {name} ({seconds:.0f} s): {evidence}", flush=True)
            if not caught:
                survivors.append(name)
    print(f"{len(chosen) - len(survivors)} of {len(chosen)} mutants caught")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
