"""The units of each evidence source: one per household, joined with its roster row, by stratum.

Units are sorted by household id, so the order rows arrive in cannot change a result; a
household with two records in one source keeps the record that sorts first by content (and is
flagged), for the same reason. Expressions are evaluated over whole columns (``columns``) and
fall back to helper A's closures row by row only when the column path raises.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from itertools import repeat
from operator import itemgetter
from typing import Any

import numpy as np

from evaluator.bundle.rows import RowIndex, Rows
from evaluator.definitions.expr_columns import (
    Col,
    Frame,
    as_bool,
    as_number,
    as_values,
    evaluate_column,
)
from evaluator.definitions.expressions import (
    ExpressionError,
    compile_expression,
    to_boolean,
    to_number,
)
from evaluator.scoring.types import HOUSEHOLD_KEY, ScoringData


@dataclass
class Evaluated:
    """An expression's values over the units; ``errors`` are units whose row raised (by index)."""

    col: Col | None
    values: list[Any] = field(default_factory=list)  # row by row, when there is no column
    errors: dict[int, str] = field(default_factory=dict)


class SourceUnits:
    """The units of one source: ids, strata, records and the column frame over them."""

    def __init__(self, source: str, data: ScoringData, roster: Mapping[str, Mapping[str, Any]], today: str):
        self.source = source
        self.today = today
        rows = data.sources.get(source)
        self.present = rows is not None
        rows = rows or ()
        self.unknown: list[str] = []
        self.duplicates: list[str] = []
        fast = _fast_order(rows, roster)
        roster_at = None
        if fast is not None:
            order, ids, roster_at = fast
        else:
            grouped: dict[str, list[int]] = {}
            for k, row in enumerate(rows):
                hid = str(row.get(HOUSEHOLD_KEY, "") or "").strip()
                if hid in roster:
                    grouped.setdefault(hid, []).append(k)
                else:
                    self.unknown.append(hid)
            self.duplicates = sorted(h for h, g in grouped.items() if len(g) > 1)
            ids = sorted(grouped)
            order = [_first(rows, grouped[h]) for h in ids]
        self.positions = order  # unit i is record rows[order[i]]
        self._records = rows
        self.ids: list[str] = ids
        self._roster_index = roster
        self.index = dict(zip(ids, range(len(ids)), strict=True))
        self._repeats = data.repeats.get(source, {})
        # Rows held as columns (evaluator.bundle.rows): a field is read down its column, and
        # no unit's record or roster row is made unless a row-by-row path asks for it.
        if roster_at is None:
            roster_at = (list(map(roster.positions.__getitem__, ids)) if isinstance(roster, RowIndex)
                         else _roster_positions(self.roster_rows))
        self._roster_at = roster_at
        self._roster = data.roster
        column = data.stratum_column
        try:
            strata = self._roster_column(column)
        except KeyError:
            strata = [r.get(column, "") for r in self.roster_rows]
        self.strata = np.empty(len(strata), dtype=object)
        self.strata[:] = strata if set(map(type, strata)) <= {str} else [
            s if type(s) is str else str(s) for s in strata]
        self.size = len(self.ids)
        self.frame = Frame(self.size, self._column)
        self._rows: list[dict[str, Any]] | None = None
        self._cache: dict[str, Evaluated] = {}

    @cached_property
    def records(self) -> list[Mapping[str, Any]]:
        """Each unit's record."""
        return [self._records[k] for k in self.positions]

    @cached_property
    def roster_rows(self) -> list[Mapping[str, Any]]:
        """Each unit's roster row."""
        return list(map(self._roster_index.__getitem__, self.ids))

    def _column(self, name: str) -> list[Any]:
        """The field across units: the record's value, else the roster's ('' when neither)."""
        if name in self._repeats:
            lists = self._repeats[name]
            return [lists[k] for k in self.positions]
        if isinstance(self._records, Rows):
            if self._records.has(name):
                return list(map(self._records.column(name).__getitem__, self.positions))
            if self.size:  # no record has it (rows as columns have the same keys)
                try:
                    return self._roster_column(name)
                except KeyError:
                    return [row.get(name, "") for row in self.roster_rows]
        try:  # every record has it (a CSV export always does)
            return list(map(itemgetter(name), self.records))
        except KeyError:
            pass
        if not any(name in record for record in self.records):
            try:
                return self._roster_column(name)
            except KeyError:
                return [row.get(name, "") for row in self.roster_rows]
        return [
            record[name] if name in record else roster_row.get(name, "")
            for record, roster_row in zip(self.records, self.roster_rows, strict=True)
        ]

    def _roster_column(self, name: str) -> list[Any]:
        """The units' roster rows' values of ``name`` (KeyError when a row lacks it)."""
        if self._roster_at is not None and isinstance(self._roster, Rows) and self._roster.has(name):
            return list(map(self._roster.column(name).__getitem__, self._roster_at))
        return list(map(itemgetter(name), self.roster_rows))

    def joined(self) -> list[dict[str, Any]]:
        """Records merged with their roster rows (record wins), built only when needed."""
        if self._rows is None:
            self._rows = [{**r, **rec} for r, rec in zip(self.roster_rows, self.records, strict=True)]
            for name, lists in self._repeats.items():
                for row, k in zip(self._rows, self.positions, strict=True):
                    row[name] = lists[k]
        return self._rows

    def evaluate(self, expression: Any) -> Evaluated:
        """Values of a rubric ``Expression`` (its ``.node``) for every unit, cached by text."""
        key = expression.text
        found = self._cache.get(key)
        if found is not None:
            return found
        try:
            result = Evaluated(evaluate_column(expression.node, self.frame, self.today))
        except (ExpressionError, TypeError, ValueError):
            result = self._row_by_row(expression.node)
        self._cache[key] = result
        return result

    def _row_by_row(self, node: Any) -> Evaluated:
        run = compile_expression(node)
        day = date.fromisoformat(self.today)
        values: list[Any] = []
        errors: dict[int, str] = {}
        for i, row in enumerate(self.joined()):
            try:
                values.append(run(row, today=day))
            except ExpressionError as exc:
                values.append("")
                errors[i] = exc.message
        return Evaluated(None, values, errors)

    def truth(self, expression: Any) -> tuple[np.ndarray, dict[int, str]]:
        """XPath boolean() of the expression per unit, and the units where it failed."""
        ev = self.evaluate(expression)
        if ev.col is not None:
            return as_bool(ev.col, self.size), {}
        errors = dict(ev.errors)
        out = np.zeros(self.size, dtype=bool)
        for i, value in enumerate(ev.values):
            try:
                out[i] = to_boolean(value)
            except ExpressionError as exc:  # a bare repeat field: a list is not one answer
                errors.setdefault(i, exc.message)
        return out, errors

    def numbers(self, expression: Any) -> tuple[np.ndarray, dict[int, str]]:
        """XPath number() per unit (NaN for blanks), and the units where it failed."""
        ev = self.evaluate(expression)
        if ev.col is not None:
            return as_number(ev.col, self.size), {}
        errors = dict(ev.errors)
        out = np.full(self.size, np.nan)
        for i, value in enumerate(ev.values):
            try:
                out[i] = to_number(value)
            except ExpressionError as exc:  # a bare repeat field: a list is not one number
                errors.setdefault(i, exc.message)
        return out, errors

    def values(self, expression: Any) -> tuple[list[Any], dict[int, str]]:
        """The raw values (strings, numbers, booleans, lists) per unit."""
        ev = self.evaluate(expression)
        if ev.col is not None:
            return as_values(ev.col, self.size), {}
        return list(ev.values), ev.errors


