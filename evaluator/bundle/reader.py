"""Read an evaluation bundle (a folder or a .zip of it) into a ``Bundle``.

Bundles come from three places: ``evaluator demo-data``, the web app's export, and evaluation teams
who assemble them by hand from ODK Central / KoboToolbox exports and the union's system export.
The last kind carries export conventions (group paths, split select_multiple columns, bookkeeping
columns, repeat files), so record columns are normalised to survey field names here, once, and
everything downstream sees plain ``{field: value}`` rows.

``read_bundle`` never stops at the first problem: it returns the best bundle it could build plus
every problem found, for ``bundle check``. ``load_bundle`` is the strict entry point for scoring:
it raises ``DefinitionError`` unless the read was clean.
"""

from __future__ import annotations

import csv
import hashlib
import json
import stat
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from evaluator.bundle.model import (
    DEFAULT_SOURCES,
    EVALUATION_FILE,
    EXTERNAL_METHOD,
    FINDING_COLUMNS,
    FINDING_REQUIRED,
    FINDINGS_FILE,
    JUDGEMENT_COLUMNS,
    JUDGEMENTS_FILE,
    OPTIONAL_SOURCES,
    README_FILE,
    REQUIRED_FILES,
    ROLES,
    ROSTER_FILE,
    SAMPLE_COLUMNS,
    SAMPLE_FILE,
    SEEDED_METHODS,
    SEVERITIES,
    Bundle,
    Column,
    Evaluation,
    Finding,
    Judgement,
    Ref,
    RepeatData,
    SampleRow,
    SamplingPlan,
    SourceData,
    TeamMember,
    Text,
    source_file,
)
from evaluator.definitions.problems import DefinitionError, Problem
from evaluator.tables import Table, decode, parse_csv

# -- limits (a bundle is a few MB; these only stop hostile or broken archives) ------------------

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_MEMBERS = 20_000
DATA_SUFFIXES = (".csv", ".yaml", ".yml")

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


# -- public API ---------------------------------------------------------------------------------


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
        return _read_folder(path), []
    if path.is_file() and zipfile.is_zipfile(path):
        return _read_zip(path)
    if path.is_file():
        return None, [Problem(name, "", "not a folder or a .zip file")]
    return None, [Problem(name, "", "no such folder or file")]


def build_bundle(
    files: Mapping[str, bytes],
    surveys: Mapping[str, Any] | None = None,
    *,
    origin: str = "",
    problems: list[Problem] | None = None,
) -> tuple[Bundle | None, list[Problem]]:
    """Build a ``Bundle`` from file contents (the web app passes uploaded files here).

    ``surveys`` as for ``load_bundle`` (None: the shipped surveys).
    """
    tables: dict[str, Table] = {}
    table_problems: list[Problem] = []
    for name in sorted(files):
        if name.endswith(".csv"):
            table, parse_problems = _parse_table(files[name], name)
            table_problems += parse_problems
            if table is not None:
                tables[name] = table
    return _assemble(files, set(files), tables, table_problems, surveys, origin=origin,
                     problems=problems, content_hash=data_hash(files, tables))


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
) -> tuple[Bundle | None, list[Problem]]:
    if surveys is None:
        surveys = shipped_surveys()
    problems = list(problems or [])
    for required in REQUIRED_FILES:
        if required not in names:
            problems.append(Problem(required, "", "required file is missing from the bundle"))

    meta_data: Any = None
    if EVALUATION_FILE in files:
        meta_data, yaml_problems = _parse_yaml(files[EVALUATION_FILE], EVALUATION_FILE)
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
    )
    return bundle, problems


def _placeholder_meta(names: Iterable[str]) -> Evaluation:
    """Stands in for an unreadable evaluation.yaml so the other files can still be checked."""
    surveys = {s: Ref("", "") for s in DEFAULT_SOURCES if source_file(s) in names}
    return Evaluation("", Text(""), "", "", None, None, (), Ref("", ""), surveys, None, False)


# -- hashing ------------------------------------------------------------------------------------


