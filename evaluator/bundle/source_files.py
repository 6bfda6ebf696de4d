"""Source files (household.csv, file_check.csv, ...) read against their surveys.

Hand-assembled bundles carry ODK Central / KoboToolbox export conventions: group paths, split
select_multiple and geopoint columns, paradata and bookkeeping columns, repeat files. Here each
source file's columns are mapped to its survey's field names, once, so that everything
downstream sees plain ``{field: value}`` rows; ``FieldSpec`` and ``SourceSpec`` are the view of
a survey that this mapping and the checker share.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter, methodcaller
from typing import Any

from evaluator.bundle.model import Column, Ref, RepeatData, SourceData
from evaluator.bundle.parsing import row_numbers, where
from evaluator.bundle.rows import Rows
from evaluator.definitions.problems import Problem, coded
from evaluator.tables import Table

# -- export conventions -------------------------------------------------------------------------

#: Column names meaning paradata, by canonical key; the first present alias wins, later ones are
#: ignored (KoboToolbox writes both ``meta/instanceID`` "uuid:..." and ``_uuid``).
PARADATA_ALIASES: dict[str, tuple[str, ...]] = {
    "instance_id": ("instance_id", "meta/instanceID", "meta-instanceID", "instanceID", "KEY", "_uuid"),
    "submission_date": ("submission_date", "SubmissionDate", "_submission_time"),
    "start": ("start",),
    "end": ("end",),
    "device_id": ("device_id", "deviceid", "DeviceID"),
    "review_state": ("review_state", "ReviewState", "_validation_status"),
    "submitter": ("submitter", "SubmitterName", "_submitted_by"),
}
_ALIAS_TO_KEY = {alias: key for key, aliases in PARADATA_ALIASES.items() for alias in aliases}
_ALIAS_RANK = {alias: rank for aliases in PARADATA_ALIASES.values() for rank, alias in enumerate(aliases)}

#: Export bookkeeping: ignored without complaint (any other ``_name`` column is too).
BOOKKEEPING = frozenset({
    "SubmitterID", "AttachmentsPresent", "AttachmentsExpected", "Status", "Edits", "FormVersion",
    "formhub/uuid", "formhub-uuid", "__version__", "instanceName", "rootUuid", "deprecatedID",
    "audit", "today", "username", "simserial", "subscriberid", "phonenumber", "PARENT_KEY",
})
GEO_PARTS = ("Latitude", "Longitude", "Altitude", "Accuracy")
TRUE_CELLS = frozenset({"1", "true", "True", "TRUE"})
FALSE_CELLS = frozenset({"0", "false", "False", "FALSE", ""})


@dataclass(frozen=True)
class FieldSpec:
    """What the reader and checker need to know about one survey field."""

    name: str
    type: str  # base XLSForm type: text, integer, decimal, select_one, select_multiple, date...
    list_name: str = ""
    choices: tuple[str, ...] = ()
    repeat: str | None = None
    required: bool | str = False  # True, or an XLSForm expression
    relevant: str = ""  # the field's own relevant and every enclosing group's, and-ed
    constraint: str = ""
    calculation: str = ""


@dataclass(frozen=True)
class SourceSpec:
    """The fields of one source's survey, split into the main record and its repeats."""

    survey_id: str
    version: str
    file: str  # where the survey came from, for problems about it
    fields: Mapping[str, FieldSpec]  # main-record fields (not in a repeat)
    repeats: Mapping[str, Mapping[str, FieldSpec]] = field(default_factory=dict)
    labels: frozenset[str] = frozenset()  # question labels in every language (Kobo exports)


# -- survey fields ------------------------------------------------------------------------------


def source_spec(source: str, ref: Ref | None, surveys: Mapping[str, Any] | None) -> SourceSpec | None:
    """The survey for ``source``: the one evaluation.yaml names, else one declaring that source."""
    if not surveys:
        return None
    survey = surveys.get(ref.id) if ref is not None and ref.id else None
    if survey is None:
        matches = [s for s in surveys.values() if getattr(s, "source", None) == source]
        survey = matches[0] if len(matches) == 1 else None
    if survey is None:
        return None
    return survey_spec(survey)


