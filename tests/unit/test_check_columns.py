"""The column-wise checker finds exactly the problems the row-by-row checker found.

tests/reference/row_checker.py is ``evaluator/bundle/check_records.py`` and
tests/reference/roster_checker.py ``check_roster.py`` as they were before the checker went
column-wise (issue 16), kept verbatim as the reference: every bundle here is
checked twice, once with each, and the problem lists (wording, order, everything) must be
equal. The bundles: the shipped demo (clean, and with planted error rates), the hand-made
ODK and Kobo exports of tests/fixtures, and demo bundles with cells broken at random —
every column of every source and repeat file, roster columns the surveys read, parent keys
and instance ids — so that types, choice lists, required, relevance (also on a badly typed
answer), constraints, calculations, repeat rows and duplicates all fail somewhere.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evaluator.bundle.check as check_module
from evaluator.bundle.check import check_files
from evaluator.bundle.demo import demo_files
from evaluator.bundle.demo_population import parse_error_rates
from evaluator.bundle.reader import build_bundle, read_files

TESTS = Path(__file__).resolve().parents[1]
FIXTURES = TESTS / "fixtures" / "bundles"


def _reference(name):
    spec = importlib.util.spec_from_file_location(name, TESTS / "reference" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REFERENCE = _reference("row_checker")
ROSTER_REFERENCE = _reference("roster_checker")
#: Values planted at random: wrong types, choices from other lists, blanks, dates, geopoints.
JUNK = ["", "", "", "abc", "-1", "0", "1.5", "3", "99999999", "yes", "no", "2026-13-01",
        "2026-02-03", "x y", "1 2", "91 200", "30 120", "education education", "other",
        "illness", "self", "1,000", " 7 ", "uuid:nope", "employed", "satisfied", "5"]


def both(files, surveys, rubric, monkeypatch):
    """(column-wise problems, row-by-row problems) of the bundle ``files``, as printed."""
    def check():
        bundle, problems = build_bundle(files, surveys)
        return [str(p) for p in check_files(files, surveys, rubric, bundle=bundle, read_problems=problems)]

    columns = check()
    with monkeypatch.context() as patch:
        patch.setattr(check_module, "source_problems", REFERENCE.source_problems)
        patch.setattr(check_module, "roster_problems", ROSTER_REFERENCE.roster_problems)
        patch.setattr(check_module, "sampling_problems", ROSTER_REFERENCE.sampling_problems)
        rows = check()
    return columns, rows


def broken(files: dict[str, bytes], seed: int, share: float) -> dict[str, bytes]:
    """``files`` with a ``share`` of the cells of every record file replaced at random."""
    rng = random.Random(seed)
    out = dict(files)
    for name, raw in files.items():
        if not name.endswith(".csv") or name in ("sample.csv", "findings.csv", "judgements.csv"):
            continue
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
        header, body = rows[0], rows[1:]
        roster = name == "roster.csv"
        for row in body:
            for c, column in enumerate(header):
                if roster and column in ("household_id", "stratum"):
                    continue  # keep the frame (and so the sample) intact
                if rng.random() < share:
                    row[c] = rng.choice(JUNK + [body[rng.randrange(len(body))][c]])
        if body and not roster:  # a submission twice and a record copied whole
            body.append(list(body[rng.randrange(len(body))]))
        text = io.StringIO()
        csv.writer(text, lineterminator="\r\n").writerows([header, *body])
        out[name] = text.getvalue().encode("utf-8")
    return out


def test_demo_bundle_is_clean_both_ways(surveys, rubric, monkeypatch):
    columns, rows = both(demo_files(600), surveys, rubric, monkeypatch)
    assert columns == rows == []


def test_planted_error_rates_change_scores_not_problems(surveys, rubric, monkeypatch):
    rates = parse_error_rates("wrong_exit=0.3,amount_mismatch=0.4,refusal=0.2,cause_mismatch=0.5,file_missing=0.3")
    columns, rows = both(demo_files(900, seed=7, rates=rates), surveys, rubric, monkeypatch)
    assert columns == rows


@pytest.mark.parametrize("seed, share", [(1, 0.01), (2, 0.04), (3, 0.12), (4, 0.3)])
def test_broken_cells_give_the_same_problems(surveys, rubric, monkeypatch, seed, share):
    files = broken(demo_files(500, seed=seed), seed, share)
    columns, rows = both(files, surveys, rubric, monkeypatch)
    assert len(rows) > 20  # the planted problems are found ...
    assert {p.split(": ")[0] for p in rows} >= {"household.csv", "file_check.csv", "system.csv",
                                                "household-members.csv"}
    assert columns == rows  # ... word for word, in the same order


def test_answers_of_every_kind_of_problem_are_found(surveys, rubric, monkeypatch):
    """The broken bundles hold each kind of answer problem the checker words (so the
    comparison above covers them all)."""
    columns, _ = both(broken(demo_files(500, seed=5), 5, 0.08), surveys, rubric, monkeypatch)
    text = "\n".join(columns)
    for phrase in ("is not a whole number", "is not a number (digits", "is not in choice list",
                   "not in choice list", "required answer missing", "although not relevant",
                   "violates the constraint", "gives", "is not a date", "appears twice",
                   "second record for", "matches no record", "is not a geopoint",
                   "roster.csv: row", "is not a positive amount", "is not one of",
                   "required: the status is", "an exit date but the status"):
        assert phrase in text, phrase


@pytest.mark.parametrize("fixture", ["minimal", "odk-export", "kobo-export"])
def test_fixture_bundles_give_the_same_problems(surveys, rubric, monkeypatch, tmp_path, fixture):
    files, _ = read_files(FIXTURES / fixture)
    columns, rows = both(files, surveys, rubric, monkeypatch)
    assert columns == rows
    broken_files = broken(files, 11, 0.2)
    columns, rows = both(broken_files, surveys, rubric, monkeypatch)
    assert rows and columns == rows


def test_a_survey_with_no_records_and_a_header_only_repeat_file(surveys, rubric, monkeypatch):
    """Before any household is visited (a new evaluation's scores page) the household survey and
    its member repeat are header rows only: no problem either way (the column-wise gathering of
    repeat members once failed here with zip() of unequal lengths)."""
    files, _ = read_files(FIXTURES / "minimal")
    for name in ("household.csv", "household-members.csv"):
        files[name] = files[name].splitlines(keepends=True)[0]
    assert both(files, surveys, rubric, monkeypatch) == ([], [])


def test_without_repeat_file_calculations_over_the_repeat_are_skipped(surveys, rubric, monkeypatch):
    files = broken(demo_files(400, seed=9), 9, 0.05)
    del files["household-members.csv"]
    columns, rows = both(files, surveys, rubric, monkeypatch)
    assert rows and columns == rows



def _sample_faults(rows):
    """sample.csv broken every way the sample checks word: a row twice, a household not in
    the roster, one put in another stratum, an order used twice, a reserve replacing nobody."""
    rows.append(dict(rows[3]))
    rows[5]["household_id"] = "ZZ99999"
    rows[7]["stratum"] = rows[-1]["stratum"] if rows[-1]["stratum"] != rows[7]["stratum"] else "南关"
    rows[9]["order"] = rows[8]["order"]
    if "replaces" in rows[0]:
        rows[11]["replaces"] = "NOBODY"


def _roster_faults(rows):
    """roster.csv with an empty and a repeated household id (the frame cannot be redrawn)."""
    rows[4]["household_id"] = ""
    rows.append(dict(rows[10]))


def _swapped(files):
    """sample.csv drawing one household the seed does not draw (nothing else wrong)."""
    roster = list(csv.DictReader(io.StringIO(files["roster.csv"].decode("utf-8-sig"), newline="")))

    def swap(rows):
        drawn = {r["household_id"] for r in rows}
        rows[2]["household_id"] = next(r["household_id"] for r in roster
                                       if r["stratum"] == rows[2]["stratum"] and r["household_id"] not in drawn)

    return _edit(files, "sample.csv", swap)


@pytest.mark.parametrize("fault", ["sample", "roster", "swap"])
def test_sample_and_frame_faults_give_the_same_problems(surveys, rubric, monkeypatch, fault):
    """The sample, frame and redraw checks (a column at a time) against the row-by-row ones."""
    files = demo_files(700, seed=3)
    if fault == "sample":
        files = _edit(files, "sample.csv", _sample_faults)
    elif fault == "roster":
        files = _edit(files, "roster.csv", _roster_faults)
    else:
        files = _swapped(files)
    columns, rows = both(files, surveys, rubric, monkeypatch)
    assert rows and columns == rows
    text = "\n".join(columns)
    expected = {"sample": ("drawn twice", "is not in roster.csv", "puts household", "used twice"),
                "roster": ("empty household_id", "duplicate household_id"),
                "swap": ("is not what seed", "also draws")}[fault]
    for phrase in expected:
        assert phrase in text, phrase

def test_reference_is_the_old_row_checker():
    """The reference walks each record's answers with the row evaluator (not the new code)."""
    text = (TESTS / "reference" / "row_checker.py").read_text()
    assert "def _field_problems" in text and "check_columns" not in text
    text = (TESTS / "reference" / "roster_checker.py").read_text()
    assert "for i, row in enumerate(bundle.roster):" in text


def _edit(files, name, edit):
    rows = list(csv.DictReader(io.StringIO(files[name].decode("utf-8-sig"), newline="")))
    header = list(rows[0])
    edit(rows)
    text = io.StringIO()
    writer = csv.DictWriter(text, header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return {**files, name: text.getvalue().encode("utf-8")}


def test_boundaries_of_tolerance_and_constraints(surveys, rubric, monkeypatch):
    """A calculation off by exactly 0.5 passes, by 0.51 fails; age 120 passes, 121 fails."""
    parts = ("income_wage", "income_pension", "income_benefit", "income_other")

    def households(rows):
        for row, off in ((rows[0], 0.5), (rows[1], 0.51)):
            for p in parts:  # a sum of 0: no relative tolerance on top of the 0.5
                row[p] = "0"
            row["income_total"] = f"{off:.2f}"

    def members(rows):
        rows[0]["member_age"] = "120"
        rows[1]["member_age"] = "121"

    files = _edit(_edit(demo_files(400), "household.csv", households), "household-members.csv", members)
    columns, rows = both(files, surveys, rubric, monkeypatch)
    assert columns == rows
    formula = "${income_wage} + ${income_pension} + ${income_benefit} + ${income_other}"
    total = [p for p in columns if formula in p]
    assert len(total) == 1 and total[0].startswith("household.csv: row 3, column income_total: ")
    age = [p for p in columns if "member_age" in p]
    assert age == ["household-members.csv: row 3, column member_age: '121' violates the constraint . >= 0 and . <= 120"]


# -- the column-wise short cuts against the per-value functions they stand in for ----------------

_TYPES = ("integer", "decimal", "date", "select_one", "select_multiple", "geopoint", "text", "calculate")
_CELL = st.one_of(
    st.sampled_from(JUNK + ["12", "-3", "0.5", ".5", "5.", "1\n2", "2\n", "-", "1e3", "1_000", "١٢", "nan",
                            "inf", "2026-02-30", "36.0 103.9", "91 200 3 4 5", "a b a", "a", "b", "c"]),
    st.integers(-10**6, 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda x: f"{x:.3f}"),
    st.text(alphabet="0123456789.-\n ab", max_size=6),
)


@settings(max_examples=300)
@given(st.sampled_from(_TYPES), st.sampled_from([(), ("a", "b", "12")]), st.lists(_CELL, max_size=30))
def test_typed_finds_what_type_problem_finds_value_by_value(kind, choices, values):
    from evaluator.bundle.check_columns import type_problem, typed
    from evaluator.bundle.source_files import FieldSpec

    spec = FieldSpec(name="f", type=kind, list_name="l" if choices else "", choices=choices)
    expected = {v: m for v in set(values) if v and (m := type_problem(spec, v))}
    result = typed(spec, values)
    assert dict(result.messages) == expected
    assert result.bad.tolist() == [v in expected for v in values]
    assert result.empty.tolist() == [v == "" for v in values]
    if result.numbers is not None:  # what the expressions read these values as, parsed once
        from evaluator.definitions.expr_columns import as_number, text_column

        assert kind in ("integer", "decimal") and not expected
        read = as_number(text_column(values), len(values))
        assert np.array_equal(result.numbers, read, equal_nan=True) and read.dtype == result.numbers.dtype


_COORDINATE = st.one_of(
    st.floats(-200, 200, allow_nan=False).map(lambda x: f"{x:.5f}"),
    st.integers(-200, 200).map(str),
    st.sampled_from(["9" * 400, "-0", ".5", "-.5", "5.", "90", "-90", "90.000001", "180", "-180.5", "1e2"]))


@settings(max_examples=300, deadline=None)
@given(st.integers(2, 4), st.lists(st.lists(_COORDINATE, min_size=4, max_size=4), max_size=30),
       st.sampled_from(["", "1 2 3", "1  2", " 1 2", "1 2 3 4 5", "1\n2 3"]))
def test_geopoints_typed_as_type_problem_finds_them(parts, points, odd):
    """Geopoints of as many plain numbers each are cleared by one match and one array
    comparison; what that leaves (out of range, overflowing) and any column of another shape
    gets type_problem's own words."""
    from evaluator.bundle.check_columns import type_problem, typed
    from evaluator.bundle.source_files import FieldSpec

    values = [" ".join(point[:parts]) for point in points] + ([odd] if odd else [])
    spec = FieldSpec(name="location", type="geopoint")
    expected = {v: m for v in set(values) if v and (m := type_problem(spec, v))}
    result = typed(spec, values)
    assert dict(result.messages) == expected
    assert result.bad.tolist() == [v in expected for v in values]
    assert result.empty.tolist() == [v == "" for v in values]


@settings(max_examples=300)
@given(st.lists(st.tuples(_CELL, st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10**6, 10**6).map(float),
    st.sampled_from([0.5, -0.5, 1e9 + 0.5, 1e9 + 1.5, 1e300]))), max_size=30))
def test_calculations_cleared_column_wise_would_have_no_message(pairs):
    """agreeing clears a row only where calculation_message has nothing to say."""
    from evaluator.bundle.check_columns import agreeing, calculation_message

    values = [v for v, _ in pairs]
    computed = np.array([c for _, c in pairs], dtype=float)
    cleared = agreeing(values, computed)
    for value, number, clear in zip(values, computed.tolist(), cleared.tolist(), strict=True):
        if clear:
            assert calculation_message(value, number, "${a} + ${b}") is None, (value, number)


@given(st.lists(st.one_of(st.sampled_from(["uuid:abc", " uuid:abc/members[2] ", "abc", "uuid:", "uuid:x/y/z",
                                           "UUID:abc", " ", "", "a/b", "/uuid:q"]),
                          st.text(alphabet="uuid:/ab ", max_size=12)), max_size=20))
def test_instance_keys_are_instance_key_of_each(values):
    from evaluator.bundle.source_files import instance_key, instance_keys

    assert instance_keys(values) == [instance_key(v) for v in values]
