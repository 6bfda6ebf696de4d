"""Check roster.csv, sample.csv and the sampling plan in evaluation.yaml against each other.

The roster is the sampling frame and sample.csv the draw from it: each household once, with
valid categories, statuses, standards and dates; the plan's stratum sizes and frame hash must
match the roster, and a seeded plan's draw is repeated and compared with sample.csv row by row.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from itertools import repeat
from operator import attrgetter

import numpy as np

from evaluator.bundle.hashing import roster_hash_columns
from evaluator.bundle.model import (
    CATEGORIES,
    EVALUATION_FILE,
    EXITED,
    HOUSEHOLD_KEY,
    ROSTER_FILE,
    ROSTER_PERSONAL,
    SAMPLE_FILE,
    STATUSES,
    Bundle,
)
from evaluator.bundle.parsing import DECIMAL_RE, INTEGER_RE, parse_date, parse_number, where
from evaluator.definitions.problems import Problem, coded
from evaluator.rubrics.definition import ROSTER_COLUMNS

ROSTER_REQUIRED = tuple(c for c in ROSTER_COLUMNS if c not in ROSTER_PERSONAL)


# -- roster ---------------------------------------------------------------------------------------


def roster_problems(bundle: Bundle) -> list[Problem]:
    """Every problem of roster.csv's rows, checked a column at a time (each distinct value of a
    column once: a province's roster holds 10^5 households but few distinct categories,
    statuses, standards and dates)."""
    if not bundle.roster_columns:
        return []
    file = ROSTER_FILE
    columns = set(bundle.roster_columns)
    problems = [Problem(file, "row 1", f"missing column {c!r}") for c in ROSTER_REQUIRED if c not in columns]
    stratum_column = bundle.stratum_column
    if stratum_column not in columns and stratum_column not in ROSTER_REQUIRED:
        problems.append(Problem(file, "row 1", f"missing column {stratum_column!r} (sampling.stratum_column)"))
    rows = bundle.roster
    numbers = bundle.roster_row_numbers or range(2, len(rows) + 2)

    def column(name: str) -> Sequence[str]:
        return bundle.roster_column(name)

    def check(name: str, why: Callable[[str], str | None]) -> Sequence[str]:
        """Report each row whose value of ``name`` ``why`` finds wrong; return the column."""
        values = column(name)
        wrong = {}
        for value in set(values):
            message = why(value)
            if message is not None:
                wrong[value] = message
        if wrong:
            problems.extend(Problem(file, where(numbers[i], name), wrong[v])
                            for i, v in enumerate(values) if v in wrong)
        return values

    positions = bundle.roster_positions  # each id's first row: one entry per row unless repeated
    if len(positions) != len(rows) or "" in positions:
        first_row: dict[str, int] = {}
        for n, hid in zip(numbers, column(HOUSEHOLD_KEY), strict=True):
            if not hid:
                problems.append(Problem(file, where(n, HOUSEHOLD_KEY), "empty household_id"))
            elif hid in first_row:
                problems.append(Problem(file, where(n, HOUSEHOLD_KEY), f"duplicate household_id {hid!r} (also row {first_row[hid]})"))
            else:
                first_row[hid] = n
    for name in ("township", stratum_column):
        if name in columns:
            check(name, lambda v: None if v else "empty")
    if "category" in columns:
        check("category", lambda v: None if v in CATEGORIES else f"{v!r} is not one of {', '.join(CATEGORIES)}")
    statuses = column("status")
    if "status" in columns:
        check("status", lambda v: None if v in STATUSES else f"{v!r} is not one of {', '.join(STATUSES)}")
    if "local_standard" in columns:
        check("local_standard", _standard_problem)
    if "household_size" in columns:
        check("household_size", lambda v: None if INTEGER_RE.fullmatch(v) and int(v) >= 1
              else f"{v!r} is not a whole number >= 1")
    registered: Sequence[str] = [""] * len(rows)
    if "registered_date" in columns:
        registered = check("registered_date", lambda v: None if parse_date(v) else f"{v!r} is not a date YYYY-MM-DD")
    if "exit_date" in columns:
        problems += _exit_problems(numbers, column("exit_date"), statuses, registered)
    if bundle.meta.synthetic:
        check("id_number", lambda v: "a synthetic bundle must not hold a valid-looking ID number; "
              "use 000000... or leave it out" if _real_looking_id(v) else None)
    return problems


def _exit_problems(numbers: Sequence[int], texts: Sequence[str], statuses: Sequence[str],
                   registered: Sequence[str]) -> list[Problem]:
    """exit_date against status and registered_date, a column at a time: each distinct date and
    status judged once, each row's by its value's number in the column, the rows named from masks."""
    exit_texts, exit_codes = _coded(texts)
    status_texts, status_codes = _coded(statuses)
    since_texts, since_codes = _coded(registered)
    dates = [parse_date(v) for v in exit_texts]
    since = [parse_date(v) for v in since_texts]
    given = np.array([bool(v) for v in exit_texts], dtype=bool)[exit_codes]
    bad = np.array([bool(v) and d is None for v, d in zip(exit_texts, dates, strict=True)], dtype=bool)[exit_codes]
    exited = np.array([v == EXITED for v in status_texts], dtype=bool)[status_codes]
    other = np.array([v in STATUSES and v != EXITED for v in status_texts], dtype=bool)[status_codes]
    exit_day = np.array([math.nan if d is None else d.toordinal() for d in dates], dtype=float)[exit_codes]
    since_day = np.array([math.nan if d is None else d.toordinal() for d in since], dtype=float)[since_codes]
    problems: list[Problem] = []

    def report(mask: np.ndarray, message: Callable[[int], str]) -> None:
        problems.extend(Problem(ROSTER_FILE, where(numbers[i], "exit_date"), message(i))
                        for i in np.flatnonzero(mask).tolist())

    report(bad, lambda i: f"{texts[i]!r} is not a date YYYY-MM-DD")
    report(exited & ~given, lambda i: f"required: the status is {EXITED}")
    report(given & ~bad & other, lambda i: f"an exit date but the status is {statuses[i]}, not {EXITED}")
    with np.errstate(invalid="ignore"):
        report(exit_day < since_day,
               lambda i: f"{dates[exit_codes[i]]} is before registered_date {since[since_codes[i]]}")
    return problems


def _coded(values: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """(the distinct values in order of appearance, each value's number among them)."""
    number = {value: i for i, value in enumerate(dict.fromkeys(values))}
    return list(number), np.fromiter(map(number.__getitem__, values), np.intp, len(values))


def _standard_problem(text: str) -> str | None:
    standard = parse_number(text) if DECIMAL_RE.fullmatch(text) else None
    if standard is None or standard <= 0:
        return f"{text!r} is not a positive amount (yuan per person per year)"
    return None


def _real_looking_id(text: str) -> bool:
    """An 18-character resident ID number with a valid GB 11643 check digit."""
    if len(text) != 18 or not text[:17].isdigit() or text[:6] == "000000":
        return False
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(text[:17], weights, strict=True)) % 11]
    return text[17].upper() == check


