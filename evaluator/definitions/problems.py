"""Problems found in user-supplied files, each naming exactly where it is.

Validation never stops at the first problem: rubric authors and evaluation teams fix files in
batches, so every checker collects ``Problem`` values and the CLI prints them all, then exits 1.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem: ``file`` and ``where`` locate it, ``message`` says what is wrong.

    ``where`` is a path into the file that a person can follow: ``dimensions[2].indicators[0]``
    in YAML, ``row 14, column income`` in a CSV, ``sheet survey, row 7, column type`` in XLSX.
    """

    file: str
    where: str
    message: str

    def __str__(self) -> str:
        location = f"{self.file}: {self.where}" if self.where else self.file
        return f"{location}: {self.message}"


class DefinitionError(ValueError):
    """Raised when a file cannot be used at all; carries every problem found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid definition")
