"""The studio's form and the rubric content it edits, both ways (pure: no Flask, no database).

Every input of the editor is named by the place in the rubric it edits, in the notation the
rubric rules use for their problems (``dimensions[5].indicators[0].target``), so a problem from
``evaluator check`` lands beside the input it is about without a second table of places. The
form sends text; ``form_to_content`` turns it into rubric content — numbers where the rubric
format has numbers, lists where it has lists, a key left out where the input was left empty —
and keeps whatever the author wrote that is no number as text, so the rules say what is wrong
with it. Keys the form has no input for (a parameter added to the format later, a top-level
setting) travel in an "other keys (YAML)" box at their level, so nothing is lost on a save.

``content_to_view`` does the reverse for the page: plain values, one parameter row per key of
the method table with the methods that take it, and the survey fields an author can pick.
``apply_action`` adds, removes and moves dimensions, indicators, bands, sources and steps.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml

from evaluator.rubrics.method_table import (
    COMPARES,
    DIRECTIONS,
    METHODS,
    MISSING,
    PARAMETERS,
    SEVERITIES,
    VETO_TRIGGERS,
)

#: The input for each indicator parameter the form edits; a parameter of the method table
#: without one here is edited in the indicator's "other keys (YAML)" box.
WIDGETS: dict[str, str] = {
    "source": "source",
    "applies": "expression",
    "condition": "expression",
    "value": "expression",
    "right": "right",
    "compare": "choice",
    "tolerance": "tolerance",
    "missing": "choice",
    "items": "fieldlist",
    "pass": "text",
    "na": "text",
    "fields": "fieldlist",
    "range": "range",
    "direction": "choice",
    "target": "number",
    "floor": "number",
    "steps": "steps",
    "min_n": "number",
    "per_severity": "severities",
    "scale": "number",
    "max_spread": "number",
    "cap": "cap",
    "trigger": "choice",
    "limit": "limit",
    "verdict_at": "number",
    "findings": "findings",
}
CHOICES: dict[str, tuple[str, ...]] = {
    "compare": COMPARES,
    "missing": MISSING,
    "direction": DIRECTIONS,
    "severity": SEVERITIES,
    "trigger": VETO_TRIGGERS,
}
TEXT_KEYS = frozenset({"title", "description", "name", "why"})
NUMBER_KEYS = frozenset({
    "total", "min", "points", "target", "floor", "at", "min_n", "scale", "max_spread",
    "verdict_at", "minor", "major", "critical", "absolute", "relative", "share", "households",
})
LIST_KEYS = frozenset({"items", "fields"})
TOP_KEYS = ("id", "version", "title", "description", "total", "bands", "sources", "dimensions")
BAND_KEYS = ("grade", "en", "min")
DIMENSION_KEYS = ("code", "name", "why", "points", "indicators")
INDICATOR_HEAD = ("code", "name", "why", "points", "method")
OTHER = "_other"
#: Rows a list in the form may have (a form naming index 10**9 must not allocate it).
MAX_ROWS = 500
NEW_INDICATOR: dict[str, Any] = {"method": "rate"}

_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d{1,4}\])*)")
_INDEX = re.compile(r"\[(\d{1,4})\]")
_INT = re.compile(r"[+-]?\d{1,15}")
_SPLIT = re.compile(r"[\s,，、;；]+")


# --------------------------------------------------------------------------- places


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def parse_path(name: str) -> tuple[str | int, ...] | None:
    """``dimensions[0].indicators[2].target`` -> ('dimensions', 0, 'indicators', 2, 'target');
    None for a name that is no such place (a CSRF token, a button)."""
    path: list[str | int] = []
    for part in name.split("."):
        match = _PART.fullmatch(part)
        if match is None:
            return None
        path.append(match.group(1))
        path.extend(int(i) for i in _INDEX.findall(match.group(2)))
    return tuple(path)


def place(path: Sequence[str | int]) -> str:
    """The inverse of ``parse_path``: the rules' notation for a place."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out = f"{out}.{part}" if out else part
    return out


# --------------------------------------------------------------------------- form -> content