def data_hash(files: Mapping[str, bytes], tables: Mapping[str, Table] | None = None) -> str:
    """``sha256:<hex>`` over the canonical content of the data files (not README.txt).

    Canonical: CSV as decoded header + cells (encoding, BOM and line endings do not count) and
    YAML as its parsed value, serialised as sorted, compact JSON. Unparseable files count by bytes.
    ``tables``: CSV files already parsed from these bytes (``_parse_table``), not parsed again.
    """
    tables = tables or {}

    def entry(name: str, raw: bytes) -> dict[str, Any]:
        table = tables.get(name)
        if table is None:
            return file_entry(name, raw)
        return table_entry(table.header, ([r[h] for h in table.header] for r in table.rows))

    return content_hash({name: entry(name, raw) for name, raw in files.items() if hashed(name)})


def hashed(name: str) -> bool:
    """Does the file ``name`` count in the data hash? (Data files do; README.txt does not.)"""
    return name != README_FILE and name.endswith(DATA_SUFFIXES)


def file_entry(name: str, raw: bytes) -> dict[str, Any]:
    """A data file's part of the data hash (``table_entry``, ``yaml_entry``, or its bytes'
    sha256 when it does not parse)."""
    try:
        if name.endswith(".csv"):
            text, _ = decode(raw, name)
            table = parse_csv(text, name)
            return table_entry(table.header, ([r[h] for h in table.header] for r in table.rows))
        return yaml_entry(yaml.safe_load(raw.decode("utf-8-sig")))
    except (DefinitionError, yaml.YAMLError, UnicodeDecodeError):
        return {"sha256": hashlib.sha256(raw).hexdigest()}


def table_entry(header: Iterable[str], rows: Iterable[Sequence[str]]) -> dict[str, Any]:
    """A CSV file's part of the data hash: its header and the cells of its (non-blank) rows,
    as ``parse_csv`` reads them."""
    return {"header": list(header), "rows": list(rows)}


def yaml_entry(value: Any) -> dict[str, Any]:
    """A YAML file's part of the data hash: its parsed value."""
    return {"yaml": value}


def content_hash(content: Mapping[str, Mapping[str, Any]]) -> str:
    """``sha256:<hex>`` of ``{file name: entry}`` (``table_entry``, ``yaml_entry``) as sorted,
    compact JSON: the one definition of the data hash, whether the content was read from files
    (``data_hash``) or built from rows (the web app's scoring service).

    Hashed file by file, so the JSON of a large bundle is never held whole; the bytes hashed
    are exactly those of ``json.dumps(content, sort_keys=True, separators=(",", ":"))``."""
    digest = hashlib.sha256()
    digest.update(b"{")
    for i, name in enumerate(sorted(content)):
        part = _json(name) + ":" + _json(content[name])
        digest.update(("," if i else "").encode("utf-8") + part.encode("utf-8"))
    digest.update(b"}")
    return "sha256:" + digest.hexdigest()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def roster_hash(pairs: Iterable[tuple[str, str]]) -> str:
    """``sha256:<hex>`` of the sampling frame as the draw sees it: sorted (household_id, stratum).

    evaluator.sampling's draw depends only on this set, so re-sorting the roster in Excel or
    editing other columns keeps the hash; adding, removing or re-stratifying a household changes it.
    """
    lines = sorted(f"{hid}\t{stratum}\n" for hid, stratum in pairs)
    return "sha256:" + hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


# -- folder and zip -----------------------------------------------------------------------------


def _read_folder(path: Path) -> dict[str, bytes]:
    files = {}
    for child in sorted(path.iterdir()):
        if child.is_file() and not child.is_symlink() and _wanted(child.name):
            files[child.name] = child.read_bytes()
    return files


def _wanted(name: str) -> bool:
    return name == README_FILE or name.endswith(DATA_SUFFIXES)


