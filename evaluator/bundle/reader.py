"""Read an evaluation bundle (a folder or a .zip of it) into a ``Bundle``.

Bundles come from three places: ``evaluator demo-data``, the web app's export, and evaluation teams
who assemble them by hand from ODK Central / KoboToolbox exports and the union's system export.
The last kind carries export conventions (group paths, split select_multiple columns, bookkeeping
columns, repeat files), so record columns are normalised to survey field names (``source_files``),
once, and everything downstream sees plain ``{field: value}`` rows.

``read_bundle`` never stops at the first problem: it returns the best bundle it could build plus
every problem found, for ``bundle check``. ``load_bundle`` is the strict entry point for scoring:
it raises ``DefinitionError`` unless the read was clean.

This module holds the entry points and assembles the ``Bundle``, reading roster.csv, sample.csv,
findings.csv and judgements.csv itself; beside it are ``archive`` (folder and zip),
``parsing`` (CSV, YAML and cells), ``evaluation_yaml``, ``source_files`` and ``hashing``.
"""

from __future__ import annotations

import gc
import hashlib
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evaluator.bundle.archive import read_folder, read_zip
from evaluator.bundle.evaluation_yaml import parse_evaluation
from evaluator.bundle.hashing import ContentDigest, hashed, read_entry
from evaluator.bundle.model import (
    DEFAULT_SOURCES,
    EVALUATION_FILE,
    FINDING_COLUMNS,
    FINDING_REQUIRED,
    FINDINGS_FILE,
    JUDGEMENT_COLUMNS,
    JUDGEMENTS_FILE,
    OPTIONAL_SOURCES,
    OUTCOMES,
    README_FILE,
    REQUIRED_FILES,
    ROLES,
    ROSTER_FILE,
    SAMPLE_COLUMNS,
    SAMPLE_FILE,
    SAMPLE_OPTIONAL,
    SEVERITIES,
    Bundle,
    Evaluation,
    Finding,
    Judgement,
    Ref,
    SampleRow,
    SourceData,
    Text,
    source_file,
)
from evaluator.bundle.parsing import (
    missing_columns,
    parse_date,
    parse_number,
    parse_table,
    parse_yaml,
    row_numbers,
    where,
)
from evaluator.bundle.rows import Rows
from evaluator.bundle.source_files import normalise_repeat, normalise_source, source_spec
from evaluator.definitions.problems import DefinitionError, Problem
from evaluator.tables import Table

# -- public API ---------------------------------------------------------------------------------


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the bundle is built and scored.

    Reference counting still frees everything as usual; only the generational collector waits.
    Building a large evaluation's rows, tables and bundle creates a million objects that all
    stay alive until the sheet is made, and the collector would walk them again and again for
    no garbage (an eighth of the time of a 20,000-household evaluation). The collector is
    process-wide: it is left as it was found, so a concurrent or nested pause never leaves it
    off, and whatever cycles others make meanwhile are collected once it runs again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_bundle(path: str | Path, surveys: Mapping[str, Any] | None = None) -> Bundle:
    """Read the bundle at ``path``; raise ``DefinitionError`` with every problem if it is unusable.

    ``surveys`` (``load_surveys`` output, keyed by survey id) lets the reader map export columns
    such as ``grp-field`` or Kobo's ``field/option`` to field names; None means the shipped
    surveys, ``{}`` none at all (group paths are then stripped to their last segment and nothing
    is known about select choices). This checks the bundle's structure and typed files only; run
    ``bundle_problems`` to check every answer.
    """
    bundle, problems = read_bundle(path, surveys)
    if problems or bundle is None:
        raise DefinitionError(problems or [Problem(str(path), "", "not a readable bundle")])
    return bundle


def read_bundle(
    path: str | Path, surveys: Mapping[str, Any] | None = None
) -> tuple[Bundle | None, list[Problem]]:
    """Read as much of the bundle as possible: (bundle or None, every problem found)."""
    if surveys is None:
        surveys = shipped_surveys()
    files, problems = read_files(path)
    if files is None:
        return None, problems
    return build_bundle(files, surveys, origin=str(path), problems=problems)


def shipped_surveys() -> dict[str, Any]:
    """The surveys shipped with evaluator (surveys/*.yaml)."""
    from evaluator.paths import SURVEYS_DIR
    from evaluator.surveys.definition import load_surveys

    return load_surveys(SURVEYS_DIR)


