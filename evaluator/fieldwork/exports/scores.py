"""The scoring service: the one place where database rows become a score sheet.

The evaluation's rows are gathered exactly as for its bundle export (exports.bundle_content),
and the bundle package turns them into the ``Bundle`` that ``evaluator score`` reads from the
exported files, with the same data hash, checked by the same checker — every answer too,
against its survey, so data written behind the app's back (a script, a restored backup, a
hand-edited database) is refused exactly where the command line would refuse it — and scored
by the same engine: the web page and the command line give the same numbers, bit for bit.

Two things are saved on the way:

* the CSV files are not written and parsed back: the cells go straight into the tables the
  reader would have parsed (evaluator.bundle.parsing.table_from_cells, which declines the rare
  cell the CSV round trip might not give back; then the files are written and read as before);
* a sheet is computed once per content: it is kept (``KEEP`` of them per process) under the
  evaluation, its data hash, the rubric and survey versions and the day (constraints may read
  ``today()``). The data hash covers every row the sheet is made from, so any change of a
  record, a review state, the roster, the sample, the system data, findings or judgements —
  made through the app or not — gives a new key, and the page is scored again.

(It lives here rather than in evaluator.scoring, which must stay free of the database.)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from evaluator.definitions.problems import Problem, coded
from evaluator.fieldwork.exports.files import BundleContent, bundle_content
from evaluator.fieldwork.models import Evaluation
from evaluator.fieldwork.queries import (
    RefusedRubric,
    rubric_for,
    rubric_version,
    survey_versions,
    surveys_by_id,
)


@dataclass(frozen=True)
class Scored:
    """The score sheet and, for the report (evaluator.fieldwork.reports), what it was made
    from: the bundle, the rubric and the surveys (all None when the data cannot be scored)."""

    sheet: Any | None  # evaluator.scoring.ScoreSheet, or None when the data cannot be scored
    problems: list[str]  # as the command line says them (English)
    data_hash: str
    bundle: Any | None = None  # evaluator.bundle.model.Bundle
    rubric: Any | None = None  # evaluator.rubrics.definition.Rubric
    surveys: Mapping[str, Any] | None = None  # survey id -> Survey
    #: The same problems as ``Problem`` values, for a page in its language (evaluator.web.problems).
    found: tuple[Problem, ...] = ()


def _unscored(problem: Problem, data_hash: str = "") -> Scored:
    return Scored(None, [problem.message], data_hash, found=(problem,))


#: Score sheets kept per process (each with its bundle, for the report of the same numbers).
KEEP = 4
_kept: OrderedDict[tuple[Any, ...], Scored] = OrderedDict()
_kept_lock = threading.Lock()


def score_evaluation(db: Session, evaluation: Evaluation) -> Scored:
    """The evaluation's score sheet, or the problems that stop it (kept while nothing changes)."""
    from evaluator.bundle.reader import build_bundle, bundle_from_tables, cyclic_gc_paused

    if not evaluation.sampling_plan:
        return _unscored(coded("", "", "problem_sample_not_drawn"))
    with cyclic_gc_paused():
        content = bundle_content(db, evaluation)
        rubric_row = rubric_version(db, evaluation)
        versions = tuple(sorted((source, v.key, v.version, v.content_hash)
                                for source, v in survey_versions(db, evaluation.id).items()))
        stamp = (evaluation.id, rubric_row.key, rubric_row.version, rubric_row.content_hash,
                 versions, date.today())
        read = read_tables(content)
        if read is not None and (found := _kept_sheet((*stamp, read.data_hash))) is not None:
            return found
        surveys = surveys_by_id(db, evaluation.id)
        if read is None:
            bundle, problems = build_bundle(content.files(), surveys, origin=evaluation.key)
        else:
            bundle, problems = bundle_from_tables(read.other, read.tables(), surveys,
                                                  data_hash=read.data_hash, origin=evaluation.key)
        key = (*stamp, bundle.data_hash if bundle is not None else "")
        found = _kept_sheet(key)
        if found is None:
            try:
                rubric = rubric_for(db, evaluation)
            except RefusedRubric as refused:
                # A version stored before its rules were tightened (e.g. union-hardship 2026.1's
                # veto on a raw sample count): say why, never a 500; the data stay as they are.
                # Each rule it fails follows, in the page's language where the rule has a code.
                head = coded("", "", "problem_rubric_refused", detail=refused.label)
                return Scored(None, [head.message, *refused.problems], key[-1],
                              found=(head, *refused.found))
            found = _keep(key, _checked_and_scored(bundle, problems, content, surveys, rubric))
        return found


