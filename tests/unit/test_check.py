"""``evaluator check``: the shipped definitions pass; broken copies fail naming file and place."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from evaluator.cli import main
from evaluator.paths import RUBRICS_DIR, SURVEYS_DIR
from evaluator.rubrics.commands import check, check_paths
from evaluator.surveys.definition import load_surveys

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rubrics"
SHIPPED = RUBRICS_DIR / "union-hardship.yaml"


def run(*args: str):
    return CliRunner().invoke(main, ["check", *map(str, args)])


@pytest.fixture
def copies(tmp_path: Path) -> Path:
    """A writable copy of the shipped rubrics/ and surveys/ folders."""
    shutil.copytree(RUBRICS_DIR, tmp_path / "rubrics")
    shutil.copytree(SURVEYS_DIR, tmp_path / "surveys")
    return tmp_path


def test_check_is_registered_on_the_evaluator_command():
    assert main.get_command(None, "check") is check


def test_shipped_definitions_pass_with_a_summary():
    result = run(RUBRICS_DIR, SURVEYS_DIR)
    assert result.exit_code == 0, result.output
    surveys = load_surveys(SURVEYS_DIR)
    fields = sum(len(s.fields) for s in surveys.values())
    assert result.output == (
        f"ok: 1 rubric (21 indicators), {len(surveys)} surveys ({fields} fields)\n"
    )


def test_broken_copy_of_the_shipped_rubric_exits_1_naming_file_and_place(copies: Path):
    rubric = copies / "rubrics" / "union-hardship.yaml"
    text = rubric.read_text(encoding="utf-8")
    # Give T1 (the first indicator of the first dimension) 12 points instead of 10.
    broken = text.replace(
        "        points: 10\n        source: household",
        "        points: 12\n        source: household",
        1,
    )
    assert broken != text
    rubric.write_text(broken, encoding="utf-8")
    result = run(copies / "rubrics", copies / "surveys")
    assert result.exit_code == 1
    assert (
        f"{rubric}: dimensions[0]: indicator points add up to 22, not the dimension's 20"
        in result.output
    )
    assert "1 problem(s) found." in result.output
    assert "Traceback" not in result.output


def test_unknown_field_is_reported_against_the_surveys(copies: Path):
    rubric = copies / "rubrics" / "union-hardship.yaml"
    text = rubric.read_text(encoding="utf-8")
    rubric.write_text(
        text.replace(
            "${knows_helper} = 'yes'\"\n        direction",
            "${knows_helpr} = 'yes'\"\n        direction",
            1,
        ),
        encoding="utf-8",
    )
    result = run(copies / "rubrics", copies / "surveys")
    assert result.exit_code == 1
    assert (
        f"{rubric}: dimensions[2].indicators[0].condition: ${{knows_helpr}} is neither a field "
        "of survey 'household' nor a roster column"
    ) in result.output


def test_rubric_without_its_surveys_says_to_give_them():
    result = run(SHIPPED)
    assert result.exit_code == 1
    assert f"{SHIPPED}: sources.household: survey 'household' was not found" in result.output


def test_unreadable_yaml_names_the_file_and_line():
    path = FIXTURES / "syntax-error.yaml"
    result = run(path)
    assert result.exit_code == 1
    assert f"{path}: line 4, column" in result.output
    assert "not valid YAML" in result.output


def test_file_that_is_neither_rubric_nor_survey():
    path = FIXTURES / "neither.yaml"
    result = run(path)
    assert result.exit_code == 1
    assert (
        f"{path}: neither a survey (no `survey:` key) nor a rubric (no `dimensions:` key)"
        in result.output
    )


def test_missing_path():
    result = run("no/such/folder")
    assert result.exit_code == 1
    assert "no/such/folder: no such file or folder" in result.output


def test_broken_survey_is_reported_once_and_its_rubric_fields_are_not_rechecked(copies: Path):
    survey = copies / "surveys" / "forum.yaml"
    survey.write_text(
        survey.read_text(encoding="utf-8").replace(
            "type: integer, name: participant_count", "type: number, name: participant_count"
        ),
        encoding="utf-8",
    )
    result = check_paths([copies / "rubrics", copies / "surveys"])
    files = {p.file for p in result.problems}
    assert files == {str(survey)}, result.problems


def test_duplicate_survey_ids(copies: Path):
    shutil.copy(copies / "surveys" / "forum.yaml", copies / "surveys" / "forum-copy.yaml")
    result = check_paths([copies / "rubrics", copies / "surveys"])
    assert [str(p) for p in result.problems] == [
        f"{copies / 'surveys' / 'forum.yaml'}: id: survey id 'forum' is also used by "
        f"{copies / 'surveys' / 'forum-copy.yaml'}"
    ]


def test_nonsense_yaml_never_raises(tmp_path: Path):
    cases = {
        "empty.yaml": "",
        "scalar.yaml": "42\n",
        "dims-not-list.yaml": "dimensions: 3\n",
        "indicators-junk.yaml": "dimensions: [{code: x, indicators: [1, [2], {method: veto}]}]\nbands: 5\n",
        "steps-junk.yaml": "dimensions: [{code: x, points: 1, indicators: [{code: a, method: rate, "
        "points: 1, steps: [1, {at: x}], target: [], right: 3, tolerance: 7}]}]\n",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = run(tmp_path)
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for name in cases:
        assert str(tmp_path / name) in result.output


def test_check_prints_what_the_tablet_does_differently_and_still_passes(tmp_path):
    """An imported form's warnings (here: a column the tablet does not use) are printed with
    their place; they do not fail the check."""
    from click.testing import CliRunner

    from evaluator.cli import main
    from evaluator.paths import SURVEYS_DIR

    data = (SURVEYS_DIR / "forum.yaml").read_text(encoding="utf-8")
    survey = tmp_path / "forum.yaml"
    survey.write_text(data.replace("survey:\n", "survey:\n  - {type: text, name: memo, "
                                   "\"label::zh\": 备注, colour: red}\n", 1), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(survey)])
    assert result.exit_code == 0, result.output
    assert f"warning: {survey}: survey[0].colour: column 'colour' is kept for export" in \
        result.output
    assert result.output.strip().endswith("1 warning")