def form_to_content(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, Any], dict[str, str]]:
    """Rubric content from the form's (name, value) pairs, and the inputs that could not be
    read at all (an "other keys" box that is not YAML), by place. Names that are no place of
    the editor are ignored."""
    tree: dict[Any, Any] = {}
    for name, value in pairs:
        path = parse_path(name)
        if path is None or path[0] not in (*TOP_KEYS, "source_rows", OTHER):
            continue
        if any(isinstance(p, int) and p >= MAX_ROWS for p in path):
            continue
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            last = path[-1]
            if last in LIST_KEYS or (last == "indicators" and path[-2:-1] == ("findings",)):
                node.setdefault(last, []).append(value)
            elif not isinstance(node.get(last), dict):
                node[last] = value
    errors: dict[str, str] = {}
    content = _shape(tree, (), errors)
    rows = content.pop("source_rows", None)
    if isinstance(rows, list):
        sources: dict[str, Any] = {}
        for row in rows:
            if isinstance(row, Mapping) and row.get("name"):
                sources[str(row["name"])] = row.get("survey", "")
        if sources:
            content["sources"] = sources
    return content, errors


def _shape(node: Any, path: tuple[str | int, ...], errors: dict[str, str]) -> Any:
    """Typed values from the nested text the form gave, with empty inputs left out."""
    if isinstance(node, list):  # a list input (items, fields, findings.indicators)
        names = [n for text in node for n in _SPLIT.split(text.strip()) if n]
        return names or None
    if not isinstance(node, dict):
        return _scalar(str(node).strip(), path)
    key = path[-1] if path else None
    if key == "range":  # two inputs, low and high
        pair = [_shape(node[k], (*path, k), errors) for k in sorted(node) if isinstance(k, int)]
        return pair if any(v is not None for v in pair) else None
    if node and all(isinstance(k, int) for k in node):  # rows: keep every row, even blank
        return [_shape(node[k], (*path, k), errors) or {} for k in sorted(node)]
    if key in TEXT_KEYS and set(node) <= {"zh", "en"}:
        zh, en = str(node.get("zh", "")).strip(), str(node.get("en", "")).strip()
        if not zh and not en:
            return None
        return {"zh": zh, "en": en} if en else zh
    out: dict[str, Any] = {}
    for name, child in node.items():
        if name == OTHER:
            continue
        value = _shape(child, (*path, name), errors)
        if value is not None and value != {}:
            out[name] = value
    if OTHER in node:
        extra = _other(str(node[OTHER]), place((*path, OTHER)), errors)
        for name, value in extra.items():
            out.setdefault(name, value)
    return out


def _scalar(text: str, path: tuple[str | int, ...]) -> Any:
    if not text:
        return None
    key = path[-1]
    numeric = key in NUMBER_KEYS or (isinstance(key, int) and path[-2:-1] == ("range",))
    return number(text) if numeric else text


def number(text: str) -> Any:
    """A number as the author typed it: ``30`` an int, ``0.95`` or ``1.0`` a float (as YAML
    reads them, so an unchanged form gives back the same content); anything else stays text."""
    text = text.strip()
    if _INT.fullmatch(text):
        return int(text)
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