def survey_spec(survey: Any) -> SourceSpec:
    """Adapt an ``evaluator.surveys.definition.Survey`` to the reader's field view."""
    choices = survey.choices or {}
    main: dict[str, FieldSpec] = {}
    repeats: dict[str, dict[str, FieldSpec]] = {}
    for name, f in survey.fields.items():
        base = str(f.type).split(" ")[0]
        list_name = f.list_name or ""
        options = tuple(c.name for c in choices.get(list_name, ())) if list_name else ()
        required: bool | str = True if f.required else (getattr(f, "required_if", "") or False)
        conditions = [c for c in (*getattr(f, "group_relevant", ()), f.relevant) if c and str(c).strip()]
        relevant = conditions[0] if len(conditions) == 1 else " and ".join(f"({c})" for c in conditions)
        spec = FieldSpec(
            name=name,
            type=base,
            list_name=list_name,
            choices=options,
            repeat=f.repeat or None,
            required=required,
            relevant=relevant,
            constraint=f.constraint or "",
            # a triggered calculation ran when its trigger changed: not recomputable from the record
            calculation="" if getattr(f, "trigger", ()) else (f.calculation or ""),
        )
        if spec.repeat:
            repeats.setdefault(spec.repeat, {})[name] = spec
        else:
            main[name] = spec
    return SourceSpec(
        survey_id=str(survey.id),
        version=str(survey.version),
        file=str(getattr(survey, "path", "") or f"{survey.id}.yaml"),
        fields=main,
        repeats=repeats,
        labels=frozenset(text.strip() for f in survey.fields.values()
                         for text in (getattr(f, "label", None) or {}).values() if text.strip()),
    )


# -- column normalisation -----------------------------------------------------------------------


def classify_columns(header: list[str], fields: Mapping[str, FieldSpec] | None) -> tuple[list[Column], list[str]]:
    """How each export column maps to a field; second value: messages about clashes.

    With ``fields`` known: a field name as is; paradata aliases; Kobo split ``field/option``;
    ODK Central geopoint parts ``field-Latitude``; group paths ``grp/field`` or ``grp-field``
    whose trailing segments name a field; bookkeeping ignored; anything else ``unknown``.
    Without ``fields``: group paths are stripped to their last segment.
    """
    columns = [_classify(h, fields, header) for h in header]
    messages: list[str] = []
    # Paradata: the first-ranked alias of each key wins, the others are ignored.
    best: dict[str, str] = {}
    for c in columns:
        if c.kind == "paradata":
            current = best.get(c.name)
            if current is None or _ALIAS_RANK.get(_last(c.header), 99) < _ALIAS_RANK.get(_last(current), 99):
                best[c.name] = c.header
    for i, c in enumerate(columns):
        if c.kind == "paradata" and best[c.name] != c.header:
            columns[i] = Column(c.header, "ignored", c.name)
    # Two columns holding the same field is a clash; split/geo parts yield to the whole column.
    holders: dict[str, list[str]] = {}
    for c in columns:
        if c.kind == "field":
            holders.setdefault(c.name, []).append(c.header)
    for name, headers in holders.items():
        if len(headers) > 1:
            messages.append(f"columns {', '.join(repr(h) for h in headers)} all hold field {name!r}")
    return columns, messages


def _last(header: str) -> str:
    return header.replace("-", "/").rsplit("/", 1)[-1] if header not in _ALIAS_TO_KEY else header


def _classify(header: str, fields: Mapping[str, FieldSpec] | None, all_headers: list[str]) -> Column:
    if fields is not None and header in fields:
        return Column(header, "field", header)
    if header in _ALIAS_TO_KEY:
        return Column(header, "paradata", _ALIAS_TO_KEY[header])
    if header in BOOKKEEPING or header.startswith("_"):
        return Column(header, "ignored")
    if fields is not None:
        # Kobo: select_multiple split into "<path>/<option>" 1/0 columns.
        if "/" in header:
            prefix, option = header.rsplit("/", 1)
            target = _resolve(prefix, fields)
            if target is not None and fields[target].type == "select_multiple" and option in fields[target].choices:
                return Column(header, "split", target, option)
        # ODK Central: geopoint split into "<path>-Latitude" etc.
        for part in GEO_PARTS:
            if header.endswith("-" + part):
                target = _resolve(header[: -len(part) - 1], fields)
                if target is not None and fields[target].type == "geopoint":
                    return Column(header, "geo", target, part)
        target = _resolve(header, fields)
        if target is not None:
            return Column(header, "field", target)
        for suffix in _suffixes(header):
            if suffix in _ALIAS_TO_KEY:
                return Column(header, "paradata", _ALIAS_TO_KEY[suffix])
            if suffix in BOOKKEEPING:
                return Column(header, "ignored")
        return Column(header, "unknown")
    for suffix in _suffixes(header):
        if suffix in _ALIAS_TO_KEY:
            return Column(header, "paradata", _ALIAS_TO_KEY[suffix])
        if suffix in BOOKKEEPING:
            return Column(header, "ignored")
    if "/" in header and header.rsplit("/", 1)[0] in all_headers:
        return Column(header, "ignored")  # a Kobo split column beside its whole column
    last = header.replace("-", "/").rsplit("/", 1)[-1]
    return Column(header, "field", last or header)


