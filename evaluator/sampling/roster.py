"""Read the sampling frame (建档立卡台账 roster) from CSV or XLSX, with row-level problems.

Rosters come from township offices and are rarely clean: empty ids, a missing township, the same
household entered twice. Drawing from such a file would give a sample nobody can defend, so every
problem is reported with its spreadsheet row and column, all at once, before anything is drawn.
The file's sha256 is kept so the plan can prove which roster the sample came from.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from evaluator.definitions.problems import DefinitionError, Problem
from evaluator.tables import read_table

ENCODING_NAMES = {
    "utf-8": "UTF-8 text",
    "utf-8-sig": "UTF-8 text with BOM",
    "gbk": "GBK (GB18030) text",
    "xlsx": "XLSX workbook",
}


@dataclass(frozen=True)
class Roster:
    """The frame as (household_id, stratum) pairs, plus what identifies the file it came from."""

    path: str
    encoding: str
    sha256: str
    id_column: str
    stratum_column: str
    frame: list[tuple[str, str]]

    def frame_sizes(self) -> dict[str, int]:
        """Households per stratum, N_h."""
        sizes: dict[str, int] = {}
        for _, stratum in self.frame:
            sizes[stratum] = sizes.get(stratum, 0) + 1
        return dict(sorted(sizes.items()))

    def describe(self) -> dict[str, object]:
        """Plain-data description for the plan (evaluation.yaml)."""
        return {
            "file": Path(self.path).name,
            "sha256": self.sha256,
            "encoding": self.encoding,
            "households": len(self.frame),
            "id_column": self.id_column,
            "stratum_column": self.stratum_column,
        }

    @property
    def encoding_name(self) -> str:
        """The detected encoding as a person would say it ("GBK (GB18030)")."""
        return ENCODING_NAMES.get(self.encoding, self.encoding)


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of the file's bytes, exactly as stored (not of the decoded text)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_roster(
    path: str | Path, *, stratum_column: str, id_column: str = "household_id"
) -> Roster:
    """Read a roster; raise ``DefinitionError`` listing every problem with its row and column."""
    table = read_table(path)
    name = table.path
    problems: list[Problem] = []
    for column, role in ((id_column, "household id"), (stratum_column, "stratum")):
        if column not in table.header:
            problems.append(Problem(
                name, "row 1",
                f"no column {column!r} for the {role}; the columns are: {', '.join(table.header)}",
            ))
    if problems:
        raise DefinitionError(problems)
    if not table.rows:
        raise DefinitionError([Problem(name, "", "the roster has no households (only a header)")])

    rows_of: dict[str, list[int]] = {}
    frame: list[tuple[str, str]] = []
    for index, row in enumerate(table.rows):
        number = table.row_number(index)
        household_id = row[id_column].strip()
        stratum = row[stratum_column].strip()
        if not household_id:
            problems.append(Problem(name, f"row {number}, column {id_column}", "empty household id"))
        if not stratum:
            problems.append(Problem(name, f"row {number}, column {stratum_column}", "empty stratum"))
        if household_id:
            rows_of.setdefault(household_id, []).append(number)
            if stratum:
                frame.append((household_id, stratum))
    for household_id, numbers in rows_of.items():
        if len(numbers) > 1:
            listed = ", ".join(str(n) for n in numbers)
            for number in numbers:
                problems.append(Problem(
                    name, f"row {number}, column {id_column}",
                    f"duplicate household id {household_id!r} (rows {listed})",
                ))
    if problems:
        raise DefinitionError(problems)
    return Roster(name, table.encoding, file_sha256(path), id_column, stratum_column, frame)
