"""XLSForm's default, read_only, repeat_count and trigger columns, appearances and start-geopoint
as the server sees them (evaluator/fieldwork/logic.py): what the tablet's model carries, what the
server checks and which values it takes from the tablet. The browser's side is run in
tests/browser/test_tablet_columns.py."""

from __future__ import annotations

import copy

import pytest

from evaluator.definitions.expressions import parse, to_json
from evaluator.fieldwork.client_model import client_model
from evaluator.fieldwork.logic import MAX_REPEATS, FormModel
from evaluator.paths import SURVEYS_DIR
from evaluator.surveys.definition import build_survey, load_survey
from evaluator.surveys.validation import check_survey

NEW_KEYS = {"default", "default_expr", "read_only", "trigger", "appearance"}


def survey_data() -> dict:
    return copy.deepcopy({
        "id": "columns", "version": "1", "source": "household",
        "title": {"zh": "列", "en": "Columns"}, "default_language": "zh",
        "survey": [
            {"type": "start-geopoint", "name": "where"},
            {"type": "integer", "name": "people", "label::zh": "人数", "default": "2",
             "appearance": "numbers"},
            {"type": "date", "name": "visit_day", "label::zh": "日期", "default": "today()"},
            {"type": "select_one yes_no", "name": "owner", "label::zh": "自有住房",
             "appearance": "minimal"},
            {"type": "text", "name": "code", "label::zh": "编号", "read_only": "yes",
             "default": "H-01"},
            {"type": "text", "name": "note_owner", "label::zh": "说明",
             "read_only": "${owner} = 'yes'"},
            {"type": "calculate", "name": "owner_changed_at", "calculation": "now()",
             "trigger": "${owner}"},
            {"type": "calculate", "name": "twice", "calculation": "${people} * 2"},
            {"type": "integer", "name": "others", "label::zh": "其他人", "read_only": "yes",
             "calculation": "${people} - 1"},
            {"type": "begin repeat", "name": "members", "label::zh": "成员",
             "repeat_count": "${people}"},
            {"type": "text", "name": "member_name", "label::zh": "姓名"},
            {"type": "end repeat"},
        ],
        "choices": {"yes_no": [{"name": "yes", "label::zh": "是"},
                               {"name": "no", "label::zh": "否"}]},
    })


@pytest.fixture
def model() -> FormModel:
    data = survey_data()
    problems, warnings = check_survey(data, "columns.yaml")
    assert problems == []
    assert [w.message for w in warnings] == [
        "type 'start-geopoint': recorded when the form opens if the tablet's browser may use "
        "its location; left empty when it may not"]
    return FormModel(build_survey(data))


def members(n: int) -> list[dict[str, str]]:
    return [{"member_name": f"m{i}"} for i in range(n)]


def test_the_tablet_model_carries_the_columns_where_rows_have_them(model):
    client = client_model(model)
    fields = client["fields"]
    assert fields["people"]["default"] == "2" and fields["people"]["appearance"] == "numbers"
    assert "default" not in fields["visit_day"]
    assert fields["visit_day"]["default_expr"] == to_json(parse("today()"))
    assert fields["code"]["read_only"] is True and fields["code"]["default"] == "H-01"
    assert fields["note_owner"]["read_only"] == to_json(parse("${owner} = 'yes'"))
    assert fields["owner_changed_at"]["trigger"] == ["owner"]
    assert client["repeats"]["members"]["count"] == to_json(parse("${people}"))
    # a triggered calculation is not recomputed on every change: the tablet sets it
    assert client["calculations"] == ["twice", "others"]
    assert not NEW_KEYS & set(fields["twice"])


def test_the_shipped_surveys_models_have_none_of_the_new_keys():
    for path in sorted(SURVEYS_DIR.glob("*.yaml")):
        client = client_model(FormModel(load_survey(path)))
        for name, fields in client["fields"].items():
            assert not NEW_KEYS & set(fields), (path.name, name)
        assert all("count" not in r for r in client["repeats"].values()), path.name


@pytest.mark.parametrize(("people", "entries", "ok"), [
    ("2", 2, True), ("2", 1, False), ("2", 3, False), ("0", 0, True), ("", 0, True),
    (str(MAX_REPEATS + 5), MAX_REPEATS, True)])
def test_a_counted_repeat_holds_as_many_entries_as_its_count(model, people, entries, ok):
    checked = model.check({"people": people, "owner": "no", "members": members(entries)})
    counts = [p for p in checked.problems if p.code == "count"]
    assert (counts == []) is ok, [p.message for p in checked.problems]
    if not ok:
        (problem,) = counts
        assert problem.field == "members"
        assert problem.message["en"] == f"members must have {people} entries (repeat_count), " \
                                        f"has {entries}"


def test_a_triggered_calculation_keeps_the_tablets_value(model):
    """The value was set when the trigger changed; the record cannot say when that was, so
    the server keeps it, while an ordinary calculation is recomputed whatever is sent."""
    sent = {"people": "2", "owner": "yes", "members": members(2),
            "owner_changed_at": "2026-12-07T09:30:00.000+08:00", "twice": "999"}
    checked = model.check(sent)
    assert checked.ok, [p.message for p in checked.problems]
    assert checked.answers["owner_changed_at"] == "2026-12-07T09:30:00.000+08:00"
    assert checked.answers["twice"] == "4"


def test_a_question_with_a_calculation_is_computed_as_odk_computes_it(model):
    """read_only with a calculation: the tablet shows the computed answer; the server
    recomputes it whatever the record says, as it does a calculate row."""
    checked = model.check({"people": "3", "owner": "no", "members": members(3), "others": "9"})
    assert checked.ok and checked.answers["others"] == "2"


def test_the_start_location_is_the_tablets_and_must_be_a_location(model):
    base = {"people": "0", "owner": "no", "members": []}
    checked = model.check({**base, "where": "31.230416 121.473701 4.0 12.0"})
    assert checked.ok and checked.answers["where"] == "31.230416 121.473701 4.0 12.0"
    assert model.check(base).answers["where"] == ""  # not allowed: recorded empty
    (problem,) = model.check({**base, "where": "here"}).problems
    assert (problem.field, problem.code) == ("where", "type")


def test_a_bundle_check_does_not_recompute_a_triggered_calculation(model):
    """Its value was set when the trigger changed (now() then): recomputing it from the record
    would flag every record; an ordinary calculation is still checked."""
    from evaluator.bundle.source_files import survey_spec

    spec = survey_spec(model.survey)
    assert spec.fields["owner_changed_at"].calculation == ""
    assert spec.fields["twice"].calculation == "${people} * 2"
