"""A table's rows held as columns: one list of cells per column, each row a read-only view.

A bundle's CSV files hold millions of cells; as one dict per row they cost ~1 KB per roster
household before the cells themselves (issue 16: 28 MB per sampled household at 20,000). As
columns they cost one pointer per cell, the cells of a column that repeat (statuses, strata,
yes/no answers, dates) are one string each, and the checker and scoring read a field over all
rows without touching a row. Code that wants a row still gets one: ``rows[i]`` is a
``Mapping`` over the columns (``row["status"]``, ``row.get(...)``, ``{**row}``, ``dict(row)``),
in column order, as the dict rows were.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, overload


class Rows(Sequence[Mapping[str, str]]):
    """Rows of one table as columns (every column as long as the table).

    ``unpadded`` names columns known to hold no cell with white space around it (the reader
    finds them as it reads): ``stripped`` gives those back as they are, no copy made."""

    __slots__ = ("_columns", "_names", "_size", "_unpadded")

    def __init__(self, columns: Mapping[str, Sequence[str]], size: int | None = None,
                 unpadded: Iterable[str] = ()):
        self._columns: dict[str, Sequence[str]] = dict(columns)
        self._names = tuple(self._columns)
        self._unpadded = frozenset(unpadded)
        lengths = {len(c) for c in self._columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths: {sorted(lengths)}")
        self._size = lengths.pop() if lengths else (size or 0)

    @property
    def names(self) -> tuple[str, ...]:
        """The columns, in order (each row's keys)."""
        return self._names

    def column(self, name: str) -> Sequence[str]:
        """Every row's value of ``name`` (KeyError when the table has no such column)."""
        return self._columns[name]

    def stripped(self, name: str) -> Sequence[str]:
        """``column(name)`` with every cell stripped of surrounding white space (the column
        itself when it has none to strip)."""
        column = self._columns[name]
        return column if name in self._unpadded else list(map(str.strip, column))

    def has(self, name: str) -> bool:
        return name in self._columns

    def without(self, names: Iterable[str]) -> Rows:
        """These rows without the columns ``names`` (the other columns shared, not copied)."""
        gone = set(names)
        return Rows({n: c for n, c in self._columns.items() if n not in gone}, size=self._size,
                    unpadded=self._unpadded - gone)

    def __len__(self) -> int:
        return self._size

    @overload
    def __getitem__(self, index: int) -> Mapping[str, str]: ...

    @overload
    def __getitem__(self, index: slice) -> list[Mapping[str, str]]: ...

    def __getitem__(self, index: int | slice) -> Mapping[str, str] | list[Mapping[str, str]]:
        if isinstance(index, slice):
            return [Row(self, i) for i in range(*index.indices(self._size))]
        if index < 0:
            index += self._size
        if not 0 <= index < self._size:
            raise IndexError("row index out of range")
        return Row(self, index)

    def __iter__(self) -> Iterator[Mapping[str, str]]:
        return (Row(self, i) for i in range(self._size))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Rows):
            # As a tuple of dicts compares: key order does not count.
            return self._size == other._size and set(self._names) == set(other._names) and all(
                list(self._columns[n]) == list(other._columns[n]) for n in self._names)
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(other) == self._size and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Rows({self._size} rows: {', '.join(self._names)})"


class Row(Mapping[str, str]):
    """Row ``index`` of ``rows``: a read-only mapping of column name to cell."""

    __slots__ = ("_index", "_rows")

    def __init__(self, rows: Rows, index: int):
        self._rows = rows
        self._index = index

    @property
    def position(self) -> int:
        """The row's index in its table."""
        return self._index

    def __getitem__(self, name: str) -> str:
        return self._rows._columns[name][self._index]

    def get(self, name: str, default: Any = None) -> Any:
        column = self._rows._columns.get(name)
        return default if column is None else column[self._index]

    def __contains__(self, name: object) -> bool:
        return name in self._rows._columns

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows._names)

    def __len__(self) -> int:
        return len(self._rows._names)

    def __repr__(self) -> str:
        return repr(dict(self))


class RowIndex(Mapping[str, Mapping[str, str]]):
    """``rows`` by the value of ``column`` (the first row of a value that repeats): one dict of
    value -> position, a row view made only when one is looked up."""

    __slots__ = ("_at", "_rows")

    def __init__(self, rows: Rows, column: str):
        self._rows = rows
        values = rows.column(column) if rows.has(column) else [""] * len(rows)
        # Built backwards, so that the first row of a repeated value is the one kept.
        self._at: dict[str, int] = dict(zip(reversed(values), range(len(values) - 1, -1, -1), strict=True))

    @property
    def positions(self) -> Mapping[str, int]:
        """value -> index of its row."""
        return self._at

    def __getitem__(self, value: str) -> Mapping[str, str]:
        return Row(self._rows, self._at[value])

    def __contains__(self, value: object) -> bool:
        return value in self._at

    def __iter__(self) -> Iterator[str]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)


def shared(values: Sequence[str]) -> Sequence[str]:
    """``values`` with equal strings made one object, when a column repeats itself (judged on
    its first 1,000 cells: at least half repeat another): a column of 200,000 statuses then
    holds three strings. Columns of ids, names and amounts are left as they are."""
    if len(set(values[:1000])) * 2 > min(len(values), 1000):
        return values
    one = {v: v for v in set(values)}
    return list(map(one.__getitem__, values))
