"""Definitions and bundles' YAML are parsed by libyaml (PyYAML's C parser) where PyYAML has it,
for start-up time: every shipped and test YAML file reads to the same value as PyYAML's own
parser gives, and a malformed or repeated-key file is refused with PyYAML's own words."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from evaluator.definitions.problems import DefinitionError
from evaluator.rubrics import yaml_reading
from evaluator.surveys.yaml_io import load_yaml, read_yaml

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted({*ROOT.glob("surveys/*.yaml"), *ROOT.glob("rubrics/*.yaml"),
                *ROOT.glob("tests/fixtures/**/*.yaml")})


def test_pyyaml_has_libyaml():
    assert yaml.__with_libyaml__, "PyYAML without libyaml: definitions load ~8x slower"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_libyaml_reads_every_file_as_pyyaml_does(path):
    text = path.read_text(encoding="utf-8-sig")
    try:
        expected = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        with pytest.raises(yaml.YAMLError) as raised:
            load_yaml(text)
        assert str(raised.value) == str(exc)
        return
    assert yaml.load(text, Loader=yaml.CSafeLoader) == expected  # libyaml itself, not a fallback
    assert load_yaml(text) == expected


@pytest.mark.parametrize("text", [
    "a: 1\nb: [1, 2\n",  # a flow sequence left open
    "a: 1\n  b: 2\n",  # bad indentation
    "a: 'x\n",  # an unclosed quote
    "a:\n\t- 1\n",  # a tab
    "- a\nb: 1\n",
])
def test_a_malformed_text_is_refused_with_pyyamls_words(text, tmp_path):
    with pytest.raises(yaml.YAMLError) as pure:
        yaml.safe_load(text)
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as survey:
        read_yaml(path)
    mark = pure.value.problem_mark
    assert str(survey.value.problems[0]) == (f"{path}: line {mark.line + 1}, column {mark.column + 1}: "
                                             f"not valid YAML: {pure.value.problem}")
    with pytest.raises(DefinitionError) as rubric:
        yaml_reading.parse_yaml(text, "r.yaml")
    with pytest.raises(DefinitionError) as slow:  # the pure parser alone, as it was
        yaml_reading.strict_load(yaml_reading.StrictLoader, text, "r.yaml")
    assert list(rubric.value.problems) == list(slow.value.problems)


def test_repeated_keys_are_found_on_the_same_lines():
    text = "a: 1\nb:\n  c: 2\n  c: 3\na: 4\n"
    with pytest.raises(DefinitionError) as fast:
        yaml_reading.parse_yaml(text, "r.yaml")
    assert [str(p) for p in fast.value.problems] == [
        "r.yaml: line 4: key 'c' appears twice in the same mapping",
        "r.yaml: line 5: key 'a' appears twice in the same mapping"]
    loaders = (yaml_reading.FastStrictLoader, yaml_reading.StrictLoader)
    fast_found, pure_found = (yaml_reading.strict_load(cls, text)[1] for cls in loaders)
    assert fast_found == pure_found == [(5, "a"), (4, "c")]
