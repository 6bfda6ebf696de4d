"""The importer's problems and warnings in the author's language (问题与警告).

The importer (``evaluator.surveys.xlsform``) and the survey rules (``validation``) speak English,
as ``evaluator xlsform import`` prints them; their text stays as it is. Here each problem is
split into its place (sheet, row, column or choice list: the author finds it in the workbook
by these) and its message; a message of a known shape is given in the page's language with its
names, values and pyxform's own reason kept as written. A message of a shape not listed here is
shown as the importer wrote it (English), never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l

_PLACE = re.compile(r"sheet (?P<sheet>[\w-]+)(?:, row (?P<row>\d+))?(?:, list (?P<list>[^,]+))?"
                    r"(?:, column (?P<column>.+))?")

#: What happens on the tablet instead (the importer's endings, as written in
#: surveys/subset.py and surveys/validation.py).
_ENDINGS = {
    "the tablet does not use it": _l("the tablet does not use it"),
    "no answer is filled in beforehand": _l("no answer is filled in beforehand"),
    "the answer can be edited": _l("the answer can be edited"),
    "the evaluator adds the entries": _l("the evaluator adds the entries"),
    "the calculation is recomputed on every change, not only when the trigger changes":
        _l("the calculation is recomputed on every change, not only when the trigger changes"),
    "the media file is not shown beside the label": _l("the media file is not shown beside the "
                                                       "label"),
    "the media file is not played beside the label": _l("the media file is not played beside "
                                                        "the label"),
    "the guidance hint is not shown (the hint is)": _l("the guidance hint is not shown (the "
                                                       "hint is)"),
    "the question is always asked": _l("the question is always asked"),
    "the answer is not checked": _l("the answer is not checked"),
    "the value is left empty": _l("the value is left empty"),
    "every choice is shown": _l("every choice is shown"),
    "the question is optional": _l("the question is optional"),
    "asked as a select from the external_choices sheet, filtered on the tablet":
        _l("asked as a select from the external_choices sheet, filtered on the tablet"),
    "asked once, not once per choice; kept as a loop for export":
        _l("asked once, not once per choice; kept as a loop for export"),
    "asked as text: points 'lat lon' separated by ';' (no map drawing)":
        _l("asked as text: points 'lat lon' separated by ';' (no map drawing)"),
    "not recorded (a browser cannot read the SIM card); kept for export":
        _l("not recorded (a browser cannot read the SIM card); kept for export"),
}

#: (the English shape, its words in the page's language). Named groups are kept as written,
#: except ``ending``, looked up in ``_ENDINGS``.
_SHAPES: tuple[tuple[re.Pattern[str], Any], ...] = tuple((re.compile(p), w) for p, w in (
    (r"pyxform refuses the form: (?P<reason>.*)", _l("pyxform refuses the form: %(reason)s")),
    (r"cannot read the workbook: (?P<reason>.*)", _l("cannot read the workbook: %(reason)s")),
    (r"an XLSForm is an \.xlsx, \.xlsm or \.xls workbook",
     _l("an XLSForm is an .xlsx, .xlsm or .xls workbook")),
    (r"larger than (?P<n>\d+) bytes", _l("larger than %(n)s bytes")),
    (r"the workbook unpacks to (?P<n>\d+) bytes in (?P<parts>\d+) parts; at most (?P<max>\d+) "
     r"bytes in (?P<most>\d+) parts", _l("the workbook unpacks to %(n)s bytes in %(parts)s "
                                          "parts; at most %(max)s bytes in %(most)s parts")),
    (r"column '(?P<column>[^']*)' is kept for export; the tablet does not use it",
     _l("column '%(column)s' is kept for export; the tablet does not use it")),
    (r"column '(?P<column>[^']*)' is kept for export; on the tablet (?P<ending>.*)",
     _l("column '%(column)s' is kept for export; on the tablet %(ending)s")),
    (r"appearance '(?P<what>.*)' is kept for export; the tablet shows the question's usual "
     r"widget", _l("appearance '%(what)s' is kept for export; the tablet shows the question's "
                   "usual widget")),
    (r"a note without a label shows nothing", _l("a note without a label shows nothing")),
    (r"the choice has no label: the tablet shows its name",
     _l("the choice has no label: the tablet shows its name")),
    (r"the choice has no name", _l("the choice has no name")),
    (r"form id '(?P<id>.*)' is stored as '(?P<name>.*)' \(a name of letters, digits and _\)",
     _l("form id '%(id)s' is stored as '%(name)s' (a name of letters, digits and _)")),
    (r"duplicate choice name '(?P<name>.*)' \(also choice (?P<n>\d+) of '(?P<list>.*)'\); "
     r"allowed by allow_choice_duplicates, an answer cannot tell them apart",
     _l("duplicate choice name '%(name)s' (also choice %(n)s of '%(list)s'); allowed by "
        "allow_choice_duplicates, an answer cannot tell them apart")),
    (r"type '(?P<type>[^']*)': (?P<ending>.*)", _l("type '%(type)s': %(ending)s")),
    (r"type '(?P<type>[^']*)' without a label: the device's \S+ is not recorded \(a browser "
     r"cannot read it\); give the row a label to ask it",
     _l("type '%(type)s' without a label: the device's value is not recorded (a browser cannot "
        "read it); give the row a label to ask it")),
    (r"cannot run (?P<expr>.*) here \((?P<why>.*)\): (?P<ending>[^:]*)",
     _l("cannot run %(expr)s here (%(why)s): %(ending)s")),
    (r"'(?P<name>.*)' is also the name of an earlier row: stored as '(?P<new>.*)' \(field "
     r"names are unique here\)", _l("'%(name)s' is also the name of an earlier row: stored as "
                                    "'%(new)s' (field names are unique here)")),
    (r"file '(?P<file>.*)' is not attached: the question is asked as text \(import the form "
     r"with the file beside it\)", _l("file '%(file)s' is not attached: the question is asked "
                                      "as text (upload the file with the form)")),
    (r"attached file (?P<file>.*?): (?P<why>.*); not attached",
     _l("attached file %(file)s: %(why)s; not attached")),
    (r"the form does not read this file: not kept", _l("the form does not read this file: not "
                                                       "kept")),
    (r"'begin (?P<kind>\w+)' is never closed by 'end (?P=kind)'",
     _l("'begin %(kind)s' is never closed by 'end %(kind)s'")),
    (r"unknown type '(?P<type>[^']*)'; XLSForm types: .*",
     _l("unknown type '%(type)s' (not an XLSForm type)")),
    (r"choice list '(?P<list>.*)' does not exist in choices",
     _l("choice list '%(list)s' does not exist in choices")),
    (r"'(?P<word>.*)' is not a column of the choice list: it reads as empty \(write a field as "
     r"(?P<ref>\$\{.*\})\)", _l("'%(word)s' is not a column of the choice list: it reads as "
                                "empty (write a field as %(ref)s)")),
    (r"'(?P<name>.*)' is no choice list or attached file of this form: the lookup selects "
     r"nothing", _l("'%(name)s' is no choice list or attached file of this form: the lookup "
                    "selects nothing")),
    (r"the row has no type", _l("the row has no type")),
))


#: Where the form's default language came from (surveys/language.py), and how it was read.
_HOW = {
    "settings": _l("the settings sheet"),
    "--language": _l("chosen on upload"),
    "read from the label text": _l("read from the label text"),
    "the only language": _l("the only language"),
    "first language column": _l("the first language column"),
}
_NOTES: tuple[tuple[re.Pattern[str], Any], ...] = tuple((re.compile(p), w) for p, w in (
    (r"default language (?P<code>\S+) \((?P<how>[^)]*)\)(?:; languages (?P<mapped>.*))?",
     None),
    (r"no version in settings: (?P<version>.*)",
     _l("no version in the settings sheet: %(version)s is used")),
    (r"the workbook is an (?P<actual>\S+) file named (?P<suffix>\S+): read as \S+",
     _l("the workbook is an %(actual)s file named %(suffix)s: read as %(actual)s")),
))


def note_in(note: str, lang: str) -> str:
    """How the form was read (the import's notes), in ``lang``; as written when unknown."""
    if lang == "en":
        return note
    for shape, words in _NOTES:
        found = shape.fullmatch(note)
        if not found:
            continue
        values = found.groupdict()
        if words is not None:
            return str(words) % values
        how = _HOW.get(values["how"])
        if how is None:
            return note
        text = str(_l("default language %(code)s (%(how)s)")) % {"code": values["code"],
                                                                 "how": how}
        if values["mapped"]:
            text += str(_l("; languages %(mapped)s")) % {"mapped": values["mapped"]}
        return text
    return note


def place(where: str) -> dict[str, str]:
    """``sheet survey, row 7, column label::zh`` -> sheet, row, column (and choice list);
    any other place (a YAML path) is kept whole as ``other``."""
    found = _PLACE.fullmatch(where or "")
    if not found:
        return {"sheet": "", "row": "", "list": "", "column": "", "other": where or ""}
    return {k: found.group(k) or "" for k in ("sheet", "row", "list", "column")} | {"other": ""}


def message_in(message: str, lang: str) -> str:
    """The message in ``lang``: English as written; another language for a known shape."""
    if lang == "en":
        return message
    for shape, words in _SHAPES:
        found = shape.fullmatch(message)
        if found:
            values = dict(found.groupdict())
            if "ending" in values:
                ending = _ENDINGS.get(values["ending"])
                if ending is None:
                    continue
                values["ending"] = str(ending)
            return str(words) % values
    return message


def problem_rows(problems: Sequence[Mapping[str, str]], lang: str) -> list[dict[str, str]]:
    """Plain rows for the problems table: file, sheet, row, column/list, message (``said``:
    a coded problem already said in ``lang``, evaluator.web.problems)."""
    rows = []
    for p in problems:
        where = place(p.get("where", ""))
        rows.append({"file": p.get("file", ""), **where,
                     "message": p.get("said") or message_in(p.get("message", ""), lang),
                     "english": p.get("message", "")})
    return sorted(rows, key=_reading_order)


def _reading_order(row: Mapping[str, str]) -> tuple[Any, ...]:
    sheets = {"settings": 0, "survey": 1, "choices": 2, "external_choices": 3}
    return (row["file"], sheets.get(row["sheet"], 4), int(row["row"] or 0), row["column"])
