"""What an answer of the XLSForm question types beyond text, numbers, dates and selects must look
like (答案格式): time, datetime, range, rank, phone, email, acknowledge, barcode, audio, video,
file, geotrace and geoshape. The tablet (static/js/widgets.js) checks the same shapes offline;
the server checks them again on every record. Pure code: no Flask, no database.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date

Text = dict[str, str]

TIME_RE = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,3})?)?"
                     r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?")
DATETIME_RE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})T(.+)")
PHONE_RE = re.compile(r"\+?[0-9][0-9 ()-]*[0-9]")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
NUMBER_RE = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
MAX_BARCODE = 500
FILE_TYPES = ("image", "audio", "video", "file")
RANGE_DEFAULTS = {"start": 1.0, "end": 10.0, "step": 1.0}  # XLSForm's defaults


def _both(zh: str, en: str) -> Text:
    return {"zh": zh, "en": en}


def range_parameters(parameters: str) -> dict[str, float]:
    """``start=0 end=100 step=5`` as numbers, XLSForm's defaults for what is missing."""
    found = dict(RANGE_DEFAULTS)
    for part in parameters.split():
        key, _, value = part.partition("=")
        if key in found and NUMBER_RE.fullmatch(value.strip()):
            found[key] = float(value)
    return found


def range_text(parameters: str) -> dict[str, str]:
    """The range's start, end and step as the page writes them (``1``, not ``1.0``)."""
    return {key: _plain(value) for key, value in range_parameters(parameters).items()}


def answer_message(kind: str, value: str, *, choices: Sequence[str] = (),
                   parameters: str = "") -> Text | None:
    """Why ``value`` is not an answer of type ``kind`` (bilingual), or None."""
    if kind == "time" and not TIME_RE.fullmatch(value):
        return _both(f"“{value}”不是时间（时:分）", f"'{value}' is not a time HH:MM")
    if kind == "datetime":
        found = DATETIME_RE.fullmatch(value)
        if not found or not _real_date(found.group(1)) or not TIME_RE.fullmatch(found.group(2)):
            return _both(f"“{value}”不是日期时间（年-月-日T时:分）",
                         f"'{value}' is not a date and time YYYY-MM-DDTHH:MM")
    if kind == "range":
        return _range_message(value, range_parameters(parameters))
    if kind == "rank":
        chosen = value.split()
        if sorted(chosen) != sorted(choices) or len(set(chosen)) != len(chosen):
            return _both("排序应包含每个选项各一次", "a ranking lists every choice exactly once")
    if kind == "phonenumber":
        digits = sum(c.isdigit() for c in value)
        if not PHONE_RE.fullmatch(value) or not 5 <= digits <= 20:
            return _both(f"“{value}”不是电话号码", f"'{value}' is not a phone number")
    if kind == "email" and not EMAIL_RE.fullmatch(value):
        return _both(f"“{value}”不是电子邮箱地址", f"'{value}' is not an email address")
    if kind == "acknowledge" and value != "OK":
        return _both("确认题只能勾选确认", "an acknowledgement is 'OK' or unanswered")
    if kind == "barcode" and len(value) > MAX_BARCODE:
        return _both("条码太长", f"a barcode has at most {MAX_BARCODE} characters")
    if kind in FILE_TYPES and (len(value) > 200 or "/" in value or "\\" in value):
        return _both("附件文件名无效", "not a valid attachment file name")
    if kind in ("geotrace", "geoshape"):
        return _trace_message(kind, value)
    return None


def _real_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _range_message(value: str, bounds: dict[str, float]) -> Text | None:
    start, end, step = bounds["start"], bounds["end"], bounds["step"]
    low, high = min(start, end), max(start, end)
    if not NUMBER_RE.fullmatch(value):
        return _both(f"“{value}”不是数字", f"'{value}' is not a number")
    number = float(value)
    if not low <= number <= high:
        return _both(f"应在 {_plain(low)} 至 {_plain(high)} 之间",
                     f"must be between {_plain(low)} and {_plain(high)}")
    steps = (number - start) / step if step else 0.0
    if step and abs(steps - round(steps)) > 1e-9:
        return _both(f"应为 {_plain(start)} 起每 {_plain(step)} 一档",
                     f"must be {_plain(start)} plus a multiple of {_plain(step)}")
    return None


def _plain(number: float) -> str:
    return str(int(number)) if math.isfinite(number) and number.is_integer() else str(number)


def _trace_message(kind: str, value: str) -> Text | None:
    points = [p.split() for p in value.split(";") if p.strip()]
    good = all(2 <= len(p) <= 4 and all(NUMBER_RE.fullmatch(x) for x in p)
               and -90 <= float(p[0]) <= 90 and -180 <= float(p[1]) <= 180 for p in points)
    least = 2 if kind == "geotrace" else 3
    if not good or len(points) < least:
        return _both(f"应为至少 {least} 个点“纬度 经度”，用分号分隔",
                     f"at least {least} points 'latitude longitude' separated by ';'")
    return None
