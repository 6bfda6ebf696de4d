"""Privacy in the report: national ID numbers never in full (first 6 + last 4), and free text
scrubbed of ID-number-like digit runs and, unless the evaluation allows names, of the roster's
head names."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# An 18-digit (last may be X) or 15-digit run: the shapes of a mainland ID number.
_ID_LIKE = re.compile(r"(?<![0-9])(?:\d{17}[\dXx]|\d{15})(?![0-9Xx])")


def mask_id_number(value: str) -> str:
    """Show an ID number as its first 6 and last 4 characters, the rest as '*'.

    >>> mask_id_number("110101199003071234")
    '110101********1234'
    >>> mask_id_number("12345")
    '*****'
    """
    text = str(value or "").strip()
    if len(text) <= 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


class Scrubber:
    """Masks ID-number-like digit runs and, unless names are allowed, the roster's head names.

    Names are found by looking up every substring of the lengths the names have (a set lookup
    per position), so the cost depends on the text, not on the size of the roster.
    """

    def __init__(self, names: Iterable[str] = ()):
        self.names = frozenset(n for n in (str(x).strip() for x in names) if len(n) >= 2)
        self.lengths = sorted({len(n) for n in self.names}, reverse=True)

    def __call__(self, text: Any) -> str:
        out = _ID_LIKE.sub(lambda m: mask_id_number(m.group(0)), str(text or ""))
        if not self.names or not out:
            return out
        hidden = [False] * len(out)
        for length in self.lengths:
            for i in range(len(out) - length + 1):
                if not hidden[i] and out[i:i + length] in self.names:
                    for k in range(i, i + length):
                        hidden[k] = True
        if not any(hidden):
            return out
        return "".join("＊" if h else ch for ch, h in zip(out, hidden, strict=True))