def _read_zip(path: Path) -> tuple[dict[str, bytes] | None, list[Problem]]:
    name = str(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        return None, [Problem(name, "", f"unreadable zip ({exc})")]
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            return None, [Problem(name, "", f"the zip holds {len(infos)} entries; at most {MAX_MEMBERS}")]
        problems = [p for info in infos if (p := _unsafe_member(info, name)) is not None]
        if problems:
            return None, problems
        members = [
            i for i in infos
            if not i.is_dir() and not i.filename.startswith("__MACOSX/")
            and PurePosixPath(i.filename).name != ".DS_Store"
        ]
        root = _zip_root([i.filename for i in members])
        if root is None:
            return None, [Problem(name, "", "no evaluation.yaml at the top of the zip or inside one folder")]
        files: dict[str, bytes] = {}
        total = 0
        for info in members:
            relative = info.filename[len(root):]
            if "/" in relative or not _wanted(relative):
                continue  # media and sub-folders are not data
            if info.file_size > MAX_FILE_BYTES:
                return None, [Problem(name, info.filename, f"larger than {MAX_FILE_BYTES} bytes uncompressed")]
            with archive.open(info) as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                return None, [Problem(name, info.filename, f"larger than {MAX_FILE_BYTES} bytes uncompressed")]
            total += len(data)
            if total > MAX_TOTAL_BYTES:
                return None, [Problem(name, "", f"more than {MAX_TOTAL_BYTES} bytes uncompressed")]
            files[relative] = data
        return files, []


def _unsafe_member(info: zipfile.ZipInfo, zip_name: str) -> Problem | None:
    """Zip-slip and friends: absolute paths, drive letters, ``..``, symlinks are refused."""
    raw = info.filename
    normalised = raw.replace("\\", "/")
    parts = normalised.split("/")
    if normalised.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        return Problem(zip_name, raw, "absolute path inside the zip; refused")
    if ".." in parts:
        return Problem(zip_name, raw, "path leaves the bundle ('..'); refused")
    if "\\" in raw:
        return Problem(zip_name, raw, "backslash in a zip path; refused")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return Problem(zip_name, raw, "symbolic link inside the zip; refused")
    return None


def _zip_root(names: list[str]) -> str | None:
    if EVALUATION_FILE in names:
        return ""
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) == 1:
        top = tops.pop() + "/"
        if top + EVALUATION_FILE in names:
            return top
    return None


# -- YAML and CSV -------------------------------------------------------------------------------