# -- sample and sampling plan ---------------------------------------------------------------------


def sampling_problems(bundle: Bundle, files: Mapping[str, bytes] | None = None) -> list[Problem]:
    """``files`` gives the roster file's bytes when the bundle was not built from them
    (``Bundle.roster_sha256``), read only to compare them with the plan's roster sha256 (when
    the plan has no roster_hash)."""
    problems = _sample_row_problems(bundle) if _sample_suspect(bundle) else []

    plan = bundle.meta.sampling
    if plan is None or not bundle.roster_columns:
        return problems
    index = {
        str(entry.get("stratum")): i
        for i, entry in enumerate(plan.data.get("strata") or [])
        if isinstance(entry, dict)
    }

    def at(stratum: str, key: str) -> str:
        return f"sampling.strata[{index[stratum]}].{key}" if stratum in index else "sampling.strata"

    frame = bundle.frame_sizes()
    drawn = Counter(s.stratum for s in bundle.sample if s.role == "sample")
    reserves = Counter(s.stratum for s in bundle.sample if s.role == "reserve")
    consistent = True
    for stratum in sorted(set(frame) | set(plan.frame_sizes)):
        if plan.frame_sizes.get(stratum, 0) != frame.get(stratum, 0):
            consistent = False
            problems.append(coded(EVALUATION_FILE, at(stratum, "population"), "problem_plan_frame",
                                  stratum=stratum, planned=plan.frame_sizes.get(stratum, 0),
                                  roster=frame.get(stratum, 0)))
    for stratum in sorted(set(drawn) | set(plan.sample_sizes)):
        if plan.sample_sizes.get(stratum, 0) != drawn.get(stratum, 0):
            consistent = False
            problems.append(coded(EVALUATION_FILE, at(stratum, "sample"), "problem_plan_sample",
                                  stratum=stratum, planned=plan.sample_sizes.get(stratum, 0),
                                  drawn=drawn.get(stratum, 0)))
    for stratum, count in sorted(reserves.items()):
        if count > plan.reserve:
            consistent = False
            problems.append(coded(SAMPLE_FILE, "", "problem_plan_reserve", count=count,
                                  stratum=stratum, reserve=plan.reserve))
    if plan.roster_hash:
        strata = bundle.roster_column(bundle.stratum_column)
        if plan.roster_hash != roster_hash_columns(bundle.roster_column(HOUSEHOLD_KEY), strata):
            consistent = False
            problems.append(coded(EVALUATION_FILE, "sampling.roster_hash", "problem_roster_changed"))
    elif plan.roster_sha256 and (read := _roster_sha256(bundle, files)) is not None and plan.roster_sha256 != read:
        problems.append(Problem(EVALUATION_FILE, "sampling.roster.sha256",
                                "roster.csv is not byte for byte the file the sample was drawn from; "
                                "if it was only re-saved, add roster_hash (docs/bundle.md)"))
    if plan.seeded and consistent and not problems:
        problems += _redraw_problems(bundle)
    return problems


