"""The evaluation bundle as plain, immutable values (no I/O, no web, no database).

A bundle (评估数据包) is everything one evaluation produced: the evaluation's description
(evaluation.yaml), the sampling frame (roster.csv, 建档立卡台账), the drawn sample, the records of
each evidence source, findings and judgements. Scoring is a pure function of (rubric, bundle), so
the bundle is modelled as values that cannot be reassigned; the row dicts are shared, treat them as
read-only. CSV values stay strings exactly as exported ('' = unanswered) because the expression
language works on strings; typed fields (sample order, judgement score, finding deadline) are
parsed once by the reader, which refuses a bundle where they do not parse.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from evaluator.bundle.rows import RowIndex, Rows
from evaluator.definitions.text import Text

# -- file names and fixed vocabularies ---------------------------------------------------------

EVALUATION_FILE = "evaluation.yaml"
ROSTER_FILE = "roster.csv"
SAMPLE_FILE = "sample.csv"
FINDINGS_FILE = "findings.csv"
JUDGEMENTS_FILE = "judgements.csv"
README_FILE = "README.txt"
#: Report appendices the web app adds to its bundle.zip (docs/bundle.md): the feedback round
#: and the look-back at the previous evaluation. Not data: not scored, not in the data hash.
APPEALS_FILE = "appeals.yaml"
LOOKBACK_FILE = "lookback.yaml"
APPENDIX_FILES = (APPEALS_FILE, LOOKBACK_FILE)

#: Evidence sources shipped with the default rubric; a bundle may carry more (``<source>.csv``
#: for every source named under ``surveys`` in evaluation.yaml).
DEFAULT_SOURCES = ("household", "file_check", "system", "forum")
#: Sources whose file may be left out of a bundle (no forum held yet, for example).
OPTIONAL_SOURCES = ("forum",)
REQUIRED_FILES = (EVALUATION_FILE, ROSTER_FILE, SAMPLE_FILE, FINDINGS_FILE, JUDGEMENTS_FILE)

CATEGORIES = ("深度困难", "相对困难", "意外致困")  # deep, relative, accident-caused hardship
STATUSES = ("在档", "已脱困", "注销")  # registered, exited hardship, cancelled
EXITED = "已脱困"
SEVERITIES = ("minor", "major", "critical")
ROLES = ("sample", "reserve")
#: Sampling plan methods of evaluator.sampling (the size rule); all use its seeded draw.
SEEDED_METHODS = ("margin", "threshold", "size")
EXTERNAL_METHOD = "external"

#: Roster columns (the list is evaluator.rubrics.definition.ROSTER_COLUMNS) that a bundle may
#: leave out: personal data, which the evaluation does not need to score.
ROSTER_PERSONAL = ("head_name", "id_number")
SAMPLE_COLUMNS = ("household_id", "stratum", "role", "order")
#: Optional sample.csv columns the web app writes once fieldwork records non-response.
SAMPLE_OPTIONAL = ("outcome", "replaces")
OUTCOMES = ("refused", "unreached")
FINDING_COLUMNS = (
    "indicator", "severity", "description", "household_id", "responsible_unit",
    "responsible_person", "deadline",
)
FINDING_REQUIRED = tuple(c for c in FINDING_COLUMNS if c != "household_id")
JUDGEMENT_COLUMNS = ("indicator", "evaluator", "score", "reason")

#: Canonical names of submission paradata (who/when/how a record was made, not an answer).
PARADATA_KEYS = (
    "instance_id", "submission_date", "start", "end", "device_id", "review_state", "submitter",
)

HOUSEHOLD_KEY = "household_id"
#: The fields that identify one record of a source: one record per household, except forums,
#: which hold one record per forum and evaluation dimension discussed.
RECORD_KEYS = {"forum": ("forum_id", "dimension")}
#: Household sources whose rows may cover households outside the sample (a system export is
#: taken for the whole roster); any other household record must be of a sampled household.
UNSAMPLED_SOURCES = ("system",)


def record_key(source: str) -> tuple[str, ...]:
    """The fields identifying one record of ``source`` (``household_id`` unless said otherwise)."""
    return RECORD_KEYS.get(source, (HOUSEHOLD_KEY,))


def is_household_source(source: str) -> bool:
    """Are ``source``'s records about one household each (joined to the roster)?"""
    return record_key(source)[0] == HOUSEHOLD_KEY


