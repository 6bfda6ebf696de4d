"""The pure core's problems in a page's language.

A ``Problem`` with a code (evaluator.definitions.problem_words) is said again from its pattern in
the catalog of ``lang``, and its place (``row 14, column income``, ``byte 7``, ``sheet x``) in
that language's words; one without a code is shown as it is (message and place). The command line prints
``str(problem)``, unchanged. No Flask here: a job (evaluator.jobs.tasks) uses it too, with the
job's language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from evaluator.catalogs import translations
from evaluator.definitions.problem_words import PROBLEM_WORDS
from evaluator.definitions.problems import Problem

_ROW = re.compile(r"row (\d+)(?:, column (.+))?")
_BYTE = re.compile(r"byte (\d+)")
_SHEET = re.compile(r"sheet (.+)")
_LINE = re.compile(r"line (\d+)(?:, column (\d+))?")


def place_text(where: str, lang: str) -> str:
    """A problem's ``where`` in ``lang``: the spreadsheet places translated, others as they are."""
    t = translations(lang)
    if match := _ROW.fullmatch(where):
        row, column = match.groups()
        if column is None:
            return t.gettext("row %(row)s") % {"row": row}
        return t.gettext("row %(row)s, column %(column)s") % {"row": row, "column": column}
    if match := _BYTE.fullmatch(where):
        return t.gettext("byte %(n)s") % {"n": match.group(1)}
    if match := _SHEET.fullmatch(where):
        return t.gettext("sheet %(name)s") % {"name": match.group(1)}
    if match := _LINE.fullmatch(where):  # a YAML file's
        line, column = match.groups()
        if column is None:
            return t.gettext("line %(line)s") % {"line": line}
        return t.gettext("line %(line)s, column %(column)s") % {"line": line, "column": column}
    return where


def message_text(problem: Problem, lang: str) -> str:
    """What is wrong, in ``lang`` when the problem has a code or a rule's template."""
    if problem.template:  # a rubric rule's (evaluator.rubrics.problem_collector)
        t = translations(lang)
        # ``what`` names the part of the rubric: an N_-marked noun such as "a band"
        values = {k: t.gettext(v) if k == "what" and isinstance(v, str) else v
                  for k, v in problem.params}
        try:
            return t.gettext(problem.template).format(**values)
        except (KeyError, IndexError, ValueError):  # a broken translation: the English stands
            return problem.message
    if not problem.code or problem.code not in PROBLEM_WORDS:
        return problem.message
    pattern = translations(lang).pgettext(problem.code, PROBLEM_WORDS[problem.code])
    try:
        return str(pattern).format(**dict(problem.params))
    except (KeyError, IndexError, ValueError):  # a broken translation: the English stands
        return problem.message


def problem_text(problem: Problem | str, lang: str) -> str:
    """One problem as a line for a page: file, place and message in ``lang``."""
    if isinstance(problem, str):
        return problem
    return ": ".join(filter(None, (problem.file, problem_place(problem, lang),
                                   message_text(problem, lang))))


def problem_place(problem: Problem, lang: str) -> str:
    """Where the problem is, in ``lang`` for a coded problem (as it is otherwise)."""
    return place_text(problem.where, lang) if problem.code else problem.where


def problems_text(problems: Iterable[Problem | str], lang: str) -> list[str]:
    return [problem_text(p, lang) for p in problems]