def _parse_yaml(raw: bytes, name: str) -> tuple[Any, list[Problem]]:
    try:
        return yaml.safe_load(raw.decode("utf-8-sig")), []
    except UnicodeDecodeError:
        return None, [Problem(name, "", "not UTF-8 text")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        return None, [Problem(name, where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]


def _parse_table(raw: bytes, name: str) -> tuple[Table | None, list[Problem]]:
    try:
        text, encoding = decode(raw, name)
        return parse_csv(text, name, encoding), []
    except DefinitionError as exc:
        return None, list(exc.problems)


def table_from_cells(
    name: str, header: Sequence[str], rows: Iterable[Sequence[str]]
) -> tuple[Table, list[Sequence[str]]] | None:
    """The ``Table`` that ``build_bundle`` reads from ``writer.cells_csv_bytes(header, rows)``,
    built from the cells without writing and parsing the text: (table, the cells of its rows,
    for ``table_entry``).

    ``rows`` hold strings, one per column (``writer.row_cells``). The csv module's writer and
    reader give back any string they were given (quotes, commas, line breaks, spaces, NUL), so
    the table is the parsed one: blank rows left out but counted in row numbers, the encoding
    UTF-8 with a BOM. None when the text might not read back as these cells (a header cell
    empty, repeated or with surrounding spaces, a row of another width, a cell at the csv
    module's field size limit): write and parse such a table instead."""
    header = list(header)
    if len(set(header)) != len(header) or any(not h or h != h.strip() for h in header):
        return None
    limit = csv.field_size_limit()
    width = len(header)
    kept: list[Sequence[str]] = []
    dicts: list[dict[str, str]] = []
    numbers: list[int] = []
    for number, cells in enumerate(rows, start=2):
        if len(cells) != width:
            return None
        joined = "".join(cells)
        if not joined.strip():  # every cell blank (str.strip's whitespace, as parse_csv's)
            continue
        if len(joined) >= limit and any(len(cell) >= limit for cell in cells):
            return None
        kept.append(cells)
        dicts.append(dict(zip(header, cells, strict=True)))
        numbers.append(number)
    return Table(name, header, dicts, "utf-8-sig", tuple(numbers)), kept


def _missing_columns(table: Table, required: Iterable[str]) -> list[Problem]:
    return [
        Problem(table.path, "row 1", f"missing column {column!r}")
        for column in required if column not in table.header
    ]


def where(row: int, column: str | None = None) -> str:
    """The ``where`` of a Problem about a CSV cell, as a spreadsheet shows it."""
    return f"row {row}, column {column}" if column else f"row {row}"


def parse_date(text: str) -> date | None:
    """A YYYY-MM-DD date, or None (other spellings are refused: they are ambiguous in exports)."""
    text = text.strip()
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_number(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


# -- evaluation.yaml ----------------------------------------------------------------------------

EVALUATION_KEYS = (
    "id", "title", "evaluated_unit", "commissioning_body", "period", "team", "rubric", "surveys",
    "sampling", "synthetic", "allow_names",
)
#: evaluator.sampling's plan keys (docs/sampling.md), plus the bundle's own: roster_hash, and
#: stratum_column for a plan without a ``roster`` block.
SAMPLING_KEYS = (
    "method", "parameters", "formula", "population", "required", "sample", "reserve",
    "min_per_stratum", "reserve_per_stratum", "seed", "draw", "strata", "roster", "roster_hash",
    "stratum_column",
)


def parse_evaluation(data: Any, file: str = EVALUATION_FILE) -> tuple[Evaluation | None, list[Problem]]:
    """Check and convert evaluation.yaml; every missing or mistyped key is a problem."""
    if not isinstance(data, dict):
        return None, [Problem(file, "", "expected a mapping of keys (id, title, period, ...)")]
    problems: list[Problem] = []
    for key in data:
        if key not in EVALUATION_KEYS:
            problems.append(Problem(file, str(key), f"unknown key; expected one of {', '.join(EVALUATION_KEYS)}"))

    def text(key: str, value: Any, required: bool = True) -> str:
        if value is None or value == "":
            if required:
                problems.append(Problem(file, key, "required"))
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            problems.append(Problem(file, key, f"expected text, got {type(value).__name__}"))
            return ""
        return str(value)

    def day(key: str, value: Any) -> date | None:
        if isinstance(value, date):
            return value
        if isinstance(value, str) and parse_date(value):
            return parse_date(value)
        problems.append(Problem(file, key, "required date YYYY-MM-DD" if value is None else f"{value!r} is not a date YYYY-MM-DD"))
        return None

    def flag(key: str, value: Any, required: bool) -> bool:
        if value is None and not required:
            return False
        if not isinstance(value, bool):
            problems.append(Problem(file, key, "required: true or false" if value is None else f"{value!r} is not true or false"))
            return False
        return value

    def ref(key: str, value: Any) -> Ref:
        if not isinstance(value, dict):
            problems.append(Problem(file, key, "expected {id: ..., version: ...}"))
            return Ref("", "")
        return Ref(text(f"{key}.id", value.get("id")), text(f"{key}.version", value.get("version")))

    evaluation_id = text("id", data.get("id"))
    title = _title(data.get("title"), file, problems)
    unit = text("evaluated_unit", data.get("evaluated_unit"))
    body = text("commissioning_body", data.get("commissioning_body"))

    period = data.get("period")
    start = end = None
    if isinstance(period, dict):
        start = day("period.start", period.get("start"))
        end = day("period.end", period.get("end"))
        if start and end and end < start:
            problems.append(Problem(file, "period.end", f"{end} is before period.start {start}"))
    else:
        problems.append(Problem(file, "period", "required: {start: YYYY-MM-DD, end: YYYY-MM-DD}"))

    team: list[TeamMember] = []
    raw_team = data.get("team", [])
    if raw_team is None:
        raw_team = []
    if not isinstance(raw_team, list):
        problems.append(Problem(file, "team", "expected a list of {name, role}"))
        raw_team = []
    for i, member in enumerate(raw_team):
        if isinstance(member, str) and member.strip():
            team.append(TeamMember(member.strip()))
        elif isinstance(member, dict):
            team.append(TeamMember(text(f"team[{i}].name", member.get("name")),
                                   text(f"team[{i}].role", member.get("role"), required=False)))
        else:
            problems.append(Problem(file, f"team[{i}]", "expected {name, role} or a name"))

    rubric = ref("rubric", data.get("rubric"))
    surveys: dict[str, Ref] = {}
    raw_surveys = data.get("surveys")
    if not isinstance(raw_surveys, dict) or not raw_surveys:
        problems.append(Problem(file, "surveys", "required: {source: {id, version}, ...}"))
    else:
        for source, value in raw_surveys.items():
            source = str(source)
            if not source.replace("_", "").isalnum() or not source.isascii():
                problems.append(Problem(file, f"surveys.{source}", "source names are letters, digits and _"))
                continue
            surveys[source] = ref(f"surveys.{source}", value)

    sampling = None
    if "sampling" not in data or data.get("sampling") is None:
        problems.append(Problem(file, "sampling", "required: how sample.csv was drawn (method, strata, sizes, seed)"))
    else:
        sampling = _sampling(data["sampling"], file, problems)

    synthetic = flag("synthetic", data.get("synthetic"), required=True)
    allow_names = flag("allow_names", data.get("allow_names"), required=False)
    meta = Evaluation(
        id=evaluation_id, title=title, evaluated_unit=unit, commissioning_body=body,
        period_start=start, period_end=end, team=tuple(team), rubric=rubric, surveys=surveys,
        sampling=sampling, synthetic=synthetic, allow_names=allow_names,
    )
    return meta, problems


def _title(value: Any, file: str, problems: list[Problem]) -> Text:
    if isinstance(value, str) and value.strip():
        return Text(value.strip())
    if isinstance(value, dict):
        zh, en = value.get("zh"), value.get("en")
        if isinstance(zh, str) and zh.strip():
            return Text(zh.strip(), en.strip() if isinstance(en, str) else "")
        problems.append(Problem(file, "title.zh", "required: the Chinese title"))
        return Text("", en if isinstance(en, str) else "")
    problems.append(Problem(file, "title", "required: a title, or {zh: ..., en: ...}"))
    return Text("")


def _sampling(value: Any, file: str, problems: list[Problem]) -> SamplingPlan | None:
    if not isinstance(value, dict):
        problems.append(Problem(file, "sampling", "expected the plan `evaluator sample --plan` writes"))
        return None
    for key in value:
        if key not in SAMPLING_KEYS:
            problems.append(Problem(file, f"sampling.{key}", f"unknown key; expected one of {', '.join(SAMPLING_KEYS)}"))

    def count(key: str, raw: Any, required: bool = True) -> int:
        if raw is None and not required:
            return 0
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            problems.append(Problem(file, key, "required whole number >= 0" if raw is None else f"{raw!r} is not a whole number >= 0"))
            return 0
        return raw

    method = value.get("method")
    methods = (*SEEDED_METHODS, EXTERNAL_METHOD)
    if method not in methods:
        problems.append(Problem(file, "sampling.method", f"{method!r} is not one of {', '.join(methods)}"))
        method = str(method or "")
    seed = value.get("seed")
    if method != EXTERNAL_METHOD or seed is not None:
        seed = count("sampling.seed", seed)

    frame: dict[str, int] = {}
    drawn: dict[str, int] = {}
    strata = value.get("strata")
    if not isinstance(strata, list) or not strata:
        problems.append(Problem(file, "sampling.strata", "required: [{stratum, population, sample, reserve}, ...]"))
        strata = []
    for i, entry in enumerate(strata):
        at = f"sampling.strata[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("stratum"), str | int) or entry.get("stratum") == "":
            problems.append(Problem(file, at, "expected {stratum: name, population: N_h, sample: n_h}"))
            continue
        name = str(entry["stratum"])
        if name in frame:
            problems.append(Problem(file, f"{at}.stratum", f"stratum {name!r} listed twice"))
        frame[name] = count(f"{at}.population", entry.get("population"))
        drawn[name] = count(f"{at}.sample", entry.get("sample"))
        if drawn[name] > frame[name]:
            problems.append(Problem(file, f"{at}.sample", f"{drawn[name]} households drawn from a stratum of {frame[name]}"))
    for key, total in (("population", sum(frame.values())), ("sample", sum(drawn.values()))):
        if value.get(key) is not None and value.get(key) != total:
            problems.append(Problem(file, f"sampling.{key}", f"{value.get(key)!r} but the strata add up to {total}"))

    roster = value.get("roster") or {}
    if not isinstance(roster, dict):
        problems.append(Problem(file, "sampling.roster", "expected {file, sha256, stratum_column, ...}"))
        roster = {}
    column = value.get("stratum_column") or roster.get("stratum_column") or "stratum"
    if not isinstance(column, str):
        problems.append(Problem(file, "sampling.stratum_column", "expected a roster column name"))
        column = "stratum"
    file_hash = roster.get("sha256") or ""
    if not isinstance(file_hash, str):
        problems.append(Problem(file, "sampling.roster.sha256", "expected the hex sha256 of the roster file"))
        file_hash = ""
    frame_hash = value.get("roster_hash") or ""
    if not isinstance(frame_hash, str) or (frame_hash and not frame_hash.startswith("sha256:")):
        problems.append(Problem(file, "sampling.roster_hash", "expected 'sha256:<hex>' (see docs/bundle.md)"))
        frame_hash = ""
    return SamplingPlan(
        method=method,
        stratum_column=column,
        frame_sizes=frame,
        sample_sizes=drawn,
        reserve=count("sampling.reserve_per_stratum", value.get("reserve_per_stratum"), required=False),
        seed=seed,
        roster_hash=frame_hash,
        roster_sha256=file_hash,
        min_per_stratum=count("sampling.min_per_stratum", value.get("min_per_stratum"), required=False),
        data=value,
    )


# -- roster, sample, findings, judgements -------------------------------------------------------


def _roster(
    table: Table | None, problems: list[Problem]
) -> tuple[tuple[str, ...], tuple[dict[str, str], ...], tuple[int, ...]]:
    """(header, rows, spreadsheet row number of each row) of roster.csv."""
    if table is None:
        return (), (), ()
    problems += _missing_columns(table, ("household_id",))
    rows = tuple({k: v.strip() for k, v in row.items()} for row in table.rows)
    return tuple(table.header), rows, _row_numbers(table)


def _row_numbers(table: Table) -> tuple[int, ...]:
    """The spreadsheet row of each of ``table.rows`` (blank rows counted)."""
    return tuple(table.row_number(i) for i in range(len(table.rows)))


def _sample(table: Table | None, problems: list[Problem]) -> tuple[SampleRow, ...]:
    if table is None:
        return ()
    missing = _missing_columns(table, SAMPLE_COLUMNS)
    if missing:
        problems += missing
        return ()
    rows = []
    for i, raw in enumerate(table.rows):
        row = table.row_number(i)
        role = raw["role"].strip()
        if role not in ROLES:
            problems.append(Problem(table.path, where(row, "role"), f"{role!r} is not sample or reserve"))
        order_text = raw["order"].strip()
        order = int(order_text) if order_text.isdigit() else 0
        if order < 1:
            problems.append(Problem(table.path, where(row, "order"), f"{order_text!r} is not a whole number >= 1"))
        for column in ("household_id", "stratum"):
            if not raw[column].strip():
                problems.append(Problem(table.path, where(row, column), "empty"))
        rows.append(SampleRow(raw["household_id"].strip(), raw["stratum"].strip(), role, order, row))
    return tuple(rows)


def _findings(table: Table | None, problems: list[Problem]) -> tuple[Finding, ...]:
    if table is None:
        return ()
    missing = _missing_columns(table, FINDING_REQUIRED)
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
    missing = _missing_columns(table, JUDGEMENT_COLUMNS)
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
            calculation=f.calculation or "",
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
    return SourceData(
        source, table.path, data.columns, data.fields, data.rows, data.paradata, {}, table.encoding,
        _row_numbers(table),
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
        problems.append(Problem(table.path, "row 1", "missing column 'PARENT_KEY' linking each row to its record"))
    parents = tuple((raw.get("PARENT_KEY") or raw.get("_submission__uuid") or "").strip() for raw in table.rows)
    keys = tuple((raw.get("KEY") or "").strip() for raw in table.rows)
    repeat_data = RepeatData(
        repeat, table.path, data.columns, data.fields, data.rows, parents, keys, table.encoding, _row_numbers(table)
    )
    return repeat_data, problems


def instance_key(value: str) -> str:
    """An instance id comparable across exports: 'uuid:abc', Kobo's bare 'abc' and a repeat's
    PARENT_KEY 'uuid:abc/members[2]' (nested repeats) all give 'abc'."""
    value = value.strip().split("/", 1)[0]
    return value[5:] if value.startswith("uuid:") else value


@dataclass(frozen=True)
class _Normalised:
    columns: tuple[Column, ...]
    fields: tuple[str, ...]
    rows: tuple[dict[str, str], ...]
    paradata: tuple[dict[str, str], ...]


def _normalise(table: Table, fields: Mapping[str, FieldSpec] | None) -> tuple[_Normalised, list[Problem]]:
    columns, messages = classify_columns(table.header, fields)
    problems = [Problem(table.path, "row 1", m) for m in messages]
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


def _repeat_tables(source: str, tables: Mapping[str, Table]) -> list[tuple[str, Table]]:
    prefix = f"{source}-"
    return [
        (name[len(prefix):-4], table)
        for name, table in sorted(tables.items())
        if name.startswith(prefix) and name.endswith(".csv") and len(name) > len(prefix) + 4
    ]