def source_file(source: str) -> str:
    return f"{source}.csv"


# -- evaluation.yaml ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamMember:
    name: str
    role: str = ""


@dataclass(frozen=True)
class Ref:
    """A versioned definition the bundle was made with (a rubric or a survey)."""

    id: str
    version: str


@dataclass(frozen=True)
class SamplingPlan:
    """How sample.csv was drawn, so anyone can repeat the draw and weight the estimates.

    evaluation.yaml's ``sampling`` is the plan ``evaluator sample --plan`` writes (see
    docs/sampling.md), optionally with ``roster_hash``. ``frame_sizes`` are N_h (roster households
    per stratum), ``sample_sizes`` n_h (households drawn with role ``sample``), ``reserve`` the
    reserve households drawn per stratum. ``method`` margin/threshold/size means
    evaluator.sampling's seeded draw, which ``bundle check`` repeats; ``external`` a sample drawn
    elsewhere, taken as given. ``data`` is the section as written, kept for export.
    """

    method: str
    stratum_column: str
    frame_sizes: Mapping[str, int]
    sample_sizes: Mapping[str, int]
    reserve: int
    seed: int | None
    roster_hash: str = ""  # sha256:<hex> of the sorted (household_id, stratum) pairs
    roster_sha256: str = ""  # hex sha256 of the roster file's bytes the draw read
    min_per_stratum: int = 0
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def seeded(self) -> bool:
        """Was the sample drawn by evaluator.sampling (so the draw can be repeated)?"""
        return self.method in SEEDED_METHODS and self.seed is not None

    def weight(self, stratum: str) -> float | None:
        """Design weight N_h / n_h of a sampled household in ``stratum`` (None if n_h is 0)."""
        n = self.sample_sizes.get(stratum, 0)
        return self.frame_sizes.get(stratum, 0) / n if n else None


@dataclass(frozen=True)
class Evaluation:
    """evaluation.yaml: who evaluates what, with which definitions, and how the sample was drawn.

    Dates are ``None`` and strings empty only in a bundle read for checking that has problems;
    ``load_bundle`` refuses such a bundle.
    """

    id: str
    title: Text
    evaluated_unit: str  # 被评估单位
    commissioning_body: str  # 委托方
    period_start: date | None
    period_end: date | None
    team: tuple[TeamMember, ...]
    rubric: Ref
    surveys: Mapping[str, Ref]  # source -> survey id + version
    sampling: SamplingPlan | None
    synthetic: bool
    allow_names: bool = False  # may reports show head_name? (ID numbers never, whatever this says)
    #: Why the team lead finished although the finish checks found gaps (unvisited households,
    #: unreviewed records, undecided indicators); printed in the report. Empty otherwise.
    finish_reason: str = ""

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(self.surveys)


# -- rows --------------------------------------------------------------------------------------


def _row_number(numbers: tuple[int, ...], index: int) -> int:
    """``numbers[index]`` when the reader recorded row numbers, else data row ``index`` + 2."""
    return numbers[index] if numbers else index + 2


@dataclass(frozen=True)
class SampleRow:
    household_id: str
    stratum: str
    role: str  # sample | reserve
    order: int  # draw order within the stratum and role; reserves are used in this order
    row: int  # spreadsheet row number in sample.csv
    #: Non-response the team recorded for the household (refused | unreached), '' for none.
    outcome: str = ""
    #: For a reserve taken into the sample: the household it replaces ('' for none).
    replaces: str = ""


