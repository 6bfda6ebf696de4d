"""The scoring service: the one place where database rows become a score sheet.

The evaluation's rows are gathered exactly as for its bundle export (exports.bundle_content),
and the bundle package turns them into the ``Bundle`` that ``evaluator score`` reads from the
exported files, with the same data hash, checked by the same checker and scored by the same
engine: the web page and the command line give the same numbers, bit for bit. Two things are
saved on the way (a 20,000-household evaluation would otherwise take half a minute):

* the CSV files are not written and parsed back: the cells go straight into the tables the
  reader would have parsed (evaluator.bundle.parsing.table_from_cells, which declines the rare
  cell the CSV round trip might not give back; then the files are written and read as before);
* each answer of the records is not checked again against its survey (type, choice list,
  relevance, required, constraint, calculation: ``check_bundle(answers=False)``): the app
  checked every answer against the same survey as it was entered, the survey form for
  submissions and the system upload's check of each row. Every other check of the bundle
  checker still runs, those on which records count included (one record per household,
  households in the roster and the sample, repeat rows with their record), as do the roster,
  sampling plan and redraw, findings and judgement checks.

(It lives here rather than in evaluator.scoring, which must stay free of the database.)
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from evaluator.fieldwork.exports.files import BundleContent, bundle_content
from evaluator.fieldwork.models import Evaluation
from evaluator.fieldwork.queries import rubric_for, surveys_by_id


@dataclass(frozen=True)
class Scored:
    """The score sheet and, for the report (evaluator.fieldwork.reports), what it was made
    from: the bundle, the rubric and the surveys (all None when the data cannot be scored)."""

    sheet: Any | None  # evaluator.scoring.ScoreSheet, or None when the data cannot be scored
    problems: list[str]
    data_hash: str
    bundle: Any | None = None  # evaluator.bundle.model.Bundle
    rubric: Any | None = None  # evaluator.rubrics.definition.Rubric
    surveys: Mapping[str, Any] | None = None  # survey id -> Survey


def score_evaluation(db: Session, evaluation: Evaluation) -> Scored:
    from evaluator.bundle.check import check_bundle, ordered
    from evaluator.scoring import score

    if not evaluation.sampling_plan:
        return Scored(None, ["the sample has not been drawn yet"], "")
    with _cyclic_gc_paused():
        content = bundle_content(db, evaluation)
        surveys = surveys_by_id(db, evaluation.id)
        rubric = rubric_for(db, evaluation)
        bundle, problems = read_content(content, surveys, origin=evaluation.key)
        if bundle is not None:
            problems += check_bundle(bundle, surveys, rubric, files=_Files(content), answers=False)
        problems = ordered(problems)
        if problems or bundle is None:
            return Scored(None, [str(p) for p in problems], bundle.data_hash if bundle else "")
        return Scored(score(rubric, bundle), [], bundle.data_hash, bundle, rubric, surveys)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
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


def read_content(content: BundleContent, surveys: Mapping[str, Any], *, origin: str = ""
                 ) -> tuple[Any, list[Any]]:
    """(bundle, problems) as ``build_bundle(content.files(), surveys)`` gives them, read from
    the cells without writing the CSV files when every table allows it."""
    from evaluator.bundle.hashing import content_hash, file_entry, hashed, table_entry
    from evaluator.bundle.parsing import table_from_cells
    from evaluator.bundle.reader import build_bundle, bundle_from_tables

    other = {name: content.file(name) for name in content.names if name not in content.tables}
    tables = {}
    entries = {name: file_entry(name, raw) for name, raw in other.items() if hashed(name)}
    for name, (header, rows) in content.tables.items():
        made = table_from_cells(name, header, rows)
        if made is None:
            return build_bundle(content.files(), surveys, origin=origin)
        tables[name], kept = made
        entries[name] = table_entry(header, kept)
    return bundle_from_tables(other, tables, surveys, data_hash=content_hash(entries),
                              origin=origin)


class _Files(Mapping):
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
