"""How rubric rules report problems, and the small value helpers every rule shares.

Each rule module (``validation``, ``parameter_rules``, ``survey_references``) reports through one
``Collector``, so every problem carries its file and its place in the file; the helpers read YAML
values the same way everywhere (``True`` is not a number, 10.0 is shown as 10).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeGuard

from evaluator.definitions.problems import Problem

CODE_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
EPSILON = 1e-9


# --------------------------------------------------------------------------- small value checks


def is_number(value: Any) -> TypeGuard[float]:
    """A YAML number (``True`` is not one, although Python thinks it is an int); where it
    holds, the type checker knows the value is a number."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def fmt(value: Any) -> str:
    """Numbers as an author wrote them: 10, not 10.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def join(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


def N_(template: str) -> str:  # noqa: N802 - gettext's name for a deferred message
    """Marks a rule's message template for the catalogs (``make i18n-extract``); the text
    stays English here: the command line prints it, a page translates it (``Problem.template``)."""
    return template


class Collector:
    """Gathers problems for one file."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, where: str, template: str, /, **params: Any) -> None:
        """A problem at ``where``: ``template`` (English, ``{name}`` fields, literal braces
        doubled) filled from ``params`` is its message; both travel with it for the pages."""
        self.problems.append(
            Problem(self.file, where, template.format(**params),
                    params=tuple(params.items()), template=template)
        )

    def keys(
        self, where: str, data: Mapping, required: Iterable[str], optional: Iterable[str], what: str
    ) -> None:
        for key in required:
            if key not in data:
                self.add(where, N_("{what} needs '{key}'"), what=what, key=key)
        allowed = set(required) | set(optional)
        for key in data:
            if key not in allowed:
                self.add(
                    where,
                    N_("unknown key '{key}' in {what}; allowed: {joins}"),
                    key=key,
                    what=what,
                    joins=", ".join(sorted(allowed)),
                )

    def text(self, where: str, value: Any, *, one_line: bool = False) -> None:
        """A text is a string (Chinese) or ``{zh: ..., en: ...}`` with zh required."""
        if isinstance(value, str):
            texts = {"zh": value}
        elif isinstance(value, Mapping):
            texts = dict(value)
            for key in value:
                if key not in ("zh", "en"):
                    self.add(where, N_("unknown language '{key}'; use zh and en"), key=key)
            if "zh" not in value:
                self.add(where, N_("needs 'zh' (the Chinese text)"))
        else:
            self.add(
                where, N_("must be a text or {{zh: ..., en: ...}}, not {value!r}"), value=fmt(value)
            )
            return
        for language, text in texts.items():
            if language not in ("zh", "en"):
                continue
            if not isinstance(text, str) or (language == "zh" and not text.strip()):
                self.add(where, N_("{language} must be a non-empty text"), language=language)
            elif one_line and "\n" in text.strip():
                self.add(where, N_("{language} must be one line"), language=language)

    def code(self, where: str, value: Any) -> str | None:
        """``value`` when it is a valid code; otherwise None, and the problem is added."""
        if not isinstance(value, str) or not CODE_PATTERN.match(value):
            self.add(
                where,
                N_("code {value!r} must start with a letter and use only letters, digits, _ . -"),
                value=value,
            )
            return None
        return value
