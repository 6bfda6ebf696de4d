"""Rubric rules: bands and vetoes, sources and expressions (what a rubric may name).

Each rule is shown failing on a copy of the shipped rubric changed in exactly one place, and each
test names the exact place and message (helpers in rubric_cases.py, fixtures in conftest.py)."""

from __future__ import annotations

import copy
import re

import pytest
from rubric_cases import FILE, FIXTURES, indicator, only, problems

from evaluator.definitions.expressions import parse
from evaluator.paths import SURVEYS_DIR
from evaluator.rubrics.definition import (
    ROSTER_COLUMNS,
    read_yaml,
)
from evaluator.rubrics.survey_references import choice_literals
from evaluator.rubrics.validation import check_together, rubric_problems
from evaluator.surveys.definition import build_survey

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