def _other(text: str, where: str, errors: dict[str, str]) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        errors[where] = f"not YAML{line}: {getattr(exc, 'problem', None) or exc}"
        return {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        errors[where] = "write the other keys as YAML 'key: value' lines"
        return {}
    return {str(k): v for k, v in data.items()}


# --------------------------------------------------------------------------- content -> view


def text_parts(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {"zh": _show(value.get("zh", "")), "en": _show(value.get("en", ""))}
    return {"zh": _show(value) if value is not None else "", "en": ""}


def _show(value: Any) -> str:
    """A value in an input: numbers as YAML would write them back (1.0 stays 1.0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    if isinstance(value, Mapping):
        return yaml.safe_dump(dict(value), allow_unicode=True, sort_keys=False).strip()
    return str(value)


def _other_text(data: Mapping, known: Iterable[str]) -> str:
    rest = {k: v for k, v in data.items() if k not in set(known)}
    if not rest:
        return ""
    return yaml.safe_dump(rest, allow_unicode=True, sort_keys=False, width=100).strip()


def methods_taking(key: str) -> tuple[str, ...]:
    return tuple(m for m, spec in METHODS.items() if key in spec.allowed)


def param_keys() -> tuple[str, ...]:
    """The indicator parameters with an input, in the docs' order."""
    return tuple(k for k in PARAMETERS if k in WIDGETS)


def content_to_view(content: Mapping[str, Any], fields: Mapping[str, Sequence[Mapping[str, str]]]
                    ) -> dict[str, Any]:
    """Plain values for the editor page.

    ``fields`` maps a source name to the fields an author may pick for it: dicts with
    ``name``, ``label`` and ``type`` (survey fields, then the roster's columns).
    """
    bands = as_list(content.get("bands"))
    sources = as_map(content.get("sources"))
    dimensions = as_list(content.get("dimensions"))
    grades = [str(b.get("grade")) for b in bands if isinstance(b, Mapping) and b.get("grade")]
    codes = [str(d.get("code")) for d in dimensions if isinstance(d, Mapping) and d.get("code")]
    view: dict[str, Any] = {
        "id": _show(content.get("id")),
        "version": _show(content.get("version")),
        "title": text_parts(content.get("title")),
        "description": text_parts(content.get("description")),
        "total": _show(content.get("total")),
        "bands": [{"where": f"bands[{i}]", "grade": _show(b.get("grade")), "en": _show(b.get("en")),
                   "min": _show(b.get("min")), "other": _other_text(b, BAND_KEYS)}
                  for i, b in enumerate(as_map(x) for x in bands)],
        "sources": [{"where": f"sources.{name}", "name": str(name), "survey": _show(survey)}
                    for name, survey in sources.items()],
        "source_names": [str(n) for n in sources],
        "grades": grades,
        "dimension_codes": codes,
        "other": _other_text(content, TOP_KEYS),
        "dimensions": [],
        "fields": {str(k): list(v) for k, v in fields.items()},
    }
    for d, raw in enumerate(dimensions):
        dimension = as_map(raw)
        where = f"dimensions[{d}]"
        indicators = as_list(dimension.get("indicators"))
        view["dimensions"].append({
            "where": where,
            "code": _show(dimension.get("code")),
            "name": text_parts(dimension.get("name")),
            "why": text_parts(dimension.get("why")),
            "points": _show(dimension.get("points")),
            "other": _other_text(dimension, DIMENSION_KEYS),
            "indicators": [_indicator_view(f"{where}.indicators[{i}]", as_map(x))
                           for i, x in enumerate(indicators)],
        })
    return view


def _indicator_view(where: str, indicator: Mapping[str, Any]) -> dict[str, Any]:
    method = indicator.get("method")
    method = method if isinstance(method, str) else ""
    params = []
    for key in param_keys():
        value = indicator.get(key)
        row: dict[str, Any] = {
            "key": key, "widget": WIDGETS[key], "where": f"{where}.{key}",
            "methods": methods_taking(key), "value": _show(value) if WIDGETS[key] not in (
                "right", "tolerance", "limit", "range", "steps", "severities", "findings") else "",
            "choices": CHOICES.get(key, ()),
            "shown": method in methods_taking(key) or key in indicator,
        }
        sub = value if isinstance(value, Mapping) else {}
        if key == "right":
            row["source"], row["expression"] = _show(sub.get("source")), _show(sub.get("value"))
        elif key == "tolerance":
            row["absolute"], row["relative"] = _show(sub.get("absolute")), _show(sub.get("relative"))
        elif key == "limit":
            row["share"], row["households"] = _show(sub.get("share")), _show(sub.get("households"))
        elif key == "per_severity":
            row["levels"] = [(s, _show(sub.get(s))) for s in SEVERITIES]
        elif key == "findings":
            row["severity"], row["dimension"] = _show(sub.get("severity")), _show(sub.get("dimension"))
            row["indicators"] = _show(sub.get("indicators"))
        elif key == "range":
            pair = as_list(value)
            row["low"] = _show(pair[0]) if len(pair) > 0 else ""
            row["high"] = _show(pair[1]) if len(pair) > 1 else ""
        elif key == "steps":
            steps = as_list(value)
            row["steps"] = [{"where": f"{where}.steps[{j}]",
                             "at": _show(s.get("at")) if isinstance(s, Mapping) else "",
                             "points": _show(s.get("points")) if isinstance(s, Mapping) else ""}
                            for j, s in enumerate(steps)]
        params.append(row)
    known = (*INDICATOR_HEAD, *param_keys())
    return {
        "where": where,
        "code": _show(indicator.get("code")),
        "name": text_parts(indicator.get("name")),
        "why": text_parts(indicator.get("why")),
        "points": _show(indicator.get("points")),
        "method": method,
        "source": _show(indicator.get("source")),
        "right_source": _show(indicator["right"].get("source"))
        if isinstance(indicator.get("right"), Mapping) else "",
        "params": params,
        "other": _other_text(indicator, known),
    }


# --------------------------------------------------------------------------- totals


def totals(content: Mapping[str, Any]) -> dict[str, Any]:
    """Points as the author types: each dimension's indicator points against its own, and the
    dimensions' points against the total (the rules say the same in words)."""

    def num(value: Any) -> float | None:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return float(value) if ok and math.isfinite(value) else None

    rows: list[dict[str, Any]] = []
    for d, raw in enumerate(as_list(content.get("dimensions"))):
        dimension = as_map(raw)
        indicators = as_list(dimension.get("indicators"))
        points = [num(i.get("points")) if isinstance(i, Mapping) else None for i in indicators]
        rows.append({"where": f"dimensions[{d}]", "code": _show(dimension.get("code")),
                     "declared": num(dimension.get("points")),
                     "indicators": math.fsum(p for p in points if p is not None)})
    declared = [r["declared"] for r in rows]
    return {"total": num(content.get("total")),
            "dimensions_sum": math.fsum(p for p in declared if p is not None),
            "dimensions": rows}


# --------------------------------------------------------------------------- structure


def apply_action(content: dict[str, Any], action: str) -> dict[str, Any]:
    """``add:PLACE`` appends a row to the list at PLACE; ``remove:PLACE``, ``up:PLACE`` and
    ``down:PLACE`` remove or move the row at PLACE. Unknown actions change nothing."""
    verb, _, where = action.partition(":")
    path = parse_path(where) if where else None
    if path is None:
        return content
    out = copy.deepcopy(content)
    if verb == "add":
        if path == ("sources",):
            sources = out.setdefault("sources", {})
            if isinstance(sources, dict):
                n = len(sources) + 1
                while f"source{n}" in sources:
                    n += 1
                sources[f"source{n}"] = ""
            return out
        parent, key = _container(out, path[:-1]), path[-1]
        if isinstance(parent, dict):
            rows = parent.setdefault(key, [])
            if isinstance(rows, list) and len(rows) < MAX_ROWS:
                rows.append(_new_row(key))
        return out
    if path[:1] == ("sources",) and len(path) == 2 and verb == "remove":
        sources = out.get("sources")
        if isinstance(sources, dict):
            sources.pop(path[1], None)
        return out
    index = path[-1]
    rows = _container(out, path[:-1])
    if not isinstance(index, int) or not isinstance(rows, list) or index >= len(rows):
        return out
    if verb == "remove":
        del rows[index]
    elif verb in ("up", "down"):
        other = index - 1 if verb == "up" else index + 1
        if 0 <= other < len(rows):
            rows[index], rows[other] = rows[other], rows[index]
    return out


def _new_row(key: str | int) -> dict[str, Any]:
    if key == "dimensions":
        return {"indicators": [dict(NEW_INDICATOR)]}
    if key == "indicators":
        return dict(NEW_INDICATOR)
    return {}


def _container(data: Any, path: Sequence[str | int]) -> Any:
    node = data
    for part in path:
        if isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            continue
        if not (isinstance(node, dict) and isinstance(part, str) and part in node):
            return None
        node = node[part]
    return node


# --------------------------------------------------------------------------- a blank rubric


def blank_rubric(key: str = "new-rubric") -> dict[str, Any]:
    """What "start blank" gives: the grade bands and evidence sources every union rubric uses,
    one dimension with one indicator to fill in."""
    return {
        "id": key,
        "version": "1",
        "title": {"zh": "", "en": ""},
        "total": 100,
        "bands": [{"grade": "优秀", "en": "Excellent", "min": 90},
                  {"grade": "良好", "en": "Good", "min": 80},
                  {"grade": "合格", "en": "Pass", "min": 60},
                  {"grade": "不合格", "en": "Fail", "min": 0}],
        "sources": {"household": "household", "file_check": "file_check", "system": "system",
                    "forum": "forum"},
        "dimensions": [{"code": "", "name": "", "points": 100,
                        "indicators": [dict(NEW_INDICATOR)]}],
    }


# --------------------------------------------------------------------------- YAML out


def to_yaml(content: Mapping[str, Any]) -> str:
    """The rubric as a YAML file an author can read: keys in the format's order."""
    return yaml.safe_dump(ordered(content), allow_unicode=True, sort_keys=False, width=100)


def ordered(content: Mapping[str, Any]) -> dict[str, Any]:
    def by(order: Sequence[str], data: Mapping[str, Any]) -> dict[str, Any]:
        keys = [k for k in order if k in data] + [k for k in data if k not in order]
        return {k: data[k] for k in keys}

    out = by(TOP_KEYS, content)
    if isinstance(out.get("bands"), list):
        out["bands"] = [by(BAND_KEYS, b) if isinstance(b, Mapping) else b for b in out["bands"]]
    if isinstance(out.get("dimensions"), list):
        dims = []
        for dimension in out["dimensions"]:
            if isinstance(dimension, Mapping):
                dimension = by(DIMENSION_KEYS, dimension)
                if isinstance(dimension.get("indicators"), list):
                    dimension["indicators"] = [
                        by((*INDICATOR_HEAD, *PARAMETERS), i) if isinstance(i, Mapping) else i
                        for i in dimension["indicators"]]
            dims.append(dimension)
        out["dimensions"] = dims
    return out


# --------------------------------------------------------------------------- problems by place


_QUOTED = re.compile(r"'([a-z_]+)'")


def problem_place(where: str, message: str, places: set[str]) -> str:
    """The input (or block) a problem is shown beside: its own place when the page has an
    input there; else, when the message names a parameter of that block (``method rate needs
    'condition'``, ``target 0.5 must be ...``), that parameter's input; else the nearest
    enclosing block ("" for the rubric as a whole). ``static/js/studio.js`` does the same."""
    path = parse_path(where) if where else ()
    while path is not None:
        here = place(path)
        if here in places:
            named = [m for m in _QUOTED.findall(message)]
            first = message.split(" ", 1)[0]
            for key in (*named, first):
                if f"{here}.{key}" in places:
                    return f"{here}.{key}"
            return here
        if not path:
            return ""
        path = path[:-1]
    return ""


def field_options(surveys: Mapping[str, Any], sources: Any, lang: str,
                  roster_columns: Sequence[str]) -> dict[str, list[dict[str, str]]]:
    """source name -> the fields an author may pick: the source's survey fields (name, label
    in ``lang``, type), then the roster's columns."""
    out: dict[str, list[dict[str, str]]] = {}
    roster = [{"name": c, "label": "", "type": "roster"} for c in roster_columns]
    for source, survey_id in (sources.items() if isinstance(sources, Mapping) else ()):
        survey = surveys.get(survey_id) if isinstance(survey_id, str) else None
        found = []
        for name, spec in (survey.fields.items() if survey is not None else ()):
            if getattr(spec, "type", "") == "note":
                continue
            label = spec.label_in(lang, "zh") if hasattr(spec, "label_in") else name
            found.append({"name": name, "label": label if label != name else "",
                          "type": str(getattr(spec, "type", ""))})
        out[str(source)] = found + roster
    return out


def view_places(view: Mapping[str, Any]) -> set[str]:
    """Every place the editor page shows an input or a block for (``data-where``)."""
    found = {"", "id", "version", "title", "description", "total", "bands", "sources",
             "dimensions", OTHER}
    for band in view["bands"]:
        found.update(f"{band['where']}{s}" for s in ("", ".grade", ".en", ".min"))
    found.update(s["where"] for s in view["sources"])
    for dimension in view["dimensions"]:
        w = dimension["where"]
        found.update(f"{w}{s}" for s in ("", ".code", ".name", ".why", ".points", ".indicators",
                                         f".{OTHER}"))
        for indicator in dimension["indicators"]:
            w = indicator["where"]
            found.update(f"{w}{s}" for s in ("", ".code", ".name", ".why", ".points", ".method",
                                             f".{OTHER}"))
            for row in indicator["params"]:
                found.add(row["where"])
                found.update(step["where"] for step in row.get("steps", ()))
    return found


def placed_problems(problems: Iterable[Mapping[str, str]], places: set[str]
                    ) -> dict[str, list[str]]:
    """place -> the messages shown beside it (see ``problem_place``): placed by the English
    ``message``, shown in the page's language (``text``) where there is one."""
    out: dict[str, list[str]] = {}
    for problem in problems:
        spot = problem_place(problem["where"], problem["message"], places)
        out.setdefault(spot, []).append(problem.get("text") or problem["message"])
    return out