def read_files(path: str | Path) -> tuple[dict[str, bytes] | None, list[Problem]]:
    """The bundle's top-level data files as ``{name: bytes}`` from a folder or a zip."""
    path = Path(path)
    name = str(path)
    if path.is_dir():
        return read_folder(path), []
    if path.is_file() and zipfile.is_zipfile(path):
        return read_zip(path)
    if path.is_file():
        return None, [Problem(name, "", "not a folder or a .zip file")]
    return None, [Problem(name, "", "no such folder or file")]


def build_bundle(
    files: Mapping[str, bytes],
    surveys: Mapping[str, Any] | None = None,
    *,
    origin: str = "",
    problems: list[Problem] | None = None,
    release: bool = False,
) -> tuple[Bundle | None, list[Problem]]:
    """Build a ``Bundle`` from file contents (the web app passes uploaded files here).

    ``surveys`` as for ``load_bundle`` (None: the shipped surveys). With ``release``, ``files``
    (a dict) gives up each CSV file's bytes (left as b'') once its table is parsed and its part
    of the data hash taken, so the bytes of a large bundle (38 MB at 20,000 sampled households)
    are not held beside its tables: the caller keeps the names, and the bundle the roster's
    sha256 (``Bundle.roster_sha256``), which is all the checks read of the bytes.
    """
    if release and not isinstance(files, dict):
        raise TypeError("release needs the files as a dict")
    tables: dict[str, Table] = {}
    table_problems: list[Problem] = []
    meta = _meta_yaml(files)
    parsed = {EVALUATION_FILE: meta[0]} if EVALUATION_FILE in files and not meta[1] else {}
    digest = ContentDigest()
    roster_sha256 = ""
    for name in sorted(files):
        raw = files[name]
        table = None
        if name.endswith(".csv"):
            table, parse_problems = parse_table(raw, name)
            table_problems += parse_problems
            if table is not None:
                tables[name] = table
        if hashed(name):
            digest.add(name, read_entry(name, raw, table, parsed))
        if name == ROSTER_FILE:
            roster_sha256 = hashlib.sha256(raw).hexdigest()
        if release and name.endswith(".csv"):
            files[name] = b""  # type: ignore[index]  # a dict, checked above
        del raw
    return _assemble(files, set(files), tables, table_problems, surveys, origin=origin,
                     problems=problems, content_hash=digest.hexdigest(), meta_yaml=meta,
                     roster_sha256=roster_sha256)


def bundle_from_tables(
    files: Mapping[str, bytes],
    tables: Mapping[str, Table],
    surveys: Mapping[str, Any] | None = None,
    *,
    data_hash: str,
    origin: str = "",
) -> tuple[Bundle | None, list[Problem]]:
    """``build_bundle`` for a bundle whose CSV files are already tables: ``files`` holds the
    other files (evaluation.yaml, README.txt) as bytes, ``tables`` every CSV file as
    ``parse_csv`` reads it (see ``table_from_cells``), and ``data_hash`` is the hash of the
    whole (``content_hash``). The same bundle and problems as ``build_bundle`` of the files,
    without writing CSV text and parsing it back (the web app's scoring service)."""
    return _assemble(files, set(files) | set(tables), dict(sorted(tables.items())), [], surveys,
                     origin=origin, content_hash=data_hash)