def _roster_sha256(bundle: Bundle, files: Mapping[str, bytes] | None) -> str | None:
    """roster.csv's sha256 as the bundle read it, else from ``files`` (None: not known, so not
    compared)."""
    if bundle.roster_sha256:
        return bundle.roster_sha256
    if files and ROSTER_FILE in files:
        return hashlib.sha256(files[ROSTER_FILE]).hexdigest()
    return None


def _sample_suspect(bundle: Bundle) -> bool:
    """Whether any sample.csv row may hold a problem ``_sample_row_problems`` words, judged a
    column at a time: an id given twice, not in the roster or in another stratum there, a
    reserve replacing someone, an order missing or given twice in its stratum and role."""
    sample = bundle.sample
    ids = list(map(attrgetter("household_id"), sample))
    if "" in ids or len(set(ids)) != len(ids) or any(map(attrgetter("replaces"), sample)):
        return True
    found = list(map(bundle.roster_positions.get, ids, repeat(-1)))
    if -1 in found:
        if bundle.roster_columns:
            return True
    elif bundle.stratum_column in bundle.roster_columns:
        strata = bundle.roster_column(bundle.stratum_column)
        if list(map(strata.__getitem__, found)) != list(map(attrgetter("stratum"), sample)):
            return True
    keys = list(map(attrgetter("stratum", "role", "order"), sample))
    return not all(map(attrgetter("order"), sample)) or len(set(keys)) != len(keys)


def _sample_row_problems(bundle: Bundle) -> list[Problem]:
    """The problems of sample.csv's rows, row by row."""
    problems = []
    file = SAMPLE_FILE
    positions = bundle.roster_positions
    column = bundle.stratum_column
    strata = bundle.roster_column(column)
    has_strata = column in bundle.roster_columns
    seen: dict[str, int] = {}
    orders: dict[tuple[str, str, int], int] = {}
    drawn_strata = {s.household_id: s.stratum for s in bundle.sample}
    for s in bundle.sample:
        if s.household_id in seen:
            problems.append(coded(file, where(s.row, HOUSEHOLD_KEY), "problem_drawn_twice",
                                  household=s.household_id, row=seen[s.household_id]))
        elif s.household_id:
            seen[s.household_id] = s.row
        position = positions.get(s.household_id)
        if s.household_id and position is None and bundle.roster_columns:
            problems.append(coded(file, where(s.row, HOUSEHOLD_KEY), "problem_household_not_in_roster",
                                  household=s.household_id))
        elif position is not None and has_strata and strata[position] != s.stratum:
            problems.append(coded(file, where(s.row, "stratum"), "problem_drawn_stratum",
                                  stratum=s.stratum, household=s.household_id, roster=strata[position]))
        if s.replaces and (s.replaces not in drawn_strata or drawn_strata[s.replaces] != s.stratum):
            problems.append(coded(file, where(s.row, "replaces"), "problem_replaces_not_drawn",
                                  replaces=s.replaces, stratum=s.stratum))
        key = (s.stratum, s.role, s.order)
        if s.order and key in orders:
            problems.append(coded(file, where(s.row, "order"), "problem_order_twice", order=s.order,
                                  role=s.role, stratum=s.stratum, row=orders[key]))
        else:
            orders[key] = s.row
    return problems


def _redraw_problems(bundle: Bundle) -> list[Problem]:
    """Repeat evaluator.sampling's seeded draw and compare it with sample.csv, row by row."""
    from evaluator.sampling.draw import FrameColumns, drawn_ids

    plan = bundle.meta.sampling
    if plan is None or plan.seed is None:
        return []
    frame = FrameColumns(bundle.roster_column(HOUSEHOLD_KEY), bundle.roster_column(bundle.stratum_column))
    try:
        expected = drawn_ids(frame, dict(plan.sample_sizes), plan.reserve, seed=plan.seed)
    except ValueError as exc:
        return [Problem(EVALUATION_FILE, "sampling", f"the draw cannot be repeated: {exc}")]
    want: set[tuple[str, str, str, int]] = set()
    for stratum, sample, reserves in expected:
        for role, ids in (("sample", sample), ("reserve", reserves)):
            want.update(zip(ids, repeat(stratum), repeat(role), range(1, len(ids) + 1)))
    rows = bundle.sample
    have = dict(zip(map(_SAMPLE_KEY, rows), map(attrgetter("row"), rows), strict=True))
    problems = []
    for key in sorted(have.keys() - want, key=have.__getitem__):
        problems.append(coded(SAMPLE_FILE, f"row {have[key]}", "problem_not_drawn_by_seed",
                              household=key[0], role=key[2], order=key[3], seed=plan.seed))
    missing = sorted(want - have.keys())
    if missing:
        shown = ", ".join(f"{h} ({r} {o})" for h, _, r, o in missing[:10])
        if len(missing) > 10:
            problems.append(coded(SAMPLE_FILE, "", "problem_seed_draws_more", seed=plan.seed,
                                  shown=shown, more=len(missing) - 10))
        else:
            problems.append(coded(SAMPLE_FILE, "", "problem_seed_draws", seed=plan.seed,
                                  shown=shown))
    return problems


#: A sample row as the draw gives it: (household_id, stratum, role, order).
_SAMPLE_KEY = attrgetter("household_id", "stratum", "role", "order")