def _roster_positions(roster_rows: Sequence[Any]) -> list[int] | None:
    """The index of each unit's roster row, when the roster is held as columns."""
    try:
        return [row.position for row in roster_rows]
    except AttributeError:
        return None


def _fast_order(
    rows: Sequence[Mapping[str, Any]], roster: Mapping[str, Any]
) -> tuple[list[int], list[str], list[int] | None] | None:
    """(record positions, ids, roster positions or None) sorted by id, when every id is a
    clean, unique roster id (the roster positions when the roster is held as columns)."""
    try:
        ids = (list(rows.column(HOUSEHOLD_KEY)) if isinstance(rows, Rows)
               else list(map(itemgetter(HOUSEHOLD_KEY), rows)))
    except (KeyError, TypeError):
        return None
    if set(map(type, ids)) - {str} or len(set(ids)) != len(ids):
        return None
    at: list[int] | None = None
    if isinstance(roster, RowIndex):  # each id looked up once: found, and where
        at = list(map(roster.positions.get, ids, repeat(-1)))
        if -1 in at:
            return None
    elif not all(map(roster.__contains__, ids)):
        return None
    if list(map(str.strip, ids)) != ids:
        return None
    order = sorted(range(len(ids)), key=ids.__getitem__)
    return order, [ids[k] for k in order], None if at is None else [at[k] for k in order]


def _first(rows: Sequence[Mapping[str, Any]], positions: list[int]) -> int:
    """Of a household's records, the one that sorts first by content (row order cannot matter)."""
    if len(positions) == 1:
        return positions[0]
    return min(positions, key=lambda k: sorted((str(a), str(b)) for a, b in rows[k].items()))
