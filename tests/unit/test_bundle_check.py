"""``bundle_problems``: one test per rule, each breaking a copy of the minimal fixture.

Every assertion names the file, the spreadsheet row and the column, as a person fixing the bundle
in Excel needs them.
"""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from evaluator.bundle import bundle_problems

MINIMAL = Path(__file__).resolve().parents[1] / "fixtures" / "bundles" / "minimal"
TODAY = date(2026, 11, 30)


@pytest.fixture
def bundle(tmp_path) -> Path:
    copy = tmp_path / "bundle"
    shutil.copytree(MINIMAL, copy)
    return copy


def problems(path: Path, surveys, rubric=None) -> list[str]:
    return [str(p) for p in bundle_problems(path, surveys, rubric, today=TODAY)]


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))


def cell(path: Path, row: int, column: str) -> str:
    rows = read_rows(path)
    return rows[row - 1][rows[0].index(column)]


def set_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set the cell at spreadsheet ``row`` (header = 1) and ``column``."""
    rows = read_rows(path)
    rows[row - 1][rows[0].index(column)] = value
    write_rows(path, rows)


def find_row(path: Path, column: str, value: str) -> int:
    rows = read_rows(path)
    index = rows[0].index(column)
    return next(i for i, r in enumerate(rows, start=1) if i > 1 and r[index] == value)


def edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_the_minimal_fixture_is_clean(bundle, surveys, rubric):
    assert problems(bundle, surveys, rubric) == []


# -- files and columns -----------------------------------------------------------------------------


def test_missing_required_file(bundle, surveys):
    (bundle / "findings.csv").unlink()
    assert problems(bundle, surveys) == ["findings.csv: required file is missing from the bundle"]


def test_unknown_file(bundle, surveys):
    (bundle / "notes.csv").write_text("a\n1\n", encoding="utf-8")
    assert problems(bundle, surveys) == [
        "notes.csv: unknown file: not a bundle file nor a source listed in evaluation.yaml"
    ]


def test_missing_roster_column(bundle, surveys):
    rows = [r[:3] + r[4:] for r in read_rows(bundle / "roster.csv")]  # drop category
    write_rows(bundle / "roster.csv", rows)
    assert problems(bundle, surveys) == ["roster.csv: row 1: missing column 'category'"]


def test_missing_required_survey_column(bundle, surveys):
    rows = read_rows(bundle / "file_check.csv")
    index = rows[0].index("has_application")
    write_rows(bundle / "file_check.csv", [r[:index] + r[index + 1:] for r in rows])
    assert problems(bundle, surveys) == [
        "file_check.csv: row 1: missing column 'has_application' (a required field of survey file_check)"
    ]


def test_unknown_column_in_a_source(bundle, surveys):
    rows = read_rows(bundle / "file_check.csv")
    write_rows(bundle / "file_check.csv", [r + (["colour"] if i == 0 else ["red"]) for i, r in enumerate(rows)])
    assert problems(bundle, surveys) == [
        "file_check.csv: row 1, column colour: unknown column: not a field of survey file_check 2026.1"
    ]


def test_rubric_reads_a_column_the_source_lacks(bundle, surveys, rubric):
    rows = read_rows(bundle / "system.csv")
    index = rows[0].index("last_visit_date")
    write_rows(bundle / "system.csv", [r[:index] + r[index + 1:] for r in rows])
    assert problems(bundle, surveys, rubric) == [
        "system.csv: row 1: missing column 'last_visit_date', which rubric indicator D1 reads"
    ]


# -- evaluation.yaml ---------------------------------------------------------------------------------


def test_evaluation_keys(bundle, surveys):
    def change(data):
        data["colour"] = "red"
        del data["title"]
        data["period"]["end"] = "2025/12/31"
        data["synthetic"] = "yes"
        data["team"] = [{"role": "组长"}]
    edit_yaml(bundle / "evaluation.yaml", change)
    assert problems(bundle, surveys) == [
        "evaluation.yaml: colour: unknown key; expected one of id, title, evaluated_unit, commissioning_body, "
        "period, team, rubric, surveys, sampling, synthetic, allow_names, finish_reason",
        "evaluation.yaml: period.end: '2025/12/31' is not a date YYYY-MM-DD",
        "evaluation.yaml: synthetic: 'yes' is not true or false",
        "evaluation.yaml: team[0].name: required",
        "evaluation.yaml: title: required: a title, or {zh: ..., en: ...}",
    ]


def test_survey_named_by_the_bundle_is_not_loaded_or_of_another_version(bundle, surveys):
    def change(data):
        data["surveys"]["forum"]["id"] = "forum_v9"
        data["surveys"]["system"]["version"] = "2025.1"
    edit_yaml(bundle / "evaluation.yaml", change)
    assert problems(bundle, surveys) == [
        "evaluation.yaml: surveys.forum: survey 'forum_v9' is not among the loaded surveys "
        "(file_check, forum, household, system); its records cannot be checked",
        "evaluation.yaml: surveys.system.version: the bundle was made with system version 2025.1 "
        "but version 2026.1 is loaded",
    ]


def test_rubric_of_another_version(bundle, surveys, rubric):
    edit_yaml(bundle / "evaluation.yaml", lambda d: d["rubric"].update(version="2020.1"))
    assert problems(bundle, surveys, rubric) == [
        "evaluation.yaml: rubric: the bundle names rubric union-hardship 2020.1 but union-hardship 2026.2 is used"
    ]


# -- roster ----------------------------------------------------------------------------------------


def test_roster_values(bundle, surveys):
    roster = bundle / "roster.csv"
    set_cell(roster, 2, "category", "特困")
    set_cell(roster, 3, "status", "脱困")
    set_cell(roster, 4, "local_standard", "九千")
    set_cell(roster, 5, "household_size", "0")
    set_cell(roster, 6, "registered_date", "2021/3/1")
    set_cell(roster, 7, "exit_date", "2025-01-01")
    edit_yaml(bundle / "evaluation.yaml", lambda d: d["sampling"].pop("roster_hash"))
    status_of_7 = cell(roster, 7, "status")
    assert status_of_7 != "已脱困"
    assert problems(bundle, surveys) == [
        "roster.csv: row 2, column category: '特困' is not one of 深度困难, 相对困难, 意外致困",
        "roster.csv: row 3, column status: '脱困' is not one of 在档, 已脱困, 注销",
        "roster.csv: row 4, column local_standard: '九千' is not a positive amount (yuan per person per year)",
        "roster.csv: row 5, column household_size: '0' is not a whole number >= 1",
        "roster.csv: row 6, column registered_date: '2021/3/1' is not a date YYYY-MM-DD",
        f"roster.csv: row 7, column exit_date: an exit date but the status is {status_of_7}, not 已脱困",
    ]


def test_exited_household_needs_an_exit_date(bundle, surveys):
    roster = bundle / "roster.csv"
    row = find_row(roster, "household_id", "CG002")
    set_cell(roster, row, "exit_date", "")
    assert problems(bundle, surveys) == [f"roster.csv: row {row}, column exit_date: required: the status is 已脱困"]


def test_duplicate_roster_ids(bundle, surveys):
    rows = read_rows(bundle / "roster.csv")
    write_rows(bundle / "roster.csv", rows + [rows[1]])
    found = problems(bundle, surveys)
    assert f"roster.csv: row {len(rows) + 1}, column household_id: duplicate household_id {rows[1][0]!r} (also row 2)" in found


def test_synthetic_bundle_with_a_valid_looking_id_number(bundle, surveys):
    rows = read_rows(bundle / "roster.csv")
    rows = [r + (["id_number"] if i == 0 else ["000000000000000000"]) for i, r in enumerate(rows)]
    rows[2][-1] = "11010519491231002X"  # the worked example of GB 11643, check digit valid
    write_rows(bundle / "roster.csv", rows)
    assert problems(bundle, surveys) == [
        "roster.csv: row 3, column id_number: a synthetic bundle must not hold a valid-looking ID number; "
        "use 000000... or leave it out"
    ]


# -- sample and sampling plan ---------------------------------------------------------------------------


def test_sample_household_not_in_roster(bundle, surveys):
    set_cell(bundle / "sample.csv", 7, "household_id", "ZZ999")
    found = problems(bundle, surveys)
    assert "sample.csv: row 7, column household_id: household 'ZZ999' is not in roster.csv" in found


def test_sample_stratum_disagrees_with_roster(bundle, surveys):
    set_cell(bundle / "sample.csv", 2, "stratum", "清水河镇")
    hid = cell(bundle / "sample.csv", 2, "household_id")
    found = problems(bundle, surveys)
    assert f"sample.csv: row 2, column stratum: '清水河镇' but roster.csv puts household {hid} in stratum '城关镇'" in found


def test_sample_role_and_order(bundle, surveys):
    set_cell(bundle / "sample.csv", 2, "role", "spare")
    set_cell(bundle / "sample.csv", 3, "order", "first")
    found = problems(bundle, surveys)
    assert "sample.csv: row 2, column role: 'spare' is not sample or reserve" in found
    assert "sample.csv: row 3, column order: 'first' is not a whole number >= 1" in found


def test_sample_drawn_twice(bundle, surveys):
    rows = read_rows(bundle / "sample.csv")
    write_rows(bundle / "sample.csv", rows + [rows[1][:3] + ["9"]])
    found = problems(bundle, surveys)
    assert f"sample.csv: row {len(rows) + 1}, column household_id: household {rows[1][0]!r} drawn twice (also row 2)" in found


def test_plan_frame_sizes_disagree_with_roster(bundle, surveys):
    edit_yaml(bundle / "evaluation.yaml", lambda d: d["sampling"]["strata"][0].update(population=6))
    found = problems(bundle, surveys)
    assert "evaluation.yaml: sampling.strata[0].population: stratum 城关镇: 6 households but roster.csv has 5" in found
    assert "evaluation.yaml: sampling.population: 8 but the strata add up to 9" in found


def test_roster_changed_after_the_draw(bundle, surveys):
    rows = read_rows(bundle / "roster.csv")
    extra = list(rows[1])
    extra[0] = "CG999"
    write_rows(bundle / "roster.csv", rows + [extra])
    found = problems(bundle, surveys)
    assert ("evaluation.yaml: sampling.roster_hash: does not match roster.csv: households or strata changed "
            "after the sample was drawn") in found


def test_sample_that_the_seed_does_not_draw(bundle, surveys):
    sample = bundle / "sample.csv"
    drawn = {r[0] for r in read_rows(sample)[1:]}
    roster_ids = [r[0] for r in read_rows(bundle / "roster.csv")[1:] if r[2] == "城关镇"]
    spare = next(h for h in roster_ids if h not in drawn)
    row = next(i for i, r in enumerate(read_rows(sample), start=1) if r[1] == "城关镇" and r[2] == "reserve")
    original = cell(sample, row, "household_id")
    set_cell(sample, row, "household_id", spare)
    found = problems(bundle, surveys)
    assert f"sample.csv: row {row}: {spare} as reserve 1 is not what seed 7 draws from roster.csv" in found
    assert f"sample.csv: seed 7 also draws {original} (reserve 1), absent from sample.csv" in found


# -- records ----------------------------------------------------------------------------------------------


def test_record_household_not_in_roster(bundle, surveys):
    set_cell(bundle / "system.csv", 3, "household_id", "XX001")
    assert problems(bundle, surveys) == ["system.csv: row 3, column household_id: household 'XX001' is not in roster.csv"]


def test_record_household_not_in_the_sample(bundle, surveys):
    drawn = {r[0] for r in read_rows(bundle / "sample.csv")[1:]}
    other = next(r[0] for r in read_rows(bundle / "roster.csv")[1:] if r[0] not in drawn)
    set_cell(bundle / "file_check.csv", 2, "household_id", other)
    assert problems(bundle, surveys) == [
        f"file_check.csv: row 2, column household_id: household {other!r} is not in sample.csv (neither sample nor reserve)"
    ]


def test_second_record_for_a_household(bundle, surveys):
    rows = read_rows(bundle / "file_check.csv")
    copy = list(rows[1])
    copy[rows[0].index("instance_id")] = "uuid:another"
    write_rows(bundle / "file_check.csv", rows + [copy])
    assert problems(bundle, surveys) == [
        f"file_check.csv: row {len(rows) + 1}, column household_id: second record for household_id {rows[1][rows[0].index('household_id')]} "
        "(also row 2); one is allowed"
    ]


def test_forum_allows_many_records_per_forum_but_one_per_dimension(bundle, surveys):
    rows = read_rows(bundle / "forum.csv")
    copy = list(rows[1])
    copy[rows[0].index("instance_id")] = "uuid:another"
    write_rows(bundle / "forum.csv", rows + [copy])
    assert problems(bundle, surveys) == [
        f"forum.csv: row {len(rows) + 1}, column forum_id: second record for forum_id + dimension ZT-01/mechanism "
        "(also row 2); one is allowed"
    ]


def test_same_submission_twice(bundle, surveys):
    set_cell(bundle / "forum.csv", 3, "instance_id", cell(bundle / "forum.csv", 2, "instance_id"))
    assert problems(bundle, surveys) == [
        "forum.csv: row 3: submission 00000000-0000-4000-a000-000000000001 appears twice (also row 2)"
    ]


@pytest.mark.parametrize("file, column, value, message", [
    ("household.csv", "helper_visits_12m", "four", "'four' is not a whole number"),
    ("household.csv", "income_other", "1,000", "'1,000' is not a number (digits and '.', no thousands separators)"),
    ("system.csv", "last_visit_date", "2026/09/15", "'2026/09/15' is not a date YYYY-MM-DD"),
    ("household.csv", "plan_known", "maybe", "'maybe' is not in choice list yes_no (yes no)"),
    ("household.csv", "hardship_cause", "illness flu",
     "'flu' not in choice list cause (illness disability unemployment education accident low_wage other)"),
    ("household.csv", "location", "north", "'north' is not a geopoint 'latitude longitude [altitude accuracy]'"),
])
def test_value_types_and_choices(bundle, surveys, file, column, value, message):
    path = bundle / file
    row = 2 if cell(path, 2, column) else 3
    if not cell(path, row, column):
        pytest.fail(f"fixture has no {column} answer in rows 2-3")
    set_cell(path, row, column, value)
    assert problems(bundle, surveys) == [f"{file}: row {row}, column {column}: {message}"]


def test_select_multiple_choice_twice(bundle, surveys):
    set_cell(bundle / "system.csv", 2, "sys_cause", "illness illness")
    assert problems(bundle, surveys) == ["system.csv: row 2, column sys_cause: 'illness illness' names a choice twice"]


def test_required_when_relevant(bundle, surveys):
    path = bundle / "household.csv"
    row = find_row(path, "aid_received", "yes")
    set_cell(path, row, "aid_amount_total", "")
    assert problems(bundle, surveys) == [
        f"household.csv: row {row}, column aid_amount_total: required answer missing "
        "(relevant: (${consent} = 'yes') and (${aid_received} = 'yes'))"
    ]


def test_not_required_when_not_relevant(bundle, surveys):
    path = bundle / "household.csv"
    row = find_row(path, "knows_helper", "no")
    assert cell(path, row, "helper_visits_12m") == ""
    assert problems(bundle, surveys) == []


def test_answered_although_not_relevant(bundle, surveys):
    path = bundle / "household.csv"
    row = find_row(path, "exit_told", "no")
    set_cell(path, row, "exit_agrees", "yes")
    assert problems(bundle, surveys) == [
        f"household.csv: row {row}, column exit_agrees: answered ('yes') although not relevant: "
        "(${consent} = 'yes') and (${exit_told} = 'yes') is false"
    ]


def test_required_if_expression(bundle, surveys):
    path = bundle / "household.csv"
    row = find_row(path, "satisfaction", "2")
    set_cell(path, row, "satisfaction_reason", "")
    assert problems(bundle, surveys) == [
        f"household.csv: row {row}, column satisfaction_reason: required answer missing (relevant: ${{consent}} = 'yes')"
    ]


def test_relevance_from_the_records_status(bundle, surveys):
    path = bundle / "system.csv"
    row = find_row(path, "status", "已脱困")
    set_cell(path, row, "exit_income", "")
    assert problems(bundle, surveys) == [
        f"system.csv: row {row}, column exit_income: required answer missing (relevant: ${{status}} = '已脱困')"
    ]


def test_constraint_with_current_value(bundle, surveys):
    path = bundle / "household.csv"
    row = find_row(path, "knows_helper", "yes")
    set_cell(path, row, "helper_visits_12m", "400")
    assert problems(bundle, surveys) == [
        f"household.csv: row {row}, column helper_visits_12m: '400' violates the constraint . >= 0 and . <= 366"
    ]


def test_constraint_with_today(bundle, surveys):
    set_cell(bundle / "forum.csv", 2, "forum_date", "2027-01-01")
    assert problems(bundle, surveys) == ["forum.csv: row 2, column forum_date: '2027-01-01' violates the constraint . <= today()"]


def test_constraint_in_a_repeat_file(bundle, surveys):
    set_cell(bundle / "household-members.csv", 3, "member_age", "130")
    assert problems(bundle, surveys) == [
        "household-members.csv: row 3, column member_age: '130' violates the constraint . >= 0 and . <= 120"
    ]


def test_repeat_row_without_its_record(bundle, surveys):
    set_cell(bundle / "household-members.csv", 2, "PARENT_KEY", "uuid:nobody")
    found = problems(bundle, surveys)
    assert "household-members.csv: row 2, column PARENT_KEY: 'uuid:nobody' matches no record in household.csv" in found


def test_calculation_recomputed(bundle, surveys):
    path = bundle / "household.csv"
    set_cell(path, 2, "income_total", "1")
    wage, pension, benefit, other = (float(cell(path, 2, c)) for c in
                                     ("income_wage", "income_pension", "income_benefit", "income_other"))
    found = problems(bundle, surveys)
    assert found[0] == (
        f"household.csv: row 2, column income_total: 1 but ${{income_wage}} + ${{income_pension}} + "
        f"${{income_benefit}} + ${{income_other}} gives {wage + pension + benefit + other:.2f} from this record's answers"
    )


def test_household_size_is_checked_against_the_members_file(bundle, surveys):
    path = bundle / "household.csv"
    size = int(cell(path, 2, "household_size"))
    set_cell(path, 2, "household_size", str(size + 1))
    found = problems(bundle, surveys)
    assert (f"household.csv: row 2, column household_size: {size + 1} but count(${{member_relation}}) gives "
            f"{size:.2f} from this record's answers") in found


def test_a_bad_consent_does_not_cascade(bundle, surveys):
    set_cell(bundle / "household.csv", 2, "consent", "maybe")
    assert problems(bundle, surveys) == ["household.csv: row 2, column consent: 'maybe' is not in choice list yes_no (yes no)"]


# -- findings and judgements ------------------------------------------------------------------------------


def test_finding_severity_and_deadline(bundle, surveys):
    set_cell(bundle / "findings.csv", 2, "severity", "severe")
    set_cell(bundle / "findings.csv", 3, "deadline", "2027年2月")
    assert problems(bundle, surveys) == [
        "findings.csv: row 2, column severity: 'severe' is not one of minor, major, critical",
        "findings.csv: row 3, column deadline: '2027年2月' is not a date YYYY-MM-DD",
    ]


def test_finding_required_cells_and_household(bundle, surveys):
    set_cell(bundle / "findings.csv", 2, "responsible_unit", "")
    set_cell(bundle / "findings.csv", 3, "household_id", "XX001")
    assert problems(bundle, surveys) == [
        "findings.csv: row 2, column responsible_unit: required",
        "findings.csv: row 3, column household_id: household 'XX001' is not in roster.csv",
    ]


def test_finding_indicator_not_in_rubric(bundle, surveys, rubric):
    set_cell(bundle / "findings.csv", 2, "indicator", "Z9")
    assert problems(bundle, surveys, rubric) == [
        "findings.csv: row 2, column indicator: 'Z9' is not an indicator of rubric union-hardship"
    ]


def test_judgement_score_must_be_a_number(bundle, surveys):
    set_cell(bundle / "judgements.csv", 3, "score", "good")
    set_cell(bundle / "judgements.csv", 4, "reason", "")
    assert problems(bundle, surveys) == [
        "judgements.csv: row 3, column score: 'good' is not a number",
        "judgements.csv: row 4, column reason: required: a judgement needs its written reason",
    ]


def test_judgement_against_the_rubric(bundle, surveys, rubric):
    set_cell(bundle / "judgements.csv", 2, "indicator", "T1")
    set_cell(bundle / "judgements.csv", 3, "score", "11")
    set_cell(bundle / "judgements.csv", 4, "evaluator", cell(bundle / "judgements.csv", 3, "evaluator"))
    assert problems(bundle, surveys, rubric) == [
        "judgements.csv: row 2, column indicator: T1 is scored by method rate, not by judgement",
        "judgements.csv: row 3, column score: 11 is above the scale maximum 10",
        "judgements.csv: row 4, column evaluator: 演示评估员乙 scored M4 twice (also row 3)",
    ]


def test_every_problem_is_reported_together(bundle, surveys):
    set_cell(bundle / "roster.csv", 2, "category", "特困")
    set_cell(bundle / "household.csv", 2, "plan_known", "maybe")
    set_cell(bundle / "judgements.csv", 2, "score", "good")
    (bundle / "findings.csv").unlink()
    found = problems(bundle, surveys)
    assert [f.split(":")[0] for f in found] == ["roster.csv", "household.csv", "findings.csv", "judgements.csv"]


# -- blank rows: problems name the row a spreadsheet shows, blank rows counted ---------------------


def insert_blank_rows(path: Path, before: int, count: int = 1) -> None:
    """Insert ``count`` empty lines just above spreadsheet row ``before`` (header = 1)."""
    rows = read_rows(path)
    write_rows(path, rows[: before - 1] + [[] for _ in range(count)] + rows[before - 1:])


@pytest.mark.parametrize("count", [1, 3])
def test_blank_lines_in_a_source_do_not_shift_the_row_named(bundle, surveys, count):
    path = bundle / "household.csv"
    row = 3 if cell(path, 3, "plan_known") else 2
    set_cell(path, row, "plan_known", "maybe")
    insert_blank_rows(path, before=row, count=count)
    assert cell(path, row + count, "plan_known") == "maybe"  # where Excel shows it
    assert problems(bundle, surveys) == [
        f"household.csv: row {row + count}, column plan_known: 'maybe' is not in choice list yes_no (yes no)"
    ]


def test_blank_line_in_a_source_and_the_also_row_of_a_duplicate(bundle, surveys):
    path = bundle / "forum.csv"
    set_cell(path, 3, "instance_id", cell(path, 2, "instance_id"))
    insert_blank_rows(path, before=2)
    assert problems(bundle, surveys) == [
        "forum.csv: row 4: submission 00000000-0000-4000-a000-000000000001 appears twice (also row 3)"
    ]


def test_blank_line_in_the_roster_does_not_shift_the_row_named(bundle, surveys):
    path = bundle / "roster.csv"
    set_cell(path, 5, "category", "特困")
    insert_blank_rows(path, before=5)
    assert problems(bundle, surveys) == [
        "roster.csv: row 6, column category: '特困' is not one of 深度困难, 相对困难, 意外致困"
    ]


def test_blank_lines_in_the_roster_and_a_duplicate_id(bundle, surveys):
    path = bundle / "roster.csv"
    rows = read_rows(path)
    write_rows(path, [rows[0], [], *rows[1:], [], [], rows[1]])
    found = problems(bundle, surveys)
    assert (f"roster.csv: row {len(rows) + 4}, column household_id: duplicate household_id {rows[1][0]!r} "
            "(also row 3)") in found


def test_blank_line_in_a_repeat_file_does_not_shift_the_row_named(bundle, surveys):
    path = bundle / "household-members.csv"
    set_cell(path, 3, "member_age", "130")
    insert_blank_rows(path, before=3)
    assert problems(bundle, surveys) == [
        "household-members.csv: row 4, column member_age: '130' violates the constraint . >= 0 and . <= 120"
    ]


def test_blank_line_in_the_sample_does_not_shift_the_row_named(bundle, surveys):
    path = bundle / "sample.csv"
    set_cell(path, 4, "household_id", "XX001")
    insert_blank_rows(path, before=3)
    found = problems(bundle, surveys)
    assert "sample.csv: row 5, column household_id: household 'XX001' is not in roster.csv" in found


def test_blank_lines_change_row_numbers_but_not_the_data_hash(bundle, surveys, tmp_path):
    from evaluator.bundle import read_bundle

    clean, clean_problems = read_bundle(bundle, surveys)
    spaced = tmp_path / "spaced"
    shutil.copytree(bundle, spaced)
    insert_blank_rows(spaced / "household.csv", before=3)
    insert_blank_rows(spaced / "roster.csv", before=2, count=2)
    insert_blank_rows(spaced / "household-members.csv", before=4)
    read, read_problems = read_bundle(spaced, surveys)
    assert clean is not None and read is not None
    assert clean_problems == read_problems == []
    # Blank rows hold no data: the hash (and the data a score reads) is the same, only the
    # row numbers problems name differ.
    assert read.data_hash == clean.data_hash
    assert read.roster == clean.roster and read.sources == clean.sources
    household, members = read.sources["household"], read.sources["household"].repeats["members"]
    n = len(household.rows)
    assert household.row_numbers == (2, *range(4, n + 3))
    clean_household = clean.sources["household"]
    assert [clean_household.row_number(i) for i in range(n)] == list(range(2, n + 2))
    assert clean_household.row_numbers == ()  # rows 2, 3, 4...: not held
    assert read.roster_row_numbers[:2] == (4, 5)
    assert members.row_number(1) == 3 and members.row_number(2) == 5