def _checked_and_scored(bundle: Any, problems: list[Any], content: BundleContent,
                        surveys: Mapping[str, Any], rubric: Any) -> Scored:
    from evaluator.bundle.check import check_bundle, ordered
    from evaluator.scoring import score

    if bundle is not None:
        problems += check_bundle(bundle, surveys, rubric, files=BundleFiles(content))
    problems = ordered(problems)
    if problems or bundle is None:
        return Scored(None, [str(p) for p in problems], bundle.data_hash if bundle else "",
                      found=tuple(problems))
    return Scored(score(rubric, bundle), [], bundle.data_hash, bundle, rubric, surveys)


def forget_sheets() -> None:
    """Drop every kept sheet (a benchmark timing the cold path; memory to give back)."""
    with _kept_lock:
        _kept.clear()


def _kept_sheet(key: tuple[Any, ...]) -> Scored | None:
    with _kept_lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
        return found


def _keep(key: tuple[Any, ...], scored: Scored) -> Scored:
    with _kept_lock:
        _kept[key] = scored
        while len(_kept) > KEEP:
            _kept.popitem(last=False)
    return scored




def read_content(content: BundleContent, surveys: Mapping[str, Any], *, origin: str = ""
                 ) -> tuple[Any, list[Any]]:
    """(bundle, problems) as ``build_bundle(content.files(), surveys)`` gives them, read from
    the cells without writing the CSV files when every table allows it."""
    from evaluator.bundle.reader import build_bundle, bundle_from_tables

    read = read_tables(content)
    if read is None:
        return build_bundle(content.files(), surveys, origin=origin)
    return bundle_from_tables(read.other, read.tables(), surveys, data_hash=read.data_hash,
                              origin=origin)


@dataclass(frozen=True)
class Read:
    """The content read for the bundle: the non-CSV files, each CSV file's kept rows (and their
    spreadsheet rows) and the data hash; ``tables()`` makes the tables, only when needed."""

    other: dict[str, bytes]
    kept: dict[str, tuple[list[str], list[Any], list[int]]]
    data_hash: str

    def tables(self) -> dict[str, Any]:
        from evaluator.bundle.parsing import table_of_cells

        return {name: table_of_cells(name, header, rows, numbers)
                for name, (header, rows, numbers) in self.kept.items()}


def read_tables(content: BundleContent) -> Read | None:
    """The content's data hash and what the tables are made of, or None when a table's cells
    might not read back as written (then the files are written and read)."""
    from evaluator.bundle.hashing import content_hash, file_entry, hashed, table_entry
    from evaluator.bundle.parsing import kept_cells

    other = {name: content.file(name) for name in content.names if name not in content.tables}
    entries = {name: file_entry(name, raw) for name, raw in other.items() if hashed(name)}
    kept = {}
    for name, (header, rows) in content.tables.items():
        found = kept_cells(header, rows)
        if found is None:
            return None
        kept[name] = (list(header), *found)
        entries[name] = table_entry(header, found[0])
    return Read(other, kept, content_hash(entries))


class BundleFiles(Mapping):
    """The bundle's files by name, each written only if asked for (the checker asks for the
    roster's bytes only to compare them with a plan's roster sha256)."""

    def __init__(self, content: BundleContent):
        self._content = content
        self._names = content.names

    def __getitem__(self, name: str) -> bytes:
        return self._content.file(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)