def _suffixes(header: str) -> list[str]:
    """Trailing group-path segments, longest first: 'a/b-c' -> ['b-c', 'c'] and so on."""
    out = []
    for i, ch in enumerate(header):
        if ch in "/-" and i + 1 < len(header):
            out.append(header[i + 1:])
    return out


def _resolve(path: str, fields: Mapping[str, FieldSpec]) -> str | None:
    if path in fields:
        return path
    for suffix in _suffixes(path):
        if suffix in fields:
            return suffix
    return None


def normalise_source(source: str, table: Table, spec: SourceSpec | None) -> tuple[SourceData, list[Problem]]:
    """Rows of one source file as ``{field: value}`` plus paradata, with column problems."""
    fields = spec.fields if spec is not None else None
    data, problems = _normalise(table, fields)
    if spec is not None:
        problems += labels_export_problems(table, data.columns, spec)
    return SourceData(
        source, table.path, data.columns, data.fields, data.rows, data.paradata, {}, table.encoding,
        row_numbers(table),
    ), problems


def normalise_repeat(
    source: str, repeat: str, table: Table, spec: SourceSpec | None
) -> tuple[RepeatData, list[Problem]]:
    """A repeat file (``household-members.csv``): its rows and each row's parent instance id."""
    fields = spec.repeats.get(repeat) if spec is not None else None
    header = [h for h in table.header if h not in ("PARENT_KEY", "KEY")]
    sub = Table(table.path, header, table.rows, table.encoding, table.numbers)
    data, problems = _normalise(sub, fields)
    if "PARENT_KEY" not in table.header and "_submission__uuid" not in table.header:
        problems.append(coded(table.path, "row 1", "problem_parent_key_missing"))
    if isinstance(table.rows, Rows):
        rows, blank = table.rows, ("",) * len(table.rows)
        if rows.has("PARENT_KEY") and not rows.has("_submission__uuid"):  # ODK: a column at a time
            parents = tuple(rows.stripped("PARENT_KEY"))
        else:
            parent, submission = (rows.column(c) if rows.has(c) else blank
                                  for c in ("PARENT_KEY", "_submission__uuid"))
            parents = tuple((p or s).strip() for p, s in zip(parent, submission, strict=True))
        keys = tuple(rows.stripped("KEY")) if rows.has("KEY") else blank
    else:
        parents = tuple((raw.get("PARENT_KEY") or raw.get("_submission__uuid") or "").strip() for raw in table.rows)
        keys = tuple((raw.get("KEY") or "").strip() for raw in table.rows)
    repeat_data = RepeatData(
        repeat, table.path, data.columns, data.fields, data.rows, parents, keys, table.encoding, row_numbers(table)
    )
    return repeat_data, problems


def labels_export_problems(table: Table, columns: tuple[Column, ...], spec: SourceSpec
                           ) -> list[Problem]:
    """KoboToolbox can export question labels as headers (and choice labels as values), which
    no survey field matches; say once how to export it instead of only 'unknown column'."""
    unknown = [c.header for c in columns if c.kind == "unknown"]
    labelled = [h for h in unknown if h.rsplit("/", 1)[-1].strip() in spec.labels]
    if len(labelled) < 2 and not (labelled and len(labelled) == len(unknown)):
        return []
    return [Problem(table.path, "row 1", f"{len(labelled)} column headers are question labels "
                    f"(e.g. '{labelled[0]}'): this is a KoboToolbox export with labels; export "
                    "again choosing 'XML values and headers'")]


def instance_key(value: str) -> str:
    """An instance id comparable across exports: 'uuid:abc', Kobo's bare 'abc' and a repeat's
    PARENT_KEY 'uuid:abc/members[2]' (nested repeats) all give 'abc'."""
    value = value.strip().split("/", 1)[0]
    return value[5:] if value.startswith("uuid:") else value


def instance_keys(values: Iterable[str]) -> list[str]:
    """``instance_key`` of each value, a column at a time: the common columns (every id
    'uuid:...' or none, no '/') take no Python step per value."""
    keys = list(map(str.strip, values))
    if "/" in "".join(keys):
        keys = [key.split("/", 1)[0] for key in keys]
    prefixed = list(map(methodcaller("startswith", "uuid:"), keys))
    if all(prefixed):
        return list(map(itemgetter(slice(5, None)), keys))
    if not any(prefixed):
        return keys
    return [key[5:] if uuid else key for key, uuid in zip(keys, prefixed, strict=True)]


@dataclass(frozen=True)
class _Normalised:
    columns: tuple[Column, ...]
    fields: tuple[str, ...]
    rows: Sequence[Mapping[str, str]]
    paradata: Sequence[Mapping[str, str]]


