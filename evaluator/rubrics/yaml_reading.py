"""Reading the YAML a person writes (rubrics, surveys, evaluation.yaml): safe YAML that refuses
a key given twice (PyYAML keeps the last silently), parsed by libyaml when it can and by
PyYAML's own parser when libyaml refuses, so a refusal names its line and column in PyYAML's
words; the commonest refusals are coded, so a page says them in its language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from evaluator.definitions.problem_words import YAML_REFUSALS
from evaluator.definitions.problems import DefinitionError, Problem, coded, coded_as


class StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key given twice in one mapping (PyYAML keeps the last silently)."""

    duplicates: list[tuple[int, str]]


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:
            continue  # an unhashable key; the constructor reports it below
        if duplicate:
            loader.duplicates.append((key_node.start_mark.line + 1, str(key)))
    return loader.construct_mapping(node, deep=deep)


class FastStrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """``StrictLoader`` with libyaml's parser (the wheels have it): the same values and
    repeated keys, about eight times quicker; what it refuses goes to ``StrictLoader``."""

    duplicates: list[tuple[int, str]]


for _loader in (StrictLoader, FastStrictLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: str | Path, *, name: str | None = None) -> Any:
    """Parse a YAML file; a syntax error or a repeated key raises ``DefinitionError`` with its line."""
    path = Path(path)
    file = name or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DefinitionError(
            [coded(file, "", "problem_cannot_read", error=exc.strerror)]
        ) from None
    return parse_yaml(raw, file)


def _yaml_refusal(file: str, where: str, detail: str) -> Problem:
    """``not valid YAML: {detail}``, with the code of its shape when PyYAML said one of the
    common ones (a page then says it in its language); the English is the same either way."""
    return coded_as(file, where, f"not valid YAML: {detail}", YAML_REFUSALS)


def parse_yaml(raw: bytes | str, file: str) -> Any:
    """The YAML text of ``file`` as data; see ``read_yaml``."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            where = f"byte {exc.start}"
            raise DefinitionError(
                [coded(file, where, "problem_yaml_not_utf8")]
            ) from None
    try:
        data, duplicates = strict_load(FastStrictLoader, raw)
    except yaml.YAMLError:  # PyYAML's own parser says why (or reads it), as it always did
        data, duplicates = strict_load(StrictLoader, raw, file)
    if duplicates:
        raise DefinitionError(
            coded(file, f"line {line}", "problem_yaml_key_twice", key=key)
            for line, key in duplicates
        )
    return data


def strict_load(cls: Any, raw: str, file: str | None = None) -> tuple[Any, list[tuple[int, str]]]:
    """(data, repeated keys) of ``raw`` read by the loader class ``cls``; with ``file``, a
    malformed text raises ``DefinitionError`` naming its line and column in ``file``."""
    loader = cls(raw)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        if file is None:
            raise
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise DefinitionError([_yaml_refusal(file, where, message)]) from None
    except yaml.YAMLError as exc:
        if file is None:
            raise
        raise DefinitionError([coded(file, "", "problem_yaml_invalid", detail=str(exc))]) from None
    finally:
        loader.dispose()
    return data, loader.duplicates
