"""Survey YAML files in and out: reading one into data, writing the model back as readable YAML.

Reading turns an unreadable or malformed file into a ``DefinitionError`` with its line and
column; writing keeps one flow mapping per row so an exported survey stays close to the sheet it
came from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from evaluator.definitions.problems import DefinitionError, Problem

# -- reading --------------------------------------------------------------------------------------

def read_yaml(path: str | Path) -> Any:
    """The parsed YAML of ``path``; unreadable or malformed files become a ``DefinitionError``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DefinitionError([Problem(str(path), "", f"cannot read the file: {error}")]) from None
    try:
        return load_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(error, "problem", None) or str(error)
        raise DefinitionError([Problem(str(path), where, f"not valid YAML: {reason}")]) from None


#: libyaml's parser when PyYAML was built with it (the wheels are): the same values as
#: ``yaml.safe_load`` (the same constructor and resolver), about eight times quicker.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load(text)``, parsed by libyaml when PyYAML has it. A text libyaml refuses
    is parsed again by PyYAML's own parser, so a malformed file is refused (or, where the two
    parsers differ, read) with exactly PyYAML's words, line and column, as it always was."""
    try:
        return yaml.load(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        return yaml.safe_load(text)


# -- writing YAML ---------------------------------------------------------------------------------

# Characters YAML cannot hold raw even inside double quotes.
_UNPRINTABLE_RE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd"
                             "\U00010000-\U0010ffff]|[\x85\u2028\u2029]")


def yaml_scalar(value: Any) -> str:
    """``value`` as a YAML flow scalar: plain when YAML reads it back unchanged, else quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if text and "\n" not in text and not _UNPRINTABLE_RE.search(text):
        try:
            if yaml.safe_load("{k: " + text + "}") == {"k": text}:
                return text
        except yaml.YAMLError:
            pass
    return _quoted(text)


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's, plus the unprintables)."""
    return _UNPRINTABLE_RE.sub(_escape_char, json.dumps(text, ensure_ascii=False))


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def yaml_flow(mapping: Mapping[str, Any]) -> str:
    """One flow mapping; keys such as ``label::zh`` are quoted so the colons read clearly."""
    def key(k: Any) -> str:
        return _quoted(k) if isinstance(k, str) and ":" in k else yaml_scalar(k)
    return "{" + ", ".join(f"{key(k)}: {yaml_scalar(v)}" for k, v in mapping.items()) + "}"


def dump_survey(data: Mapping[str, Any]) -> str:
    """The survey model as readable YAML: header keys, then one flow mapping per row/choice,
    one flow list per row of an attached file."""
    lines: list[str] = []
    for key, value in data.items():
        if key in ("survey", "choices", "external_choices", "files"):
            continue
        shown = yaml_flow(value) if isinstance(value, Mapping) else yaml_scalar(value)
        lines.append(f"{yaml_scalar(key)}: {shown}")
    lines += ["", "survey:"]
    lines += [f"  - {yaml_flow(row)}" for row in data.get("survey", [])]
    for section in ("choices", "external_choices"):
        if data.get(section):
            lines += ["", f"{section}:"]
            for list_name, items in data[section].items():
                lines.append(f"  {yaml_scalar(list_name)}:")
                lines += [f"    - {yaml_flow(item)}" for item in items]
    if data.get("files"):
        lines += ["", "files:"]
        for name, table in data["files"].items():
            lines.append(f"  {yaml_scalar(name)}:")
            lines.append(f"    columns: {_flow_list(table['columns'])}")
            lines.append("    rows:" + ("" if table["rows"] else " []"))
            lines += [f"      - {_flow_list(row)}" for row in table["rows"]]
    return "\n".join(lines) + "\n"


def _flow_list(values: list[Any]) -> str:
    return "[" + ", ".join(yaml_scalar(v) for v in values) + "]"
