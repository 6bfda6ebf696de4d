"""Survey definitions: the shipped questionnaires, loading files, and the YAML writer (the rules
of one broken fixture each are in test_survey_rules.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from survey_cases import minimal, problems_of

from evaluator.definitions.expressions import evaluate, parse
from evaluator.definitions.problems import DefinitionError
from evaluator.paths import SURVEYS_DIR
from evaluator.surveys.definition import load_survey, load_surveys
from evaluator.surveys.validation import check_survey
from evaluator.surveys.yaml_io import dump_survey, read_yaml, yaml_flow, yaml_scalar

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "surveys"
SHIPPED = ("household", "file_check", "forum", "system")
#: The shipped version of each survey (household 2026.2: the members' repeat is labelled 成员).
SHIPPED_VERSIONS = {"household": "2026.2", "file_check": "2026.1", "forum": "2026.1",
                    "system": "2026.1"}



def test_minimal_fixture_is_valid():
    assert problems_of(minimal()) == []


# -- shipped content ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped():
    return load_surveys(SURVEYS_DIR)


def test_every_shipped_survey_loads_with_version_and_source(shipped):
    assert sorted(shipped) == sorted(SHIPPED)
    for survey_id, survey in shipped.items():
        assert survey.version == SHIPPED_VERSIONS[survey_id]
        assert survey.source == survey_id
        assert survey.default_language == "zh"
        assert survey.languages == ("zh", "en")
        assert set(survey.title) == {"zh", "en"}


def test_every_row_and_choice_is_labelled_in_chinese_and_english(shipped):
    for survey in shipped.values():
        for row in survey.rows:
            if not row["type"].startswith("end "):
                assert row.get("label::zh") and row.get("label::en"), (survey.id, row)
        for items in survey.choices.values():
            for choice in items:
                assert set(choice.label) == {"zh", "en"}, (survey.id, choice)


FIELD_CONTRACT = {
    "household": {
        "household_id": "text", "consent": "select_one yes_no",
        "respondent_relation": "select_one", "member_relation": "select_one",
        "member_age": "integer", "member_work": "select_one", "member_health": "select_one",
        "household_size": "calculate", "income_wage": "decimal", "income_pension": "decimal",
        "income_benefit": "decimal", "income_other": "decimal", "expense_medical": "decimal",
        "expense_education": "decimal", "income_total": "calculate",
        "per_capita_income": "calculate", "hardship_cause": "select_multiple cause",
        "needs": "select_multiple need", "aid_received": "select_one yes_no",
        "aid_types": "select_multiple aid_type", "aid_amount_total": "decimal",
        "knows_helper": "select_one yes_no", "helper_visits_12m": "integer",
        "plan_known": "select_one yes_no", "food_secure": "select_one yes_no_na",
        "clothing_secure": "select_one yes_no_na", "medical_insured": "select_one yes_no_na",
        "education_secure": "select_one yes_no_na", "housing_secure": "select_one yes_no_na",
        "exit_told": "select_one yes_no_unknown", "exit_agrees": "select_one yes_no",
        "exit_income_stable": "select_one yes_no", "satisfaction": "select_one sat5",
        "satisfaction_reason": "text", "location": "geopoint", "door_photo": "image",
    },
    "file_check": {
        "household_id": "text", "has_application": "select_one check",
        "income_verified": "select_one check", "public_notice": "select_one check",
        "approval_signed": "select_one check", "has_plan": "select_one check",
        "helper_recorded": "select_one check", "visit_records": "select_one check",
        "vouchers_complete": "select_one check", "exit_assessment": "select_one check",
        "file_status": "select_one", "file_cause": "select_multiple cause",
        "file_aid_total": "decimal", "file_notes": "text",
    },
    "system": {
        "household_id": "text", "township": "text", "category": "select_one",
        "status": "select_one", "household_size": "integer", "per_capita_income": "decimal",
        "sys_cause": "select_multiple cause", "helper_assigned": "select_one yes_no",
        "plan_recorded": "select_one yes_no", "aid_total": "decimal", "aid_count": "integer",
        "last_visit_date": "date", "exit_date": "date", "exit_income": "decimal",
    },
    "forum": {
        "forum_id": "text", "forum_date": "date", "township": "text",
        "participant_types": "select_multiple", "participant_count": "integer",
        "dimension": "select_one", "notes": "text",
    },
}
CHOICE_CONTRACT = {
    ("household", "cause"): ["illness", "disability", "unemployment", "education", "accident",
                             "low_wage", "other"],
    ("household", "need"): ["medical", "education", "employment", "living", "housing", "legal",
                            "psychological"],
    ("household", "aid_type"): ["living", "medical", "education", "employment", "festival",
                                "other"],
    ("household", "sat5"): ["1", "2", "3", "4", "5"],
    ("household", "yes_no_na"): ["yes", "no", "na"],
    ("household", "yes_no_unknown"): ["yes", "no", "unknown"],
    ("file_check", "check"): ["yes", "no", "na"],
    ("file_check", "file_status"): ["registered", "exited", "cancelled"],
    ("system", "category"): ["深度困难", "相对困难", "意外致困"],
    ("system", "status"): ["在档", "已脱困", "注销"],
    ("forum", "participant_type"): ["cadres", "workers", "helpers", "enterprise"],
}


@pytest.mark.parametrize("survey_id", SHIPPED)
def test_shipped_survey_has_every_contract_field_with_its_type(shipped, survey_id):
    fields = shipped[survey_id].fields
    for name, wanted in FIELD_CONTRACT[survey_id].items():
        assert name in fields, name
        kind, _, list_name = wanted.partition(" ")
        assert fields[name].type == kind, name
        if list_name:
            assert fields[name].list_name == list_name, name


@pytest.mark.parametrize(("survey_id", "list_name"), sorted(CHOICE_CONTRACT))
def test_shipped_choice_lists_match_the_contract(shipped, survey_id, list_name):
    assert shipped[survey_id].choice_names(list_name) == CHOICE_CONTRACT[(survey_id, list_name)]


def test_household_members_are_a_repeat_inside_the_consent_group(shipped):
    survey = shipped["household"]
    assert survey.groups["members"].kind == "repeat"
    for name in ("member_relation", "member_age", "member_work", "member_health"):
        assert survey.fields[name].repeat == "members"
        assert survey.fields[name].group_relevant == ("${consent} = 'yes'",)
    assert survey.fields["household_size"].repeat is None
    assert survey.fields["member_age"].constraint == ". >= 0 and . <= 120"


def test_household_relevance_and_conditional_requirements(shipped):
    fields = shipped["household"].fields
    assert fields["aid_amount_total"].relevant == "${aid_received} = 'yes'"
    assert "${knows_helper}" in fields["helper_visits_12m"].relevant
    assert fields["exit_agrees"].relevant == "${exit_told} = 'yes'"
    assert fields["exit_income_stable"].relevant == "${exit_told} = 'yes'"
    assert fields["satisfaction_reason"].required is False
    assert fields["satisfaction_reason"].required_if == \
        "${satisfaction} = '1' or ${satisfaction} = '2'"
    assert fields["consent"].required is True
    assert fields["start"].is_meta and "start" not in shipped["household"].groups
    assert "members_note" not in fields  # notes hold no data


def test_file_check_exit_assessment_applies_only_to_exited_files(shipped):
    assert shipped["file_check"].fields["exit_assessment"].relevant == \
        "${file_status} = 'exited'"


def test_household_calculations_give_disposable_income_per_person(shipped):
    """The calculate rows, evaluated in order, give (income - rigid expenses) / members."""
    fields = shipped["household"].fields
    answers = {"member_relation": ["self", "spouse", "child"], "income_wage": "30000",
               "income_pension": "0", "income_benefit": "6000", "income_other": "1500",
               "expense_medical": "4000", "expense_education": "2500"}
    for name in ("household_size", "income_total", "per_capita_income"):
        answers[name] = evaluate(parse(fields[name].calculation), answers)
    assert answers["household_size"] == 3
    assert answers["income_total"] == 37500
    assert answers["per_capita_income"] == pytest.approx(31000 / 3)
    assert shipped["household"].calculations == ("household_size", "income_total",
                                                 "per_capita_income")


def test_household_age_constraint_accepts_0_to_120(shipped):
    node = parse(shipped["household"].fields["member_age"].constraint)
    assert [evaluate(node, {}, current=age) for age in ("0", "120", "-1", "121")] == \
        [True, True, False, False]


def test_shipped_yaml_dumps_and_reloads_unchanged(shipped):
    for survey in shipped.values():
        assert yaml.safe_load(dump_survey(survey.content)) == survey.content


# -- top-level rules ----------------------------------------------------------------------------

def test_all_problems_are_collected_at_once():
    data = minimal()
    data["version"] = 1
    data["survey"][0]["type"] = "ranges"
    data["survey"][3]["relevant"] = "${x} = 1"
    data["choices"]["yes_no"][1]["name"] = "yes"
    assert len(problems_of(data)) == 4


# -- files ----------------------------------------------------------------------------------------

def test_load_survey_reports_every_problem_of_a_broken_file():
    with pytest.raises(DefinitionError) as caught:
        load_survey(FIXTURES / "broken.yaml")
    wheres = {p.where for p in caught.value.problems}
    assert {"version", "survey[1].type", "survey[2].name", "choices.yes_no[0].name",
            "survey[3].relevant"} <= wheres
    assert all(p.file.endswith("broken.yaml") for p in caught.value.problems)


def test_malformed_yaml_names_line_and_column():
    with pytest.raises(DefinitionError) as caught:
        load_survey(FIXTURES / "malformed.yaml")
    problem = caught.value.problems[0]
    assert problem.where == "line 8, column 5" and "not valid YAML" in problem.message


def test_missing_file_is_a_definition_error(tmp_path):
    with pytest.raises(DefinitionError):
        load_survey(tmp_path / "nope.yaml")


def test_load_surveys_refuses_two_files_with_one_id(tmp_path):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(dump_survey(minimal()), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_surveys(tmp_path)
    assert "also used by" in caught.value.problems[0].message


def test_load_surveys_accepts_a_list_of_paths(tmp_path):
    path = tmp_path / "mini.yml"
    path.write_text(dump_survey(minimal()), encoding="utf-8")
    surveys = load_surveys([path, SURVEYS_DIR / "forum.yaml"])
    assert sorted(surveys) == ["forum", "mini"]
    assert surveys["mini"].fields["age"].group_path == ("visit",)
    assert read_yaml(path) == minimal()


# -- YAML writing ---------------------------------------------------------------------------------

@given(st.text())
def test_any_text_survives_the_yaml_writer(text):
    assert yaml.safe_load("{k: " + yaml_scalar(text) + "}") == {"k": text}


@given(st.dictionaries(st.text(min_size=1), st.text() | st.booleans(), max_size=5))
def test_flow_rows_survive_the_yaml_writer(row):
    assert yaml.safe_load(yaml_flow(row)) == row


@pytest.mark.parametrize("survey_id", ["household", "file_check", "forum", "system"])
def test_shipped_surveys_run_entirely_on_the_tablet(survey_id):
    """No warning: every type, column and expression of the shipped surveys runs offline."""
    problems, warnings = check_survey(read_yaml(SURVEYS_DIR / f"{survey_id}.yaml"), survey_id)
    assert problems == warnings == []
