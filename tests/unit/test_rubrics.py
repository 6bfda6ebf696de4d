"""Rubric rules: the shipped rubric, points and codes, methods and parameters, values.

Each rule is shown failing on a copy of the shipped rubric changed in exactly one place (or on a
small file under tests/fixtures/rubrics), and each test names the exact place and message
(helpers in rubric_cases.py, the ``shipped`` and ``surveys`` fixtures in conftest.py).
"""

from __future__ import annotations

import copy

from rubric_cases import SHIPPED, indicator, only, problems

from evaluator.rubrics.definition import (
    METHODS,
    FindingsScope,
    Step,
    load_rubric,
)

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
