"""Rubric rules, loader and values.

Each rule is shown failing on a copy of the shipped rubric changed in exactly one place (or on a
small file under tests/fixtures/rubrics), and each test names the exact place and message.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluator.definitions.expressions import parse
from evaluator.definitions.problems import DefinitionError
from evaluator.paths import RUBRICS_DIR, SURVEYS_DIR
from evaluator.rubrics.definition import (
    METHODS,
    PARAMETERS,
    ROSTER_COLUMNS,
    FindingsScope,
    Indicator,
    Step,
    Text,
    Tolerance,
    VetoLimit,
    content_hash,
    load_rubric,
    read_yaml,
    rubric_from_data,
)
from evaluator.rubrics.survey_references import choice_literals
from evaluator.rubrics.validation import check_together, rubric_problems
from evaluator.surveys.definition import build_survey, load_surveys

SHIPPED = RUBRICS_DIR / "union-hardship.yaml"
FILE = "rubrics/union-hardship.yaml"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rubrics"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "rubric.md"


@pytest.fixture(scope="module")
def shipped() -> dict:
    return read_yaml(SHIPPED)


@pytest.fixture(scope="module")
def surveys():
    return load_surveys(SURVEYS_DIR)


def indicator(data: dict, code: str) -> dict:
    for dimension in data["dimensions"]:
        for item in dimension["indicators"]:
            if item["code"] == code:
                return item
    raise KeyError(code)


def problems(data, surveys=None) -> list[tuple[str, str]]:
    return [(p.where, p.message) for p in rubric_problems(data, FILE, surveys)]


def only(found: list[tuple[str, str]], where: str, fragment: str) -> None:
    """Exactly one problem, at ``where``, whose message contains ``fragment``."""
    assert len(found) == 1, found
    assert found[0][0] == where, found
    assert fragment in found[0][1], found


# --------------------------------------------------------------------------- the shipped rubric


def test_shipped_rubric_passes_alone_and_with_the_shipped_surveys(shipped, surveys):
    assert problems(shipped) == []
    assert problems(shipped, surveys) == []


def test_shipped_rubric_has_the_six_dimensions_and_100_points(surveys):
    rubric = load_rubric(SHIPPED, surveys)
    assert [d.code for d in rubric.dimensions] == [
        "targeting",
        "needs",
        "mechanism",
        "funds",
        "data",
        "outcomes",
    ]
    assert rubric.total == 100
    assert sum(d.points for d in rubric.dimensions) == 100
    assert [(b.grade, b.min) for b in rubric.bands] == [
        ("优秀", 90),
        ("良好", 80),
        ("合格", 60),
        ("不合格", 0),
    ]
    for dimension in rubric.dimensions:
        assert sum(i.points for i in dimension.indicators) == dimension.points
    assert all(i.why.zh and "\n" not in i.why.zh for i in rubric.indicators)
    used = {i.method for i in rubric.indicators}
    assert used == set(METHODS)


def test_shipped_wrong_exit_rate_is_a_lower_is_better_rate_with_a_2_percent_step(surveys):
    wrong_exit = load_rubric(SHIPPED, surveys).indicator("O1")
    assert (wrong_exit.method, wrong_exit.direction) == ("rate", "lower")
    assert wrong_exit.steps[0] == Step(at=0.02, points=wrong_exit.points)
    assert "已脱困" in wrong_exit.applies.text


def test_shipped_misuse_of_funds_veto_caps_the_grade_at_fail(surveys):
    rubric = load_rubric(SHIPPED, surveys)
    veto = rubric.indicator("F4")
    assert veto.cap == "不合格"
    assert veto.findings == FindingsScope("critical", "funds", ())
    assert veto.findings.triggers("critical", "F3", rubric.dimension_of)
    assert not veto.findings.triggers("major", "F3", rubric.dimension_of)
    assert not veto.findings.triggers("critical", "T1", rubric.dimension_of)


# --------------------------------------------------------------------------- points and codes


def test_indicator_points_above_its_dimension(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "M1")["points"] = 25
    found = problems(data)
    assert ("dimensions[2].indicators[0]", "points 25 exceed the dimension's 20") in found
    assert ("dimensions[2]", "indicator points add up to 40, not the dimension's 20") in found
    assert len(found) == 2


def test_indicator_points_must_add_up_to_the_dimension(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "N3")["points"] = 3
    only(problems(data), "dimensions[1]", "indicator points add up to 14, not the dimension's 15")


def test_dimension_points_must_add_up_to_the_total(shipped):
    data = copy.deepcopy(shipped)
    data["total"] = 120
    only(problems(data), "dimensions", "dimension points add up to 100, not the total 120")


def test_indicator_codes_are_unique_across_the_rubric(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "D1")["code"] = "T1"
    only(
        problems(data),
        "dimensions[4].indicators[0]",
        "indicator code 'T1' is already used by dimensions[0].indicators[0]",
    )


def test_dimension_codes_are_unique(shipped):
    data = copy.deepcopy(shipped)
    data["dimensions"][5]["code"] = "targeting"
    only(
        problems(data),
        "dimensions[5]",
        "dimension code 'targeting' is already used by dimensions[0]",
    )


def test_codes_are_plain_identifiers(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "T2")["code"] = "T 2"
    only(problems(data), "dimensions[0].indicators[1]", "code 'T 2' must start with a letter")


def test_a_veto_scores_no_points(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "F4")["points"] = 2
    found = problems(data)
    assert (
        "dimensions[3].indicators[3]",
        "a veto scores no points: write points: 0, not 2",
    ) in found


# --------------------------------------------------------------------------- methods and parameters


def test_unknown_method(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "T2")["method"] = "ratio"
    only(problems(data), "dimensions[0].indicators[1]", "unknown method 'ratio'; known: rate, mean")


def test_missing_required_parameter(shipped):
    data = copy.deepcopy(shipped)
    del indicator(data, "M1")["condition"]
    only(problems(data), "dimensions[2].indicators[0]", "method rate needs 'condition'")


def test_unknown_parameter_for_the_method(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "M1")["items"] = ["knows_helper"]
    only(problems(data), "dimensions[2].indicators[0]", "'items' is not a parameter of method rate")


def test_target_floor_and_steps_are_alternatives(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "M1")["steps"] = [{"at": 0.95, "points": 5}]
    only(
        problems(data),
        "dimensions[2].indicators[0]",
        "method rate takes target/floor or steps, not both",
    )


def test_a_mapped_method_needs_target_floor_or_steps(shipped):
    data = copy.deepcopy(shipped)
    del indicator(data, "M1")["target"]
    del indicator(data, "M1")["floor"]
    only(problems(data), "dimensions[2].indicators[0]", "method rate needs target/floor or steps")


def test_target_needs_a_floor(shipped):
    data = copy.deepcopy(shipped)
    del indicator(data, "M1")["floor"]
    only(problems(data), "dimensions[2].indicators[0]", "'target' needs 'floor' beside it")


def test_veto_takes_condition_or_findings_not_both(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "O4")["findings"] = {"severity": "critical", "dimension": "outcomes"}
    only(
        problems(data),
        "dimensions[5].indicators[3]",
        "method veto takes source/condition/limit or findings, not both",
    )


def test_veto_applies_only_with_a_condition(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "F4")["applies"] = "${consent} = 'yes'"
    only(problems(data), "dimensions[3].indicators[3]", "applies only goes with condition")


# --------------------------------------------------------------------------- values


def test_higher_direction_needs_target_above_floor(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "O2")["floor"] = 0.95
    only(
        problems(data),
        "dimensions[5].indicators[1]",
        "direction higher needs target above floor (target 0.9, floor 0.95)",
    )


def test_lower_direction_needs_target_below_floor(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "T1")["target"] = 0.2
    only(
        problems(data),
        "dimensions[0].indicators[0]",
        "direction lower needs target below floor (target 0.2, floor 0.1)",
    )


def test_direction_is_higher_or_lower(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "O2")["direction"] = "up"
    only(
        problems(data), "dimensions[5].indicators[1]", "direction must be higher or lower, not 'up'"
    )


def test_share_targets_lie_between_0_and_1(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "O2")["target"] = 90
    only(
        problems(data),
        "dimensions[5].indicators[1]",
        "target 90 is outside 0..1: the estimate is a share (write 0.95 for 95 %)",
    )


def test_mean_targets_lie_in_the_declared_range(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "M2")["target"] = 400
    only(
        problems(data),
        "dimensions[2].indicators[1]",
        "target 400 is outside 0..366: the estimate is the range 0..366",
    )


def test_steps_are_ordered_best_first(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "O1")["steps"] = [{"at": 0.02, "points": 8}, {"at": 0.01, "points": 4}]
    only(
        problems(data),
        "dimensions[5].indicators[0].steps[1]",
        "at 0.01 must be above the previous step's 0.02 (direction lower: best first)",
    )


def test_steps_give_fewer_points_as_they_get_worse(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "O1")["steps"] = [{"at": 0.02, "points": 8}, {"at": 0.05, "points": 8}]
    only(
        problems(data),
        "dimensions[5].indicators[0].steps[1]",
        "points 8 must be fewer than the previous step's 8",
    )


def test_the_best_step_gives_full_points(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "O1")["steps"] = [{"at": 0.02, "points": 6}, {"at": 0.05, "points": 4}]
    only(
        problems(data),
        "dimensions[5].indicators[0].steps[0]",
        "the first (best) step gives 6 points, not the indicator's 8",
    )


def test_min_n_is_a_positive_whole_number(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "N2")["min_n"] = 0
    only(
        problems(data),
        "dimensions[1].indicators[1]",
        "min_n must be a positive whole number, not 0",
    )
    indicator(data, "N2")["min_n"] = 2.5
    only(
        problems(data),
        "dimensions[1].indicators[1]",
        "min_n must be a positive whole number, not 2.5",
    )


def test_number_comparison_needs_a_tolerance(shipped):
    data = copy.deepcopy(shipped)
    del indicator(data, "F1")["tolerance"]
    only(problems(data), "dimensions[3].indicators[0]", "compare number needs a tolerance")


def test_tolerance_only_goes_with_number_comparison(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "D3")["tolerance"] = {"absolute": 1}
    only(
        problems(data),
        "dimensions[4].indicators[2]",
        "tolerance only goes with compare number, not text",
    )


def test_relative_tolerance_is_a_share(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "F1")["tolerance"] = {"absolute": 200, "relative": 10}
    only(
        problems(data),
        "dimensions[3].indicators[0].tolerance",
        "relative 10 is a share: write 0.1 for 10 %",
    )


def test_unknown_comparison(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "N1")["compare"] = "set"
    only(
        problems(data),
        "dimensions[1].indicators[0]",
        "compare must be one of number, text, set_overlap, set_equal, not 'set'",
    )


def test_deductions_name_every_severity(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "F3")["per_severity"] = {"minor": 1, "major": -2, "critical": 5}
    only(
        problems(data),
        "dimensions[3].indicators[2].per_severity",
        "major must be a number of points, 0 or more, not -2",
    )
    del indicator(data, "F3")["per_severity"]["major"]
    only(problems(data), "dimensions[3].indicators[2].per_severity", "per_severity needs 'major'")


def test_judgement_spread_within_the_scale(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "M4")["max_spread"] = 12
    only(problems(data), "dimensions[2].indicators[3]", "max_spread 12 is larger than the scale 10")


def test_checklist_pass_value_must_be_quoted_text(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "M3")["pass"] = True  # what YAML makes of an unquoted yes
    only(
        problems(data),
        "dimensions[2].indicators[2]",
        "pass must be a choice name in quotes, not True (YAML reads an unquoted yes/no as true/false)",
    )


def test_version_is_text(shipped):
    data = copy.deepcopy(shipped)
    data["version"] = 2026.1
    only(problems(data), "version", 'version must be text; quote it: "2026.1"')


def test_why_is_one_line(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "T1")["why"] = {"zh": "第一行\n第二行"}
    only(problems(data), "dimensions[0].indicators[0].why", "zh must be one line")


def test_names_need_chinese(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "T1")["name"] = {"en": "Wrongly registered households"}
    only(problems(data), "dimensions[0].indicators[0].name", "needs 'zh' (the Chinese text)")


def test_unknown_top_level_key(shipped):
    data = copy.deepcopy(shipped)
    data["weights"] = {}
    only(problems(data), "", "unknown key 'weights' in the rubric")


# --------------------------------------------------------------------------- bands and vetoes


def test_bands_are_ordered_best_first(shipped):
    data = copy.deepcopy(shipped)
    data["bands"][1]["min"] = 95
    only(
        problems(data),
        "bands[1]",
        "min 95 must be below the previous band's 90 (bands go from the best grade down)",
    )


def test_bands_cover_zero(shipped):
    data = copy.deepcopy(shipped)
    data["bands"][3]["min"] = 10
    only(
        problems(data),
        "bands[3]",
        "the lowest band starts at 10, so scores below it have no grade; it must start at 0",
    )


def test_bands_do_not_start_above_the_total(shipped):
    data = copy.deepcopy(shipped)
    data["bands"][0]["min"] = 110
    only(problems(data), "bands[0]", "min 110 is above the total 100")


def test_band_grades_are_unique(shipped):
    data = copy.deepcopy(shipped)
    data["bands"][1]["grade"] = "优秀"
    only(problems(data), "bands[1]", "grade '优秀' appears twice")


def test_bands_gap_fixture_reports_the_lowest_band():
    found = rubric_problems(read_yaml(FIXTURES / "bands-gap.yaml"), "bands-gap.yaml")
    assert [str(p) for p in found] == [
        "bands-gap.yaml: bands[1]: the lowest band starts at 2, so scores below it have no grade; "
        "it must start at 0"
    ]


def test_veto_cap_names_a_band(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "F4")["cap"] = "Fail"
    only(
        problems(data),
        "dimensions[3].indicators[3]",
        "cap 'Fail' is not a band; bands: 优秀, 良好, 合格, 不合格",
    )


def test_veto_findings_name_a_dimension(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "F4")["findings"]["dimension"] = "money"
    only(
        problems(data),
        "dimensions[3].indicators[3].findings",
        "dimension 'money' is not a dimension code",
    )


def test_veto_findings_name_indicators_of_the_rubric(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "F4")["findings"] = {"severity": "critical", "indicators": ["F3", "F9"]}
    only(
        problems(data),
        "dimensions[3].indicators[3].findings",
        "indicator 'F9' is not an indicator code of this rubric",
    )


def test_veto_findings_severity_is_known(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "F4")["findings"]["severity"] = "fatal"
    only(
        problems(data),
        "dimensions[3].indicators[3].findings",
        "severity must be one of minor, major, critical, not 'fatal'",
    )


def test_veto_counting_sampled_households_is_refused_with_the_rule_to_use(shipped):
    data = copy.deepcopy(shipped)
    o4 = indicator(data, "O4")
    del o4["limit"], o4["trigger"]
    o4["max_count"] = 2
    found = problems(data)
    assert ("dimensions[5].indicators[3]", "'source' needs 'limit' beside it") in found
    assert any("depended on the sample size" in message and "limit: {share: S}" in message
               for where, message in found if where == "dimensions[5].indicators[3]")
    assert len(found) == 2


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ({"share": 1.0}, "share must be a share from 0 up to (not including) 1, not 1.0"),
        ({"share": -0.1}, "share must be a share from 0 up to (not including) 1, not -0.1"),
        ({"households": 2.5}, "households must be a whole number, 0 or more, not 2.5"),
        ({"households": 1, "share": 0.1}, "limit must be {share: S} or {households: K} (one of them)"),
        ({"count": 1}, "limit must be {share: S} or {households: K} (one of them)"),
    ],
)
def test_veto_limit_is_a_share_or_a_number_of_households(shipped, limit, message):
    data = copy.deepcopy(shipped)
    indicator(data, "O4")["limit"] = limit
    only(problems(data), "dimensions[5].indicators[3].limit", message)


def test_veto_trigger_is_bound_or_estimate(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "O4")["trigger"] = "count"
    only(problems(data), "dimensions[5].indicators[3]", "trigger must be bound or estimate, not 'count'")


def test_a_target_of_100_percent_needs_the_share_the_verdict_tests(shipped):
    data = copy.deepcopy(shipped)
    del indicator(data, "T2")["verdict_at"]
    (problem,) = problems(data)
    assert problem[0] == "dimensions[0].indicators[1]"
    assert "can never be shown by a sample" in problem[1] and "verdict_at: 0.98" in problem[1]
    lower = copy.deepcopy(shipped)
    o1 = indicator(lower, "O1")
    o1["steps"] = [{"at": 0.0, "points": 8}, {"at": 0.05, "points": 4}]
    (problem,) = problems(lower)
    assert "verdict_at: 0.02" in problem[1]


@pytest.mark.parametrize(
    ("code", "value", "message"),
    [
        ("T2", 1.0, "verdict_at 1 can never be shown by a sample; use a share strictly between 0 and 1"),
        ("N3", 0.95, "verdict_at 0.95 is above the target 0.9: the verdict may not ask more than full points do"),
        ("T1", 0.02, "verdict_at 0.02 is below the target 0.03: the verdict may not ask more than full points do"),
        ("T2", 1.5, "verdict_at 1.5 is outside 0..1: the estimate is a share (write 0.95 for 95 %)"),
    ],
)
def test_verdict_at_is_a_share_no_stricter_than_the_target(shipped, code, value, message):
    data = copy.deepcopy(shipped)
    indicator(data, code)["verdict_at"] = value
    where = {"T2": "dimensions[0].indicators[1]", "N3": "dimensions[1].indicators[2]",
             "T1": "dimensions[0].indicators[0]"}[code]
    only(problems(data), where, message)


def test_response_and_insufficient_rule_are_checked(shipped, surveys):
    data = copy.deepcopy(shipped)
    data["insufficient"] = "ignore"
    data["response"] = {"visits": "${consent} = 'yes'", "household": "${consnt} = 'yes'"}
    found = problems(data, surveys)
    assert ("insufficient", "insufficient must be zero (an indicator without enough data earns no "
            "points) or pro_rata (its dimension is scored from the others), not 'ignore'") in found
    assert any(where == "response.visits" and "not declared under sources" in message
               for where, message in found)
    assert ("response.household", "${consnt} is neither a field of survey 'household' nor a roster column") in found


# --------------------------------------------------------------------------- sources and expressions


def test_indicator_source_is_declared(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "O2")["source"] = "door"
    only(
        problems(data),
        "dimensions[5].indicators[1]",
        "source 'door' is not declared under sources (household, file_check, system, forum)",
    )


def test_consistency_right_source_is_declared(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "F1")["right"]["source"] = "bank"
    only(
        problems(data),
        "dimensions[3].indicators[0].right",
        "source 'bank' is not declared under sources",
    )


def test_expression_parse_error_names_the_position(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "O2")["condition"] = "${satisfaction} = = '5'"
    found = problems(data)
    only(found, "dimensions[5].indicators[1].condition", "cannot parse \"${satisfaction} = = '5'\"")
    assert re.search(r"at position \d+$", found[0][1]), found


def test_expression_must_be_text(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "O2")["applies"] = True
    only(
        problems(data),
        "dimensions[5].indicators[1].applies",
        "must be an expression in quotes, not True",
    )


def test_survey_of_each_source_exists(shipped, surveys):
    data = copy.deepcopy(shipped)
    data["sources"]["forum"] = "forum_notes"
    only(
        problems(data, surveys),
        "sources.forum",
        "survey 'forum_notes' was not found (checked surveys: file_check, forum, household, system)",
    )


def test_source_maps_to_the_survey_that_feeds_it(shipped, surveys):
    data = copy.deepcopy(shipped)
    data["sources"]["forum"] = "system"
    only(
        problems(data, surveys),
        "sources.forum",
        "survey 'system' feeds source 'system', not 'forum'",
    )


def test_referenced_field_exists_in_the_source_survey(shipped, surveys):
    data = copy.deepcopy(shipped)
    indicator(data, "M1")["condition"] = "${knows_helpr} = 'yes'"
    only(
        problems(data, surveys),
        "dimensions[2].indicators[0].condition",
        "${knows_helpr} is neither a field of survey 'household' nor a roster column",
    )


def test_roster_columns_are_available_to_every_source(shipped, surveys):
    data = copy.deepcopy(shipped)
    indicator(data, "D1")["applies"] = (
        "${township} != '' and ${category} != '' and ${local_standard} > 0"
    )
    indicator(data, "N2")["applies"] = "${stratum} != '' and ${registered_date} != ''"
    assert problems(data, surveys) == []
    assert {"local_standard", "stratum", "registered_date"} <= set(ROSTER_COLUMNS)


def test_consistency_right_value_uses_the_right_survey(shipped, surveys):
    data = copy.deepcopy(shipped)
    indicator(data, "F1")["right"]["value"] = "${aid_amount_total}"  # a household field
    only(
        problems(data, surveys),
        "dimensions[3].indicators[0].right.value",
        "${aid_amount_total} is neither a field of survey 'system' nor a roster column",
    )


def test_checklist_items_are_fields_of_the_source_survey(shipped, surveys):
    data = copy.deepcopy(shipped)
    indicator(data, "M3")["items"].append("has_photo")
    only(
        problems(data, surveys),
        "dimensions[2].indicators[2].items",
        "has_photo is not a field of survey 'file_check'",
    )


def test_completeness_fields_are_fields_of_the_source_survey(shipped, surveys):
    data = copy.deepcopy(shipped)
    indicator(data, "D1")["fields"].append("exit_incme")
    only(
        problems(data, surveys),
        "dimensions[4].indicators[0].fields",
        "exit_incme is not a field of survey 'system'",
    )


def test_compared_choice_exists(shipped, surveys):
    data = copy.deepcopy(shipped)
    indicator(data, "M1")["condition"] = "${knows_helper} = 'maybe'"
    only(
        problems(data, surveys),
        "dimensions[2].indicators[0].condition",
        "'maybe' is not a choice of knows_helper (list yes_no: yes, no)",
    )


def test_selected_choice_exists(shipped, surveys):
    data = copy.deepcopy(shipped)
    indicator(data, "N1")["applies"] = "selected(${hardship_cause}, 'ilness')"
    only(
        problems(data, surveys),
        "dimensions[1].indicators[0].applies",
        "'ilness' is not a choice of hardship_cause (list cause:",
    )


def test_checklist_pass_value_is_a_choice_of_each_item(shipped, surveys):
    data = copy.deepcopy(shipped)
    indicator(data, "O3")["pass"] = "ok"
    found = problems(data, surveys)
    assert len(found) == 5  # one per item
    assert found[0] == (
        "dimensions[5].indicators[2].pass",
        "'ok' is not a choice of item food_secure (yes, no, na)",
    )


@pytest.fixture(scope="module")
def surveys_with_new_types(surveys):
    """The shipped surveys, the household one with a time, a datetime and a rank question."""
    data = read_yaml(SURVEYS_DIR / "household.yaml")
    data["survey"][1:1] = [
        {"type": "time", "name": "visit_time", "label::zh": "入户时间"},
        {"type": "datetime", "name": "visit_at", "label::zh": "入户日期时间"},
        {"type": "rank cause", "name": "cause_rank", "label::zh": "致困原因排序"},
        {"type": "phonenumber", "name": "contact_phone", "label::zh": "联系电话"},
    ]
    return {**surveys, "household": build_survey(data, "household.yaml")}


@pytest.mark.parametrize(("condition", "found"), [
    ("${visit_time} < '12:00'", None),
    ("${visit_time} >= '08:30:00' and ${visit_at} < '2026-11-30T18:00'", None),
    ("${visit_time} < '8am'", "'8am' is not a time (HH:MM or HH:MM:SS) to compare visit_time with"),
    ("${visit_at} > '30/11/2026'", "'30/11/2026' is not a datetime"),
    ("selected-at(${cause_rank}, 0) = 'illness'", None),
    ("selected(${cause_rank}, 'ilness')", "'ilness' is not a choice of cause_rank (list cause:"),
    ("string-length(${contact_phone}) = 11", None),
])
def test_rubric_conditions_use_the_new_question_types(shipped, surveys_with_new_types, condition,
                                                      found):
    data = copy.deepcopy(shipped)
    indicator(data, "N1")["applies"] = condition
    result = problems(data, surveys_with_new_types)
    if found is None:
        assert result == []
    else:
        only(result, "dimensions[1].indicators[0].applies", found)


def test_broken_surveys_are_not_reported_twice(shipped, surveys):
    working = {k: v for k, v in surveys.items() if k != "forum"}
    assert problems(copy.deepcopy(shipped), working) != []
    found = rubric_problems(shipped, FILE, working, unchecked_surveys={"forum"})
    assert found == []


def test_two_files_cannot_publish_the_same_version(shipped, surveys):
    found = check_together([("a.yaml", shipped), ("b.yaml", shipped)], surveys)
    assert [str(p) for p in found] == [
        "b.yaml: version: rubric union-hardship version 2026.2 is also defined in a.yaml"
    ]


def test_choice_literals_finds_comparisons_both_ways_and_selected():
    node = parse("'a' = ${x} or ${y} != 'b' or selected(${z}, 'c') or ${n} > 1")
    assert sorted(choice_literals(node)) == [("x", "a"), ("y", "b"), ("z", "c")]


# --------------------------------------------------------------------------- files


def test_not_a_mapping_fixture():
    found = rubric_problems(read_yaml(FIXTURES / "not-a-mapping.yaml"), "not-a-mapping.yaml")
    assert len(found) == 1 and found[0].message.startswith("a rubric is a YAML mapping")


def test_yaml_syntax_error_names_the_line():
    with pytest.raises(DefinitionError) as caught:
        read_yaml(FIXTURES / "syntax-error.yaml", name="syntax-error.yaml")
    (problem,) = caught.value.problems
    assert problem.file == "syntax-error.yaml"
    assert problem.where.startswith("line 4, column")
    assert problem.message.startswith("not valid YAML:")


def test_repeated_key_names_the_line():
    with pytest.raises(DefinitionError) as caught:
        read_yaml(FIXTURES / "duplicate-key.yaml", name="duplicate-key.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "duplicate-key.yaml: line 5: key 'total' appears twice in the same mapping"
    ]


def test_load_rubric_raises_every_problem_at_once(shipped):
    data = copy.deepcopy(shipped)
    indicator(data, "T1")["method"] = "ratio"
    data["bands"][3]["min"] = 5
    with pytest.raises(DefinitionError) as caught:
        rubric_from_data(data, FILE)
    assert {p.where for p in caught.value.problems} == {"dimensions[0].indicators[0]", "bands[3]"}


def test_minimal_fixture_loads_with_its_expressions_parsed(surveys):
    rubric = load_rubric(FIXTURES / "minimal.yaml", surveys)
    rate = rubric.indicator("O1")
    assert rate.condition.text.startswith("selected(${satisfaction}, '4')")
    assert rate.condition.node == parse(rate.condition.text)
    assert rate.applies.references == {"consent"}
    assert rate.why == Text("满意比例是帮扶成效的最终检验")
    assert rubric.vetoes == (rubric.indicator("O2"),)
    assert rubric.indicator("O2").findings == FindingsScope("critical", None, ("O1", "O2"))


def test_rubric_values_are_frozen(surveys):
    rubric = load_rubric(SHIPPED, surveys)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rubric.total = 50
    with pytest.raises(TypeError):
        rubric.sources["household"] = "other"
    assert isinstance(rubric.indicator("M3").items, tuple)


def test_built_indicators_carry_their_method_parameters(surveys):
    rubric = load_rubric(SHIPPED, surveys)
    amounts = rubric.indicator("F1")
    assert (amounts.right.source, amounts.right.value.text) == ("system", "${aid_total}")
    assert amounts.tolerance == Tolerance(absolute=200.0, relative=0.1)
    assert amounts.missing == "disagree"
    assert rubric.indicator("N1").missing == "skip"
    assert rubric.indicator("F3").per_severity.of("critical") == 5
    assert rubric.indicator("M2").value_range == (0.0, 366.0)
    assert rubric.indicator("M3").pass_value == "yes" and rubric.indicator("M3").na_value == "na"
    assert rubric.indicator("M4").scale == 10 and rubric.indicator("M4").min_n == 2
    assert rubric.indicator("O4").limit == VetoLimit("share", 0.01) and rubric.indicator("O4").cap == "合格"
    assert rubric.indicator("O4").trigger == "bound"
    assert rubric.indicator("T2").verdict_at == 0.98 and rubric.indicator("T1").verdict_at is None
    assert rubric.insufficient == "zero" and rubric.response["household"].text == "${consent} = 'yes'"
    assert rubric.dimension_of["O4"] == "outcomes"
    assert set(amounts.expressions) == {"value", "right.value"}
    assert set(rubric.indicator("T1").expressions) == {"applies", "condition"}


# --------------------------------------------------------------------------- content hash


def test_content_hash_is_sha256_of_canonical_json():
    expected = hashlib.sha256('{"a":1,"b":["中",2.5]}'.encode()).hexdigest()
    assert content_hash({"b": ["中", 2.5], "a": 1}) == expected


def test_content_hash_ignores_layout_and_comments_but_not_meaning(tmp_path, surveys):
    raw = SHIPPED.read_bytes()
    rubric = load_rubric(SHIPPED, surveys)
    assert content_hash(raw) == content_hash(read_yaml(SHIPPED)) == rubric.content_hash
    stripped = "\n".join(
        line for line in raw.decode().splitlines() if not line.lstrip().startswith("#")
    )
    assert content_hash(stripped) == rubric.content_hash
    assert (
        content_hash(raw.decode().replace("target: 0.95", "target: 0.96", 1)) != rubric.content_hash
    )


# --------------------------------------------------------------------------- estimate -> points


def _rate(direction: str, **mapping) -> Indicator:
    return Indicator(
        "X1", Text("测试"), Text("测试"), 8, "rate", "d", "", direction=direction, **mapping
    )


@pytest.mark.parametrize(
    ("estimate", "points"),
    [(0.95, 8.0), (1.0, 8.0), (0.80, 0.0), (0.5, 0.0), (0.875, 4.0), (0.9125, 6.0)],
)
def test_points_for_higher_is_linear_between_floor_and_target(estimate, points):
    assert _rate("higher", target=0.95, floor=0.80).points_for(estimate) == pytest.approx(points)


@pytest.mark.parametrize(
    ("estimate", "points"), [(0.0, 8.0), (0.03, 8.0), (0.10, 0.0), (0.2, 0.0), (0.065, 4.0)]
)
def test_points_for_lower_mirrors_it(estimate, points):
    assert _rate("lower", target=0.03, floor=0.10).points_for(estimate) == pytest.approx(points)


@pytest.mark.parametrize(
    ("estimate", "points"), [(0.0, 8.0), (0.02, 8.0), (0.021, 4.0), (0.05, 4.0), (0.051, 0.0)]
)
def test_points_for_a_step_table(estimate, points):
    steps = (Step(0.02, 8), Step(0.05, 4))
    assert _rate("lower", steps=steps).points_for(estimate) == points


def test_points_for_a_judgement_scale():
    judged = Indicator("M4", Text("座谈"), Text("座谈"), 5, "judgement", "d", "", scale=10)
    assert judged.points_for(7.5) == pytest.approx(3.75)


def test_grade_for_a_score_and_a_veto_cap(surveys):
    rubric = load_rubric(SHIPPED, surveys)
    assert rubric.grade_for(90).grade == "优秀"
    assert rubric.grade_for(89.99).grade == "良好"
    assert rubric.grade_for(0).grade == "不合格"
    assert rubric.grade_for(95, caps=["合格"]).grade == "合格"
    assert rubric.grade_for(65, caps=["良好"]).grade == "合格"  # a cap never raises a grade


def test_tolerance_absolute_or_relative():
    tolerance = Tolerance(absolute=200, relative=0.1)
    assert tolerance.agrees(1150, 1000)  # off by 150 <= 200
    assert tolerance.agrees(5400, 5000)  # off by 400 <= 10 % of 5000
    assert not tolerance.agrees(5600, 5000)


# --------------------------------------------------------------------------- docs follow the table


def test_docs_describe_every_method_and_its_parameters():
    text = DOCS.read_text(encoding="utf-8")
    sections = re.split(r"^### ", text, flags=re.M)
    for method, spec in METHODS.items():
        matching = [s for s in sections if s.startswith(f"`{method}`")]
        assert matching, f"docs/rubric.md has no '### `{method}`' section"
        section = matching[0]
        names = (
            list(spec.required) + list(spec.optional) + [k for g in spec.alternatives for k in g]
        )
        for name in names:
            assert f"`{name}`" in section, f"{method}: `{name}` is not described"
    for name in PARAMETERS:
        assert f"`{name}`" in text


# --------------------------------------------------------------------------- any input, no crash

_junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 200)
    | st.floats(allow_nan=True)
    | st.sampled_from(
        ["", "x", "T1", "funds", "不合格", "${consent} = 'yes'", "${", "rate", "veto"]
    ),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                ["code", "points", "method", "at", "source", "value", "zh", "severity"]
            ),
            inner,
            max_size=3,
        )
    ),
    max_leaves=6,
)


def _places(data, path=()):
    """Every (path) into nested dicts and lists, for replacing one value."""
    yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _places(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _places(value, (*path, index))


_SHIPPED_DATA = read_yaml(SHIPPED)
_PLACES = [p for p in _places(_SHIPPED_DATA) if p]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(place=st.sampled_from(_PLACES), junk=_junk)
def test_any_single_replacement_gives_problems_never_a_crash(place, junk, surveys):
    data = copy.deepcopy(_SHIPPED_DATA)
    target = data
    for key in place[:-1]:
        target = target[key]
    target[place[-1]] = junk
    found = rubric_problems(data, FILE, surveys)
    if found:
        with pytest.raises(DefinitionError):
            rubric_from_data(data, FILE, surveys)
    else:
        rubric_from_data(data, FILE, surveys)


def test_docs_worked_example_for_m1(surveys):
    """docs/rubric.md: two strata, 27/30 of N=300 and 24/30 of N=100 -> 0.875 -> 3.5 points."""
    helper = load_rubric(SHIPPED, surveys).indicator("M1")
    weights = {"A": 300 / 30, "B": 100 / 30}
    yes = {"A": 27, "B": 24}
    estimate = sum(weights[s] * yes[s] for s in weights) / sum(weights[s] * 30 for s in weights)
    assert estimate == pytest.approx(0.875)
    assert helper.points_for(estimate) == pytest.approx(3.5)
    assert load_rubric(SHIPPED, surveys).indicator("T1").points_for(0.05) == pytest.approx(50 / 7)
    assert load_rubric(SHIPPED, surveys).indicator("O1").points_for(0.025) == 4
