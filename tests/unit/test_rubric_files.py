"""Rubric files: loading, content hash, estimate -> points, the docs table and fuzzing."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rubric_cases import DOCS, FILE, FIXTURES, SHIPPED, indicator

from evaluator.definitions.expressions import parse
from evaluator.definitions.problems import DefinitionError
from evaluator.rubrics.definition import (
    METHODS,
    PARAMETERS,
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
from evaluator.rubrics.validation import rubric_problems

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
    max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture]
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