@dataclass(frozen=True)
class Finding:
    """One problem found (for the rectification list 整改清单)."""

    indicator: str
    severity: str  # minor | major | critical
    description: str
    household_id: str  # '' when the finding is not about one household
    responsible_unit: str  # 责任单位
    responsible_person: str  # 负责人
    deadline: date | None  # 完成时限
    row: int


@dataclass(frozen=True)
class Judgement:
    """One evaluator's score for a judgement indicator, with the written reason."""

    indicator: str
    evaluator: str
    score: float | None
    reason: str
    row: int


@dataclass(frozen=True)
class Column:
    """How one column of an export was read.

    ``kind``: ``field`` (a survey field, ``name`` is the field), ``paradata`` (``name`` is one of
    PARADATA_KEYS), ``split`` (a KoboToolbox ``field/option`` 1/0 column of select_multiple
    ``name``, ``option`` the choice), ``geo`` (an ODK Central geopoint part ``name-Latitude``),
    ``ignored`` (export bookkeeping such as ``_id``), ``unknown`` (none of these: a problem).
    """

    header: str
    kind: str
    name: str = ""
    option: str = ""


@dataclass(frozen=True)
class RepeatData:
    """Rows of one repeat group (ODK writes them to ``<form>-<repeat>.csv``).

    ``parent_keys[i]`` is ODK's PARENT_KEY of ``rows[i]``: the instance id of the record it
    belongs to (compare with ``source_files.instance_key``, which drops 'uuid:' and nested suffixes);
    ``keys[i]`` the row's own KEY ('' when the export has none); ``row_number(i)`` the
    spreadsheet row of ``rows[i]``.
    """

    name: str
    file: str
    columns: tuple[Column, ...]
    fields: tuple[str, ...]
    rows: Sequence[Mapping[str, str]]
    parent_keys: tuple[str, ...]
    keys: tuple[str, ...]
    encoding: str
    #: Spreadsheet row of each of ``rows`` (header row 1, blank rows counted); () means i + 2.
    #: Where the data sat in the file, not data: no part of equality or the data hash.
    row_numbers: tuple[int, ...] = field(default=(), compare=False)

    def row_number(self, index: int) -> int:
        """Spreadsheet row number of ``rows[index]``, as problems name it."""
        return _row_number(self.row_numbers, index)


@dataclass(frozen=True)
class SourceData:
    """The records of one evidence source after column normalisation.

    ``rows[i]`` maps field name -> value for the file's data row i (spreadsheet row
    ``row_number(i)``: blank rows are skipped but counted);
    ``paradata[i]`` holds that record's instance id, submission date, device, review state.
    ``fields`` is the order the fields appear in (as written back by the writer).
    """

    source: str
    file: str
    columns: tuple[Column, ...]
    fields: tuple[str, ...]
    rows: Sequence[Mapping[str, str]]
    paradata: Sequence[Mapping[str, str]]
    repeats: Mapping[str, RepeatData] = field(default_factory=dict)
    encoding: str = "utf-8"
    #: Spreadsheet row of each of ``rows`` (header row 1, blank rows counted); () means i + 2.
    #: Where the data sat in the file, not data: no part of equality or the data hash.
    row_numbers: tuple[int, ...] = field(default=(), compare=False)

    def row_number(self, index: int) -> int:
        """Spreadsheet row number of ``rows[index]``, as problems name it."""
        return _row_number(self.row_numbers, index)