def _normalise(table: Table, fields: Mapping[str, FieldSpec] | None) -> tuple[_Normalised, list[Problem]]:
    columns, messages = classify_columns(table.header, fields)
    problems = [Problem(table.path, "row 1", m) for m in messages]
    if isinstance(table.rows, Rows):
        return _normalise_columns(table, table.rows, columns, fields, problems), problems
    whole = {c.name for c in columns if c.kind == "field"}
    field_order: list[str] = []
    for c in columns:
        if c.kind in ("field", "split", "geo") and c.name not in field_order:
            field_order.append(c.name)
    split_cols = [c for c in columns if c.kind == "split" and c.name not in whole]
    geo_cols = [c for c in columns if c.kind == "geo" and c.name not in whole]
    rows = []
    paradata = []
    for i, raw in enumerate(table.rows):
        row_no = table.row_number(i)
        values: dict[str, str] = {}
        meta: dict[str, str] = {}
        for c in columns:
            if c.kind == "field":
                values[c.name] = raw[c.header].strip()
            elif c.kind == "paradata":
                meta[c.name] = raw[c.header].strip()
        chosen: dict[str, list[str]] = {}
        for c in split_cols:
            cell = raw[c.header].strip()
            chosen.setdefault(c.name, [])
            if cell in TRUE_CELLS:
                chosen[c.name].append(c.option)
            elif cell not in FALSE_CELLS:
                problems.append(Problem(table.path, where(row_no, c.header), f"{cell!r} is not 1 or 0"))
        for name, options in chosen.items():
            order = fields[name].choices if fields is not None else ()
            values[name] = " ".join(sorted(options, key=lambda o: order.index(o) if o in order else len(order)))
        parts: dict[str, dict[str, str]] = {}
        for c in geo_cols:
            parts.setdefault(c.name, {})[c.option] = raw[c.header].strip()
        for name, got in parts.items():
            if got.get("Latitude") and got.get("Longitude"):
                values[name] = " ".join(got.get(p, "") or "0" for p in GEO_PARTS)
            else:
                values[name] = ""
        rows.append(values)
        paradata.append(meta)
    return _Normalised(tuple(columns), tuple(field_order), tuple(rows), tuple(paradata)), problems


def _normalise_columns(table: Table, rows: Rows, columns: list[Column],
                       fields: Mapping[str, FieldSpec] | None, problems: list[Problem]) -> _Normalised:
    """``_normalise`` of a table held as columns, column by column: the same fields in the
    same order, values and problems (split and geopoint parts are joined row by row)."""
    whole = {c.name for c in columns if c.kind == "field"}
    values: dict[str, Sequence[str]] = {}
    meta: dict[str, Sequence[str]] = {}
    for c in columns:
        if c.kind == "field":
            values[c.name] = rows.stripped(c.header)
        elif c.kind == "paradata":
            meta[c.name] = rows.stripped(c.header)
    split: dict[str, list[Column]] = {}
    geo: dict[str, list[Column]] = {}
    for c in columns:
        if c.kind == "split" and c.name not in whole:
            split.setdefault(c.name, []).append(c)
        elif c.kind == "geo" and c.name not in whole:
            geo.setdefault(c.name, []).append(c)
    size = len(rows)
    for name, parts in split.items():
        order = fields[name].choices if fields is not None else ()
        chosen: list[list[str]] = [[] for _ in range(size)]
        for c in parts:
            for i, cell in enumerate(rows.stripped(c.header)):
                if cell in TRUE_CELLS:
                    chosen[i].append(c.option)
                elif cell not in FALSE_CELLS:
                    problems.append(Problem(table.path, where(table.row_number(i), c.header), f"{cell!r} is not 1 or 0"))
        values[name] = [" ".join(sorted(options, key=lambda o: order.index(o) if o in order else len(order)))
                        for options in chosen]
    for name, parts in geo.items():
        got = {c.option: rows.stripped(c.header) for c in parts}
        joined = []
        for i in range(size):
            if _part(got, "Latitude", i) and _part(got, "Longitude", i):
                joined.append(" ".join(_part(got, p, i) or "0" for p in GEO_PARTS))
            else:
                joined.append("")
        values[name] = joined
    field_order: list[str] = []
    for c in columns:
        if c.kind in ("field", "split", "geo") and c.name not in field_order:
            field_order.append(c.name)
    return _Normalised(tuple(columns), tuple(field_order), Rows(values, size=size), Rows(meta, size=size))


def _part(got: Mapping[str, Sequence[str]], part: str, i: int) -> str:
    column = got.get(part)
    return column[i] if column is not None else ""

