"""Turn a loaded bundle (evaluator.bundle) into the engine's plain input, ``ScoringData``.

The bundle keeps a repeat group (the household's ``members``) in its own table, linked to its
record by instance id, as ODK Central exports it. Rubric expressions see a repeat's field as a
list (``count(${member_age})``): the lists are gathered here, once, beside the records (copying
20,000 records to add them would cost more than scoring them).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from evaluator.bundle.rows import RowIndex, Rows
from evaluator.bundle.source_files import instance_key
from evaluator.scoring.types import (
    FindingRecord,
    JudgementRecord,
    SampleUnit,
    ScoringData,
    scoring_data,
)


def from_bundle(bundle: Any) -> ScoringData:
    """``ScoringData`` for a ``Bundle`` (see evaluator.bundle.model): frame sizes from its roster."""
    for name in ("roster", "sources", "sample", "findings", "judgements", "data_hash", "meta"):
        if not hasattr(bundle, name):
            raise ValueError(f"expected an evaluator.bundle Bundle, got {type(bundle).__name__} (no {name})")
    sources = {name: data.rows for name, data in bundle.sources.items()}
    meta = bundle.meta
    sampling = getattr(meta, "sampling", None)
    stratum_column = sampling.stratum_column if sampling is not None else "stratum"
    data = scoring_data(
        roster=bundle.roster,
        sources=sources,
        sample=[SampleUnit(s.household_id, s.stratum, s.role, s.order, s.outcome, s.replaces)
                for s in bundle.sample],
        findings=[
            FindingRecord(f.indicator, f.severity, f.household_id, f.description) for f in bundle.findings
        ],
        judgements=[
            JudgementRecord(j.indicator, j.evaluator, j.score, j.reason) for j in bundle.judgements
        ],
        stratum_column=stratum_column,
        data_hash=bundle.data_hash,
        today=getattr(meta, "period_end", None),
        roster_index=_known_index(bundle),
    )
    repeats = {name: _LazyRepeats(source) for name, source in bundle.sources.items()
               if getattr(source, "repeats", None)}
    return replace(data, repeats=MappingProxyType(repeats))


def _known_index(bundle: Any) -> RowIndex | None:
    """The bundle's own index of its roster by household_id (built once: the checks use it too)."""
    if not isinstance(bundle.roster, Rows):
        return None
    index = getattr(bundle, "roster_by_id", None)
    return index if isinstance(index, RowIndex) else None


class _LazyRepeats(Mapping):
    """A source's repeat fields -> per-record lists, gathered only if an expression uses one.

    The default rubric reads no repeat field; gathering 60,000 member rows for nothing would
    cost a tenth of the scoring time of a 20,000-household bundle.
    """

    def __init__(self, source: Any):
        self._source = source
        self._names = tuple(dict.fromkeys(f for r in source.repeats.values() for f in r.fields))
        self._lists: dict[str, list[list[Any]]] | None = None

    def __getitem__(self, name: str) -> list[list[Any]]:
        if name not in self._names:
            raise KeyError(name)
        if self._lists is None:
            self._lists = _repeat_lists(self._source)
        return self._lists[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _repeat_lists(data: Any) -> dict[str, list[list[Any]]]:
    """Each repeat field as one list per record (in record order), the values per instance."""
    repeats = getattr(data, "repeats", None) or {}
    if not repeats:
        return {}
    position: dict[str, int] = {}
    for i, meta in enumerate(data.paradata):
        key = instance_key(meta.get("instance_id", ""))
        if key:
            position.setdefault(key, i)
    size = len(data.rows)
    out: dict[str, list[list[Any]]] = {}
    for name in sorted(repeats):
        repeat = repeats[name]
        parents: dict[str, int | None] = {}
        fields = [f for f in repeat.fields if f not in out]
        lists: list[list[list[Any]]] = [[[] for _ in range(size)] for _ in fields]
        for row, parent in zip(repeat.rows, repeat.parent_keys, strict=True):
            at = parents.get(parent, -1)
            if at == -1:
                at = parents[parent] = position.get(instance_key(parent))
            if at is None:
                continue  # an orphan row; the bundle checker reports it
            for field, values in zip(fields, lists, strict=True):
                values[at].append(row.get(field, ""))
        out.update(zip(fields, lists, strict=True))
    return out
