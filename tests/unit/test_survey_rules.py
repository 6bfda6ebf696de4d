"""Survey rules: one broken copy of a small valid survey per validation rule (keys, types, names,
groups, choices, expressions), each naming its place and message."""

from __future__ import annotations

import copy

import pytest
from survey_cases import minimal, only_problem, problems_of

from evaluator.surveys.definition import build_survey
from evaluator.surveys.validation import check_survey


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
    ("osm", "not asked"), ("start-geopoint", "left empty when it may not"),
    ("simserial", "not recorded"),
    ("subscriberid", "not recorded")])
def test_types_the_tablet_cannot_run_are_warned_about(kind, what):
    data = minimal()
    data["survey"][3]["type"] = kind
    assert problems_of(data) == []
    (warning,) = warnings_of(data)
    assert warning.where == "survey[3].type" and what in warning.message


@pytest.mark.parametrize("kind", ["phonenumber", "email"])
def test_the_devices_phone_number_or_email_is_warned_about_unless_asked(kind):
    data = minimal()
    data["survey"][3]["type"] = kind
    assert warnings_of(data) == []  # with a label it is a question (KoboToolbox's usage)
    for key in [k for k in data["survey"][3] if k.startswith("label")]:
        del data["survey"][3][key]
    assert problems_of(data) == []
    (warning,) = warnings_of(data)
    assert warning.where == "survey[3].type" and "not recorded" in warning.message


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


@pytest.mark.parametrize(("column", "instead"), [
    ("repeat_count", None), ("read_only", None), ("default", None), ("parameters", None),
    ("image::zh", "not shown beside the label"), ("guidance_hint::en", "hint is not shown")])
def test_xlsform_columns_are_valid_and_say_what_the_tablet_does(column, instead):
    data = minimal()
    data["survey"][2][column] = "3"
    assert problems_of(data) == []
    if instead is None:  # run by the tablet
        assert warnings_of(data) == []
        return
    (warning,) = warnings_of(data)
    base = column.split("::")[0]
    assert warning.where == f"survey[2].{column}"
    assert warning.message.startswith(f"column '{base}' is kept for export; on the tablet ")
    assert instead in warning.message


def test_appearances_the_tablet_has_no_widget_for_are_warned_about_once():
    data = minimal()
    data["survey"][1]["appearance"] = "multiline"
    assert warnings_of(data) == []
    for run_here in ("minimal", "likert", "quick", "numbers", "columns-3", "columns-pack"):
        data["survey"][3]["appearance"] = run_here
        assert warnings_of(data) == [], run_here
    data["survey"][1]["appearance"] = "thousands-sep multiline"
    data["survey"][3]["appearance"] = "thousands-sep"
    (warning,) = warnings_of(data)
    assert warning.where == "survey[1].appearance"
    assert warning.message == ("appearance 'thousands-sep' is kept for export; the tablet shows "
                               "the question's usual widget")


@pytest.mark.parametrize(("column", "value", "instead"), [
    ("default", "${agee", "no answer is filled in beforehand"),
    ("read_only", "${age} >", "the answer can be edited"),
    ("repeat_count", "count(", "the evaluator adds the entries")])
def test_xlsform_columns_that_cannot_run_say_what_the_tablet_does(column, value, instead):
    data = minimal()
    data["survey"][2][column] = value
    (warning,) = warnings_of(data)
    assert warning.where == f"survey[2].{column}"
    assert warning.message.startswith("cannot run") and warning.message.endswith(instead)


def test_a_trigger_names_fields_of_the_survey():
    data = minimal()
    data["survey"][2]["trigger"] = "${age}"
    assert problems_of(data) == [] and warnings_of(data) == []
    data["survey"][2]["trigger"] = "${agee}"
    assert only_problem(data).where == "survey[2].trigger"
    data["survey"][2]["trigger"] = "age"
    (warning,) = warnings_of(data)
    assert warning.where == "survey[2].trigger" and "names no field" in warning.message


def test_a_style_setting_is_kept_with_a_warning():
    data = minimal()
    data["settings"] = {"style": "theme-grid"}
    (warning,) = warnings_of(data)
    assert "style 'theme-grid' is kept for export" in warning.message
    data["survey"][3]["appearance"] = "w2"  # a theme-grid width: part of the style's warning
    assert len(warnings_of(data)) == 1
    data["settings"] = {"style": "theme-formhub"}
    assert [w.where for w in warnings_of(data)] == ["style", "survey[3].appearance"]


def test_the_pages_style_is_shown_not_warned_of():
    """Enketo's ``pages`` style pages the tablet's questionnaire by group (static/js/pages.js);
    with another style beside it, only the other is kept for export with a warning."""
    data = minimal()
    data["settings"] = {"style": "pages"}
    assert warnings_of(data) == []
    data["settings"] = {"style": "pages theme-grid"}
    (warning,) = warnings_of(data)
    assert "style 'theme-grid' is kept for export" in warning.message
    assert "pages" not in warning.message.split(";")[0]


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
    ("choice_filter", "every choice is shown")])
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


def test_a_spaced_choice_name_is_warned_about_only_where_a_multiple_answer_splits_it():
    """KoboToolbox and ODK forms write 'Township 01' in lists of select_one questions, where a
    space does no harm; in a select_multiple (or rank) answer it reads as two choices."""
    data = minimal()
    data["choices"]["yes_no"][0]["name"] = "yes indeed"
    assert warnings_of(data) == []
    data["survey"][3]["type"] = "select_multiple yes_no"
    (warning,) = warnings_of(data)
    assert warning.where == "choices.yes_no[0].name" and "has a space" in warning.message