def _assemble(
    files: Mapping[str, bytes],
    names: set[str],
    tables: Mapping[str, Table],
    table_problems: list[Problem],
    surveys: Mapping[str, Any] | None,
    *,
    origin: str,
    content_hash: str,
    problems: list[Problem] | None = None,
    meta_yaml: tuple[Any, list[Problem]] | None = None,
    roster_sha256: str = "",
) -> tuple[Bundle | None, list[Problem]]:
    if surveys is None:
        surveys = shipped_surveys()
    problems = list(problems or [])
    for required in REQUIRED_FILES:
        if required not in names:
            problems.append(Problem(required, "", "required file is missing from the bundle"))

    meta_data, yaml_problems = meta_yaml if meta_yaml is not None else _meta_yaml(files)
    problems += yaml_problems
    meta, meta_problems = parse_evaluation(meta_data, EVALUATION_FILE) if meta_data is not None else (None, [])
    problems += meta_problems
    if meta is None:
        meta = _placeholder_meta(names)
    problems += table_problems

    roster_columns, roster, roster_numbers = _roster(tables.get(ROSTER_FILE), problems)
    sample = _sample(tables.get(SAMPLE_FILE), problems)
    findings = _findings(tables.get(FINDINGS_FILE), problems)
    judgements = _judgements(tables.get(JUDGEMENTS_FILE), problems)

    sources: dict[str, SourceData] = {}
    for source, ref in meta.surveys.items():
        name = source_file(source)
        if name not in tables:
            if name not in names and source not in OPTIONAL_SOURCES:
                problems.append(Problem(name, "", f"missing: evaluation.yaml lists source {source!r}"))
            continue
        spec = source_spec(source, ref, surveys)
        data, source_problems = normalise_source(source, tables[name], spec)
        problems += source_problems
        repeats = {}
        for repeat_name, table in _repeat_tables(source, tables):
            repeat, repeat_problems = normalise_repeat(source, repeat_name, table, spec)
            problems += repeat_problems
            repeats[repeat_name] = repeat
        sources[source] = SourceData(
            data.source, data.file, data.columns, data.fields, data.rows, data.paradata,
            repeats, data.encoding, data.row_numbers,
        )

    bundle = Bundle(
        meta=meta,
        roster_columns=roster_columns,
        roster=roster,
        sample=sample,
        sources=sources,
        findings=findings,
        judgements=judgements,
        data_hash=content_hash,
        origin=origin,
        readme=files[README_FILE].decode("utf-8", errors="replace") if README_FILE in files else "",
        roster_row_numbers=roster_numbers,
        roster_sha256=roster_sha256,
    )
    return bundle, problems


def _meta_yaml(files: Mapping[str, bytes]) -> tuple[Any, list[Problem]]:
    """evaluation.yaml's parsed value and its problems (None and none when it is missing)."""
    if EVALUATION_FILE not in files:
        return None, []
    return parse_yaml(files[EVALUATION_FILE], EVALUATION_FILE)


def _placeholder_meta(names: Iterable[str]) -> Evaluation:
    """Stands in for an unreadable evaluation.yaml so the other files can still be checked."""
    surveys = {s: Ref("", "") for s in DEFAULT_SOURCES if source_file(s) in names}
    return Evaluation("", Text(""), "", "", None, None, (), Ref("", ""), surveys, None, False)


# -- roster, sample, findings, judgements -------------------------------------------------------


def _roster(
    table: Table | None, problems: list[Problem]
) -> tuple[tuple[str, ...], Sequence[Mapping[str, str]], tuple[int, ...]]:
    """(header, rows, spreadsheet row number of each row) of roster.csv."""
    if table is None:
        return (), (), ()
    problems += missing_columns(table, ("household_id",))
    rows: Sequence[Mapping[str, str]]
    if isinstance(table.rows, Rows):
        names = table.rows.names
        rows = Rows({h: table.rows.stripped(h) for h in names}, size=len(table.rows), unpadded=names)
    else:
        rows = tuple({k: v.strip() for k, v in row.items()} for row in table.rows)
    return tuple(table.header), rows, row_numbers(table)


def _sample(table: Table | None, problems: list[Problem]) -> tuple[SampleRow, ...]:
    if table is None:
        return ()
    missing = missing_columns(table, SAMPLE_COLUMNS)
    if missing:
        problems += missing
        return ()
    columns = [_cells(table, c) if c in table.header else [""] * len(table.rows)
               for c in (*SAMPLE_COLUMNS, *SAMPLE_OPTIONAL)]
    clean = _clean_sample(columns, table.numbers or range(2, len(table.rows) + 2))
    if clean is not None:
        return clean
    rows = []
    for i, (household_id, stratum, role, order_text, outcome, replaces) in enumerate(
            zip(*columns, strict=True)):
        row = table.row_number(i)
        role = role.strip()
        if role not in ROLES:
            problems.append(Problem(table.path, where(row, "role"), f"{role!r} is not sample or reserve"))
        order_text = order_text.strip()
        order = int(order_text) if order_text.isdigit() else 0
        if order < 1:
            problems.append(Problem(table.path, where(row, "order"), f"{order_text!r} is not a whole number >= 1"))
        household_id, stratum = household_id.strip(), stratum.strip()
        for column, value in (("household_id", household_id), ("stratum", stratum)):
            if not value:
                problems.append(Problem(table.path, where(row, column), "empty"))
        outcome, replaces = outcome.strip(), replaces.strip()
        if outcome and outcome not in OUTCOMES:
            problems.append(Problem(table.path, where(row, "outcome"),
                                    f"{outcome!r} is not refused or unreached"))
        if replaces and role != "reserve":
            problems.append(Problem(table.path, where(row, "replaces"),
                                    "only a reserve replaces a household"))
        rows.append(SampleRow(household_id, stratum, role, order, row, outcome, replaces))
    return tuple(rows)