@dataclass(frozen=True)
class Bundle:
    """One evaluation's data. Read with ``load_bundle``; never built from a partial read.

    ``data_hash`` is ``sha256:<hex>`` over the canonical content of every data file (decoded
    CSV cells and parsed YAML, README excluded): the same data gives the same hash whether it
    came as a folder or a zip, UTF-8 or GBK. Scores and reports stamp it.
    """

    meta: Evaluation
    roster_columns: tuple[str, ...]
    roster: Sequence[Mapping[str, str]]
    sample: tuple[SampleRow, ...]
    sources: Mapping[str, SourceData]
    findings: tuple[Finding, ...]
    judgements: tuple[Judgement, ...]
    data_hash: str
    origin: str = ""
    readme: str = ""  # README.txt, kept so an export of a synthetic bundle still says so
    #: Spreadsheet row of each roster row in roster.csv (blank rows counted); () means i + 2.
    #: Not data: no part of equality or ``data_hash``.
    roster_row_numbers: tuple[int, ...] = field(default=(), compare=False)
    #: sha256 (hex) of roster.csv's bytes as read ('' when built without them, from tables):
    #: what the check of a plan's roster.sha256 compares, once the bytes are let go.
    roster_sha256: str = field(default="", compare=False)

    def roster_row_number(self, index: int) -> int:
        """Spreadsheet row number of ``roster[index]`` in roster.csv."""
        return _row_number(self.roster_row_numbers, index)

    def rows(self, source: str) -> Sequence[Mapping[str, str]]:
        """The normalised records of ``source`` (empty when the bundle has none)."""
        data = self.sources.get(source)
        return data.rows if data is not None else ()

    @cached_property
    def roster_by_id(self) -> Mapping[str, Mapping[str, str]]:
        """household_id -> roster row (the first, if a broken bundle repeats an id)."""
        if isinstance(self.roster, Rows):
            return RowIndex(self.roster, HOUSEHOLD_KEY)
        index: dict[str, Mapping[str, str]] = {}
        for row in self.roster:
            index.setdefault(row.get(HOUSEHOLD_KEY, ""), row)
        return index

    @cached_property
    def roster_positions(self) -> Mapping[str, int]:
        """household_id -> index of its roster row (the first, if a broken bundle repeats an id)."""
        index = self.roster_by_id
        if isinstance(index, RowIndex):
            return index.positions
        positions: dict[str, int] = {}
        for i, household_id in enumerate(self.roster_column(HOUSEHOLD_KEY)):
            positions.setdefault(household_id, i)
        return positions

    def roster_column(self, name: str) -> Sequence[str]:
        """Every roster row's value of ``name`` ('' where a row has none)."""
        roster = self.roster
        if isinstance(roster, Rows):
            return roster.column(name) if roster.has(name) else [""] * len(roster)
        return [row.get(name, "") for row in roster]

    def joined(self, source: str) -> tuple[dict[str, str], ...]:
        """Each record of ``source`` merged with its household's roster row.

        The record's own fields win over roster columns of the same name (the household
        survey's ``household_size`` is what the door visit found; the roster's is what was
        registered). Rows of sources without a household key (forum) come back unchanged.
        """
        household = is_household_source(source)
        out = []
        for row in self.rows(source):
            roster_row = self.roster_by_id.get(row.get(HOUSEHOLD_KEY, "")) if household else None
            out.append({**roster_row, **row} if roster_row else dict(row))
        return tuple(out)

    @property
    def stratum_column(self) -> str:
        plan = self.meta.sampling
        return plan.stratum_column if plan is not None else "stratum"

    def stratum_of(self, household_id: str) -> str | None:
        position = self.roster_positions.get(household_id)
        return None if position is None else self.roster_column(self.stratum_column)[position]

    def frame_sizes(self) -> dict[str, int]:
        """N_h: roster households per stratum, counted from roster.csv (sorted by stratum)."""
        return dict(sorted(Counter(self.roster_column(self.stratum_column)).items()))

    def sampled(self, role: str | None = None) -> tuple[SampleRow, ...]:
        """Sample rows with ``role`` (all when None), in stratum then draw order."""
        rows = [s for s in self.sample if role is None or s.role == role]
        return tuple(sorted(rows, key=lambda s: (s.stratum, s.role != "sample", s.order)))
