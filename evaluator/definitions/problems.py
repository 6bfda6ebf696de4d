"""Problems found in user-supplied files, each naming exactly where it is.

Validation never stops at the first problem: rubric authors and evaluation teams fix files in
batches, so every checker collects ``Problem`` values and the CLI prints them all, then exits 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from string import Formatter
from typing import Any


@dataclass(frozen=True, order=True)
class Problem:
    """One problem: ``file`` and ``where`` locate it, ``message`` says what is wrong.

    ``where`` is a path into the file that a person can follow: ``dimensions[2].indicators[0]``
    in YAML, ``row 14, column income`` in a CSV, ``sheet survey, row 7, column type`` in XLSX.

    A problem the web app shows (``coded``) also carries ``code`` and ``params``: the message
    is ``PROBLEM_WORDS[code]`` (English, for the command line) filled with ``params``, and the
    web layer fills the same pattern in the page's language (evaluator.web.problems). A rubric
    rule reports through its own message template instead (``template``: English, ``{name}``
    fields, marked ``N_`` for the catalogs, the template itself the msgid) with ``params``.
    None of these take part in comparisons.
    """

    file: str
    where: str
    message: str
    code: str = field(default="", compare=False)
    params: tuple[tuple[str, Any], ...] = field(default=(), compare=False, repr=False)
    template: str = field(default="", compare=False, repr=False)

    def __str__(self) -> str:
        location = f"{self.file}: {self.where}" if self.where else self.file
        return f"{location}: {self.message}"


def coded(file: str, where: str, code: str, **params: Any) -> Problem:
    """The problem ``code`` (a key of ``PROBLEM_WORDS``) with its English message."""
    from evaluator.definitions.problem_words import PROBLEM_WORDS

    return Problem(file, where, PROBLEM_WORDS[code].format(**params), code,
                   tuple(sorted(params.items())))


def coded_as(file: str, where: str, message: str, codes: Iterable[str]) -> Problem:
    """The problem whose English is exactly ``message``: coded with the first of ``codes``
    whose pattern gives those very bytes back, else uncoded. For words another library wrote
    (pyxform's, PyYAML's): the command line prints what it printed before, and a page can say
    a known one in its own language."""
    for code in codes:
        found = _shape(code).fullmatch(message)
        if found:
            problem = coded(file, where, code, **found.groupdict())
            if problem.message == message:
                return problem
    return Problem(file, where, message)


@cache
def _shape(code: str) -> re.Pattern[str]:
    """``PROBLEM_WORDS[code]`` as a regular expression, each ``{field}`` a group."""
    from evaluator.definitions.problem_words import PROBLEM_WORDS

    pattern, seen = "", set()
    for literal, name, _spec, _conversion in Formatter().parse(PROBLEM_WORDS[code]):
        pattern += re.escape(literal)
        if name is not None:
            pattern += f"(?P={name})" if name in seen else f"(?P<{name}>.*?)"
            seen.add(name)
    return re.compile(pattern, re.S)


def relocated(problem: Problem, file: str, where: str | None = None) -> Problem:
    """``problem`` under another file name (an upload named as the user called it), its code
    kept."""
    return Problem(file, problem.where if where is None else where, problem.message, problem.code,
                   problem.params, problem.template)


class DefinitionError(ValueError):
    """Raised when a file cannot be used at all; carries every problem found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid definition")
