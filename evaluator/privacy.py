"""The one masking policy for personal data (个人信息, PIPL): who sees which numbers, where.

Household data holds national ID numbers (身份证号), mobile and landline numbers and bank
cards. They are needed for fieldwork — finding and calling a household — and for nothing a
score or a report says. So:

- a team lead (and an administrator) sees them in full on the app's pages, where running the
  fieldwork needs them (records, call-backs, findings); an evaluator sees the households
  assigned to them on their tablet, and others' free text masked;
- everything else is masked: the roster list (many households at once), viewers' pages,
  every file that leaves the app (CSV/XLSX exports, bundle.zip) and every report (HTML, PDF),
  whoever asks for it;
- a national ID number is never stored whole: roster uploads keep its first 6 and last 4.

Masking keeps a number recognisable to the people who already know it and useless to anyone
else: ID numbers first 6 + last 4 (``110101********1234``), mobiles first 3 + last 4
(``138****5678``), landlines the area code + last 4 (``0931-***3456``), bank cards first 4 +
last 4. Free text (findings, answers, comments, reasons, notes) is scanned for those shapes;
columns whose name says what they hold (``phone``, ``手机``, ``bank_card``, ``身份证`` ...)
are masked whatever their values look like. Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_FOUR_DIGITS = re.compile(r"\d{4}")
_EDGE_L = r"(?<![0-9A-Za-z])"
_EDGE_R = r"(?![0-9A-Za-z])"
# 18 digits (the last may be X) or the old 15: mainland ID numbers.
_ID = re.compile(_EDGE_L + r"(?:\d{17}[\dXx]|\d{15})" + r"(?![0-9A-Za-z])")
# Bank cards: 16-19 digits, or groups of 4 separated by spaces or hyphens.
_CARD = re.compile(_EDGE_L + r"(?:\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{4}(?:[ -]\d{1,3})?|\d{16,19})"
                   + _EDGE_R)
# Mobiles: 11 digits from 13-19, written whole or 3-4-4, with or without +86.
_MOBILE = re.compile(_EDGE_L + r"(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}" + _EDGE_R)
# Landlines: an area code 0xx(x), then 7-8 digits; brackets, hyphen or space between.
_LANDLINE = re.compile(_EDGE_L + r"(?:\(0\d{2,3}\)|0\d{2,3})[ -]?\d{7,8}" + _EDGE_R)

#: Column names (lower case, any part) that say what a column holds.
_COLUMN_KINDS = (
    ("id", ("id_number", "id_card", "idcard", "身份证", "证件号")),
    ("card", ("bank", "card_no", "account_no", "银行卡", "卡号", "账号", "账户")),
    ("phone", ("phone", "mobile", "tel", "contact", "电话", "手机", "联系方式")),
)


def mask_id_number(value: str) -> str:
    """An ID number as its first 6 and last 4 characters, the rest as '*'.

    >>> mask_id_number("110101199003071234")
    '110101********1234'
    >>> mask_id_number("12345")
    '*****'
    """
    text = str(value or "").strip()
    if len(text) <= 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def _hide_digits(text: str, keep_first: int, keep_last: int) -> str:
    """'*' for every digit of ``text`` but the first and last few; separators stay."""
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    hidden = set(digits[keep_first:len(digits) - keep_last] if len(digits) > keep_first +
                 keep_last else digits)
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))


def mask_mobile(text: str) -> str:
    """>>> mask_mobile("+86 138-1234-5678")
    '+86 138-****-5678'
    """
    digits = sum(ch.isdigit() for ch in text)
    return _hide_digits(text, 3 + (digits - 11), 4)


def mask_landline(text: str) -> str:
    """>>> mask_landline("0931-8123456")
    '0931-***3456'
    """
    area = re.match(r"\(?0\d{2,3}\)?", text)
    cut = area.end() if area else 0
    return text[:cut] + _hide_digits(text[cut:], 0, 4)


def mask_card(text: str) -> str:
    """>>> mask_card("6222 0212 3456 7890")
    '6222 **** **** 7890'
    """
    return _hide_digits(text, 4, 4)


def scrub(text: Any) -> str:
    """Free text with every ID number, bank card, mobile and landline number in it masked."""
    out = "" if text is None else str(text)
    if not _FOUR_DIGITS.search(out):
        return out  # every shape above has 4 digits in a row: the common case ends here
    out = _ID.sub(lambda m: mask_id_number(m.group(0)), out)
    out = _CARD.sub(lambda m: mask_card(m.group(0)), out)
    out = _MOBILE.sub(lambda m: mask_mobile(m.group(0)), out)
    return _LANDLINE.sub(lambda m: mask_landline(m.group(0)), out)


def column_kind(name: str) -> str | None:
    """'id', 'card' or 'phone' when a column's name says it holds such numbers, else None."""
    lowered = name.lower()
    for kind, words in _COLUMN_KINDS:
        if any(word in lowered for word in words):
            return kind
    return None


def mask_value(kind: str | None, value: Any) -> str:
    """A cell of a column of ``kind`` (``column_kind``), masked as a whole; free text (kind
    None) scrubbed."""
    text = "" if value is None else str(value)
    if not text or kind is None:
        return scrub(text)
    if kind == "id":
        return mask_id_number(text)
    if kind == "card":
        return mask_card(text)
    if _LANDLINE.fullmatch(text.strip()):
        return mask_landline(text)
    return _hide_digits(text, 3, 4)


def masked_row(row: Mapping[str, Any], columns: Iterable[str],
               keep: Iterable[str] = ()) -> dict[str, Any]:
    """``row`` with each of ``columns`` masked by its name's kind (free text scrubbed);
    ``keep`` (identifiers such as household_id) and other columns are left as they are."""
    kept = set(keep)
    out = dict(row)
    for column in columns:
        if column in out and column not in kept and isinstance(out[column], str):
            out[column] = mask_value(column_kind(column), out[column])
    return out


def sees_personal_data(role: str | None) -> bool:
    """Whether a member of an evaluation in ``role`` sees personal numbers in full on the
    app's pages (module docstring): the lead (administrators count as leads)."""
    return role == "lead"


def for_role(role: str | None):
    """The text filter for a page shown to ``role``: as stored for leads, scrubbed else."""
    return str if sees_personal_data(role) else scrub


class Scrubber:
    """``scrub`` and, unless names are allowed, the roster's head names masked too (reports).

    Names are found by looking up every substring of the lengths the names have (a set lookup
    per position), so the cost depends on the text, not on the size of the roster.
    """

    def __init__(self, names: Iterable[str] = ()):
        self.names = frozenset(n for n in (str(x).strip() for x in names) if len(n) >= 2)
        self.lengths = sorted({len(n) for n in self.names}, reverse=True)

    def __call__(self, text: Any) -> str:
        out = scrub(text)
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