def _clean_sample(columns: list[Sequence[str]], numbers: Sequence[int]) -> tuple[SampleRow, ...] | None:
    """``_sample``'s rows a column at a time, when no row has a problem (None otherwise: the
    rows are then read one by one, to name each problem in its place)."""
    household_id, stratum, role, order_text, outcome, replaces = (
        list(map(str.strip, column)) for column in columns)
    if not set(role) <= set(ROLES) or not set(outcome) <= {"", *OUTCOMES}:
        return None
    if "" in household_id or "" in stratum or not all(map(str.isdigit, set(order_text))):
        return None
    if any(r and a != "reserve" for r, a in zip(replaces, role, strict=True)):
        return None
    order = list(map(int, order_text))
    if order and min(order) < 1:
        return None
    if len(numbers) != len(order):
        raise ValueError(f"{len(numbers)} row numbers for {len(order)} sample rows")
    return tuple(map(SampleRow, household_id, stratum, role, order, numbers, outcome, replaces))


def _cells(table: Table, column: str) -> Sequence[str]:
    """Every row's cell of ``column`` (which the table has)."""
    if isinstance(table.rows, Rows):
        return table.rows.column(column)
    return [raw[column] for raw in table.rows]


def _findings(table: Table | None, problems: list[Problem]) -> tuple[Finding, ...]:
    if table is None:
        return ()
    missing = missing_columns(table, FINDING_REQUIRED)
    problems += missing
    if missing:
        return ()
    problems += _unknown_columns(table, FINDING_COLUMNS)
    rows = []
    for i, raw in enumerate(table.rows):
        row = table.row_number(i)
        cell = {k: (raw.get(k) or "").strip() for k in FINDING_COLUMNS}
        for column in FINDING_REQUIRED:
            if not cell[column]:
                problems.append(Problem(table.path, where(row, column), "required"))
        if cell["severity"] and cell["severity"] not in SEVERITIES:
            problems.append(Problem(table.path, where(row, "severity"),
                                    f"{cell['severity']!r} is not one of {', '.join(SEVERITIES)}"))
        deadline = parse_date(cell["deadline"])
        if cell["deadline"] and deadline is None:
            problems.append(Problem(table.path, where(row, "deadline"), f"{cell['deadline']!r} is not a date YYYY-MM-DD"))
        rows.append(Finding(cell["indicator"], cell["severity"], cell["description"], cell["household_id"],
                            cell["responsible_unit"], cell["responsible_person"], deadline, row))
    return tuple(rows)


def _judgements(table: Table | None, problems: list[Problem]) -> tuple[Judgement, ...]:
    if table is None:
        return ()
    missing = missing_columns(table, JUDGEMENT_COLUMNS)
    problems += missing
    if missing:
        return ()
    problems += _unknown_columns(table, JUDGEMENT_COLUMNS)
    rows = []
    for i, raw in enumerate(table.rows):
        row = table.row_number(i)
        cell = {k: raw[k].strip() for k in JUDGEMENT_COLUMNS}
        for column in JUDGEMENT_COLUMNS:
            if not cell[column]:
                problems.append(Problem(table.path, where(row, column),
                                        "required: a judgement needs its written reason" if column == "reason" else "required"))
        score = parse_number(cell["score"])
        if cell["score"] and score is None:
            problems.append(Problem(table.path, where(row, "score"), f"{cell['score']!r} is not a number"))
        rows.append(Judgement(cell["indicator"], cell["evaluator"], score, cell["reason"], row))
    return tuple(rows)


def _unknown_columns(table: Table, known: Iterable[str]) -> list[Problem]:
    known = set(known)
    return [Problem(table.path, f"row 1, column {c}", "unknown column") for c in table.header if c not in known]


def _repeat_tables(source: str, tables: Mapping[str, Table]) -> list[tuple[str, Table]]:
    prefix = f"{source}-"
    return [
        (name[len(prefix):-4], table)
        for name, table in sorted(tables.items())
        if name.startswith(prefix) and name.endswith(".csv") and len(name) > len(prefix) + 4
    ]
