"""Survey definitions: the shipped questionnaires, and one broken fixture per validation rule."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from evaluator.definitions.expressions import evaluate, parse
from evaluator.definitions.problems import DefinitionError
from evaluator.paths import SURVEYS_DIR
from evaluator.surveys.definition import build_survey, load_survey, load_surveys
from evaluator.surveys.validation import check_survey, survey_problems
from evaluator.surveys.yaml_io import dump_survey, read_yaml, yaml_flow, yaml_scalar

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "surveys"
SHIPPED = ("household", "file_check", "forum", "system")
#: The shipped version of each survey (household 2026.2: the members' repeat is labelled 成员).
SHIPPED_VERSIONS = {"household": "2026.2", "file_check": "2026.1", "forum": "2026.1",
                    "system": "2026.1"}


def minimal() -> dict:
    """A small valid survey; each rule test breaks exactly one thing in a copy of it."""
    return copy.deepcopy({
        "id": "mini",
        "version": "2026.1",
        "source": "household",
        "title": {"zh": "小问卷", "en": "Mini"},
        "default_language": "zh",
        "survey": [
            {"type": "text", "name": "household_id", "label::zh": "户编号",
             "label::en": "Household code", "required": True},
            {"type": "select_one yes_no", "name": "consent", "label::zh": "是否同意",
             "label::en": "Consent"},
            {"type": "begin group", "name": "visit", "label::zh": "走访",
             "relevant": "${consent} = 'yes'"},
            {"type": "integer", "name": "age", "label::zh": "年龄",
             "constraint": ". >= 0 and . <= 120"},
            {"type": "end group"},
            {"type": "calculate", "name": "double_age", "calculation": "${age} * 2"},
        ],
        "choices": {
            "yes_no": [{"name": "yes", "label::zh": "是", "label::en": "Yes"},
                       {"name": "no", "label::zh": "否", "label::en": "No"}],
        },
    })


def problems_of(data) -> list:
    return survey_problems(data, "mini.yaml")


def only_problem(data):
    problems = problems_of(data)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


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

def test_missing_required_key_is_named():
    data = minimal()
    del data["version"]
    problem = only_problem(data)
    assert (problem.where, "missing" in problem.message) == ("version", True)


def test_unknown_top_key_is_refused():
    data = minimal()
    data["owner"] = "me"
    assert only_problem(data).where == "owner"


def test_unquoted_version_read_as_a_number_is_refused():
    data = minimal()
    data["version"] = 2026.1
    problem = only_problem(data)
    assert problem.where == "version" and "quotes" in problem.message


def test_survey_id_must_be_a_name():
    data = minimal()
    data["id"] = "house hold"
    assert only_problem(data).where == "id"


def test_title_must_map_languages_to_text():
    data = minimal()
    data["title"] = "小问卷"
    assert only_problem(data).where == "title"


def test_title_needs_the_default_language():
    data = minimal()
    data["title"] = {"en": "Mini"}
    problem = only_problem(data)
    assert problem.where == "title" and "default language" in problem.message


def test_default_language_must_be_a_code():
    data = minimal()
    data["default_language"] = "Chinese"
    assert only_problem(data).where == "default_language"


def test_survey_must_be_a_non_empty_list():
    data = minimal()
    data["survey"] = []
    assert only_problem(data).where == "survey"


def test_a_row_must_be_a_mapping():
    data = minimal()
    data["survey"].insert(0, "text household_id")
    assert only_problem(data).where == "survey[0]"


def test_the_whole_file_must_be_a_mapping():
    problems = problems_of(["not", "a", "survey"])
    assert len(problems) == 1 and "mapping" in problems[0].message


# -- types ----------------------------------------------------------------------------------------

def test_row_without_type():
    data = minimal()
    del data["survey"][0]["type"]
    assert only_problem(data).where == "survey[0]"


def test_unknown_type():
    data = minimal()
    data["survey"][3]["type"] = "rating"
    problem = only_problem(data)
    assert problem.where == "survey[3].type" and "unknown type" in problem.message


def warnings_of(data) -> list:
    return check_survey(data, "mini.yaml")[1]


@pytest.mark.parametrize("kind", ["range", "rank yes_no", "time", "datetime", "barcode", "audio",
                                  "video", "acknowledge", "phonenumber", "email", "hidden"])
def test_every_xlsform_type_is_valid(kind):
    data = minimal()
    data["survey"][3]["type"] = kind
    assert problems_of(data) == []


@pytest.mark.parametrize(("kind", "what"), [
    ("geoshape", "asked as text"), ("select_one_from_file places.csv", "is not attached"),
    ("osm", "not asked")])
def test_types_the_tablet_cannot_run_are_warned_about(kind, what):
    data = minimal()
    data["survey"][3]["type"] = kind
    assert problems_of(data) == []
    (warning,) = warnings_of(data)
    assert warning.where == "survey[3].type" and what in warning.message


def test_unknown_type_is_a_problem():
    data = minimal()
    data["survey"][3]["type"] = "ranges"
    assert "unknown type 'ranges'" in only_problem(data).message


def test_metadata_types_kobo_adds_are_accepted():
    data = minimal()
    meta = [{"type": kind, "name": kind} for kind in
            ("start", "end", "today", "deviceid", "username")]
    data["survey"][0:0] = meta
    assert problems_of(data) == []


def test_underscore_group_spellings_are_accepted():
    data = minimal()
    data["survey"][2]["type"] = "begin_group"
    data["survey"][4]["type"] = "end_group"
    assert problems_of(data) == []


def test_every_supported_question_type_is_accepted():
    data = minimal()
    for index, kind in enumerate(("decimal", "date", "geopoint", "image", "note",
                                  "select_multiple yes_no")):
        data["survey"].append({"type": kind, "name": f"q{index}", "label::zh": "问题"})
    data["survey"] += [{"type": "begin repeat", "name": "people", "label::zh": "成员"},
                       {"type": "text", "name": "person", "label::zh": "姓名"},
                       {"type": "end repeat"}]
    assert problems_of(data) == []


def test_select_without_list_name():
    data = minimal()
    data["survey"][1]["type"] = "select_one"
    problem = only_problem(data)
    assert problem.where == "survey[1].type" and "exactly one" in problem.message


def test_select_with_unknown_list():
    data = minimal()
    data["survey"][1]["type"] = "select_one agree"
    problem = only_problem(data)
    assert problem.where == "survey[1].type" and "'agree' does not exist" in problem.message


# -- names and structure --------------------------------------------------------------------------

def test_question_without_name():
    data = minimal()
    del data["survey"][0]["name"]
    assert only_problem(data).where == "survey[0].name"


def test_invalid_name():
    data = minimal()
    data["survey"][3]["name"] = "2age"
    data["survey"][5]["calculation"] = "2 * 2"
    problem = only_problem(data)
    assert problem.where == "survey[3].name" and "bad name" in problem.message


def test_duplicate_name():
    data = minimal()
    data["survey"][3]["name"] = "household_id"
    data["survey"][5]["calculation"] = "2 * 2"
    problem = only_problem(data)
    assert problem.where == "survey[3].name" and "duplicate" in problem.message


def test_unclosed_group():
    data = minimal()
    del data["survey"][4]
    problem = only_problem(data)
    assert problem.where == "survey[2].type" and "never closed" in problem.message


def test_end_without_begin():
    data = minimal()
    data["survey"].append({"type": "end repeat"})
    problem = only_problem(data)
    assert problem.where == "survey[6].type" and "without a matching" in problem.message


def test_end_repeat_cannot_close_a_group():
    data = minimal()
    data["survey"][4]["type"] = "end repeat"
    problem = only_problem(data)
    assert problem.where == "survey[4].type" and "closes 'begin group'" in problem.message


def test_calculate_needs_a_calculation():
    data = minimal()
    del data["survey"][5]["calculation"]
    assert only_problem(data).where == "survey[5].calculation"


def test_question_needs_a_label():
    data = minimal()
    for column in ("label::zh", "label::en"):
        del data["survey"][0][column]
    assert only_problem(data).where == "survey[0].label"


def test_question_without_a_label_in_the_default_language_is_warned_about():
    data = minimal()
    del data["survey"][0]["label::zh"]
    assert problems_of(data) == []
    assert warnings_of(data)[0].where == "survey[0].label::zh"


# -- columns --------------------------------------------------------------------------------------

def test_unknown_column_is_kept_with_a_warning():
    data = minimal()
    data["survey"][0]["colour"] = "red"
    assert problems_of(data) == []
    (warning,) = warnings_of(data)
    assert warning.where == "survey[0].colour" and "kept for export" in warning.message


@pytest.mark.parametrize("column", ["repeat_count", "trigger", "read_only", "parameters",
                                    "image::zh", "guidance_hint::en"])
def test_xlsform_columns_are_valid(column):
    data = minimal()
    data["survey"][2][column] = "3"
    assert problems_of(data) == []
    assert warnings_of(data) == []


def test_language_must_be_a_code_in_yaml():
    data = minimal()
    data["survey"][0]["label::Chinese (zh)"] = data["survey"][0].pop("label::zh")
    assert "survey[0].label::Chinese (zh)" in [p.where for p in problems_of(data)]


def test_yaml_boolean_where_text_is_wanted():
    data = minimal()
    data["choices"]["yes_no"][0]["label::en"] = True  # `label::en: Yes` unquoted
    problem = only_problem(data)
    assert problem.where == "choices.yes_no[0].label::en" and "quotes" in problem.message


def test_empty_value_is_refused():
    data = minimal()
    data["survey"][0]["hint::zh"] = "  "
    assert only_problem(data).where == "survey[0].hint::zh"


def test_plain_label_and_default_language_label_collide():
    data = minimal()
    data["survey"][0]["label"] = "户号"
    assert only_problem(data).where == "survey[0].label"


# -- choices --------------------------------------------------------------------------------------

def test_empty_choice_list():
    data = minimal()
    data["choices"]["yes_no"] = []
    problems = problems_of(data)
    assert [p.where for p in problems] == ["choices.yes_no"]


def test_duplicate_choice_name_within_a_list():
    data = minimal()
    data["choices"]["yes_no"][1]["name"] = "yes"
    problem = only_problem(data)
    assert problem.where == "choices.yes_no[1].name" and "duplicate" in problem.message


def test_same_choice_name_in_two_lists_is_fine():
    data = minimal()
    data["choices"]["agree"] = copy.deepcopy(data["choices"]["yes_no"])
    assert problems_of(data) == []


def test_choice_name_read_by_yaml_as_boolean():
    data = minimal()
    data["choices"]["yes_no"][0]["name"] = True  # `name: yes` unquoted
    assert only_problem(data).where == "choices.yes_no[0].name"


def test_choice_with_two_labels_for_one_language():
    data = minimal()
    data["choices"]["yes_no"][1]["label"] = "不"
    assert only_problem(data).where == "choices.yes_no[1].label"


def test_choice_without_label_is_warned_about():
    data = minimal()
    for column in ("label::zh", "label::en"):
        del data["choices"]["yes_no"][1][column]
    assert problems_of(data) == []
    assert warnings_of(data)[0].where == "choices.yes_no[1]"


# -- expressions ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("column", "instead"), [
    ("relevant", "the question is always asked"), ("constraint", "the answer is not checked"),
    ("calculation", "the value is left empty"), ("required", "the question is optional"),
    ("default", "there is no default"), ("choice_filter", "every choice is shown")])
def test_expression_that_cannot_run_is_warned_about_with_what_happens_instead(column, instead):
    data = minimal()
    data["survey"][1][column] = "${age} >> 3"
    assert problems_of(data) == []
    (warning,) = warnings_of(data)
    assert warning.where == f"survey[1].{column}" and "cannot run" in warning.message
    assert warning.message.endswith(instead)
    field = build_survey(data).fields[data["survey"][1]["name"]]
    assert getattr(field, {"required": "required_if"}.get(column, column)) == ""


@pytest.mark.parametrize("word", ["yes", "no", "true", "false", "TRUE", "FALSE", "true()"])
def test_required_words_are_not_expressions(word):
    data = minimal()
    data["survey"][1]["required"] = word
    assert problems_of(data) == []


def test_literal_default_is_not_an_expression():
    data = minimal()
    data["survey"][3]["default"] = "0"
    assert problems_of(data) == []


def test_expression_default_refers_to_known_fields():
    data = minimal()
    data["survey"][5]["default"] = "${agee} + 1"
    assert only_problem(data).where == "survey[5].default"


@pytest.mark.parametrize("column", ["relevant", "constraint", "calculation", "required"])
def test_reference_to_unknown_field(column):
    data = minimal()
    data["survey"][3][column] = "${agee} > 1"
    problem = only_problem(data)
    assert problem.where == f"survey[3].{column}"
    assert "${agee} is not a field" in problem.message


def test_reference_in_a_label_is_checked():
    data = minimal()
    data["survey"].append({"type": "note", "name": "summary", "label::zh": "年龄 ${agge} 岁"})
    assert only_problem(data).where == "survey[6].label::zh"


def test_references_may_name_groups_repeats_and_later_rows():
    data = minimal()
    data["survey"][0]["relevant"] = "${double_age} > 0 and count(${visit}) >= 0"
    assert problems_of(data) == []


def test_choice_filter_names_choice_columns_bare():
    data = minimal()
    data["survey"].insert(1, {"type": "text", "name": "town", "label::zh": "乡镇"})
    data["survey"].insert(2, {"type": "select_one village", "name": "village",
                              "label::zh": "社区", "choice_filter": "town = ${town}"})
    data["choices"]["village"] = [
        {"name": "v1", "label::zh": "一村", "town": "t1"},
        {"name": "v2", "label::zh": "二村", "town": "t2"},
    ]
    assert problems_of(data) == []
    data["survey"][2]["choice_filter"] = "township = ${town}"
    assert problems_of(data) == []
    (warning,) = warnings_of(data)
    assert warning.where == "survey[2].choice_filter"
    assert "'township' is not a column of the choice list" in warning.message


def test_choice_column_without_a_filter_is_kept():
    data = minimal()
    data["choices"]["yes_no"][0]["colour"] = "green"
    assert problems_of(data) == warnings_of(data) == []


def test_calculations_may_not_depend_on_themselves():
    data = minimal()
    data["survey"][5]["calculation"] = "${triple_age} - ${age}"
    data["survey"].append({"type": "calculate", "name": "triple_age",
                           "calculation": "${double_age} + ${age}"})
    problem = only_problem(data)
    assert problem.where == "survey[5].calculation"
    assert "${double_age} -> ${triple_age} -> ${double_age}" in problem.message


def test_calculations_are_ordered_by_dependency():
    data = minimal()
    data["survey"].insert(0, {"type": "calculate", "name": "quadruple_age",
                              "calculation": "${double_age} * 2"})
    assert build_survey(data).calculations == ("double_age", "quadruple_age")


def test_problems_name_the_file_and_the_place():
    data = minimal()
    data["survey"][3]["relevant"] = "${nope} = 1"
    assert str(only_problem(data)).startswith("mini.yaml: survey[3].relevant: ${nope}")


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
