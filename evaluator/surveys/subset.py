"""The XLSForm subset the platform accepts, and how one survey-row cell reads.

Kept apart from checking and loading because everything that looks at a survey row needs it: the
checks in ``validation``, the model builder in ``definition``, the workbook importer in
``xlsform`` and the fieldwork forms. It imports nothing else of the survey package.
"""

from __future__ import annotations

import re
from typing import Any

# -- the supported subset -------------------------------------------------------------------

QUESTION_TYPES = ("text", "integer", "decimal", "select_one", "select_multiple", "date",
                  "geopoint", "image")
# Filled in by the device, never asked; KoboToolbox adds start and end to every new form.
META_TYPES = ("start", "end", "today", "deviceid", "username")
OTHER_TYPES = ("note", "calculate")
GROUP_TYPES = ("begin group", "end group", "begin repeat", "end repeat")
SELECT_TYPES = ("select_one", "select_multiple")
SUPPORTED_TYPES = QUESTION_TYPES + META_TYPES + OTHER_TYPES + GROUP_TYPES
# XLSForm (and KoboToolbox's own downloads) also spell the group rows with an underscore.
TYPE_SPELLINGS = {
    "begin_group": "begin group",
    "end_group": "end group",
    "begin_repeat": "begin repeat",
    "end_repeat": "end repeat",
}
# Real XLSForm types we deliberately refuse, so the message can say "not supported" rather than
# "unknown": each needs behaviour (widgets, external files, media) the platform does not have.
UNSUPPORTED_TYPES = frozenset({
    "range", "rank", "select_one_from_file", "select_multiple_from_file", "select_one_external",
    "time", "datetime", "audio", "video", "file", "barcode", "acknowledge", "geotrace",
    "geoshape", "hidden", "xml-external", "csv-external", "background-audio", "audit",
    "phonenumber", "simserial", "subscriberid", "email", "start-geopoint", "trigger",
    "begin_kobomatrix", "end_kobomatrix", "begin kobomatrix", "score", "osm", "photo",
    "integer_range",
})

PLAIN_COLUMNS = ("type", "name", "required", "relevant", "constraint", "calculation",
                 "choice_filter", "default", "appearance")
# Columns with one value per language, written ``label::zh``.
TRANSLATABLE_COLUMNS = ("label", "hint", "constraint_message", "required_message")
EXPRESSION_COLUMNS = ("relevant", "constraint", "calculation", "choice_filter", "required",
                      "default")
UNSUPPORTED_COLUMNS = frozenset({
    "repeat_count", "jr:count", "count", "trigger", "read_only", "readonly", "parameters",
    "image", "big-image", "audio", "video", "media", "guidance_hint", "body", "bind",
    "instance", "save_to", "autoplay", "rows", "noapperrorstring", "no_app_error_string",
    "requiredmsg", "constraining_message", "relevance", "calculate", "caption",
    "select_from_list_name",
})
CHOICE_COLUMNS = ("name", "label")
REQUIRED_WORDS = {"yes": True, "true": True, "true()": True,
                  "no": False, "false": False, "false()": False}
TOP_REQUIRED = ("id", "version", "source", "title", "default_language", "survey")
TOP_OPTIONAL = ("choices",)

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
LANGUAGE_RE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")
REFERENCE_RE = re.compile(r"\$\{([^}]*)\}")


# -- reading a cell -------------------------------------------------------------------------------

def split_column(column: str) -> tuple[str, str | None]:
    """``label::zh`` -> (``label``, ``zh``); ``relevant`` -> (``relevant``, None)."""
    if "::" in column:
        base, _, language = column.partition("::")
        return base.strip(), language.strip()
    return column, None


def row_type(value: str) -> tuple[str, str | None]:
    """``select_one yes_no`` -> (``select_one``, ``yes_no``); group spellings are normalised."""
    text = " ".join(value.split())
    if text in TYPE_SPELLINGS:
        return TYPE_SPELLINGS[text], None
    if text in GROUP_TYPES:
        return text, None
    base, _, rest = text.partition(" ")
    return base, (rest or None)


def required_value(value: Any) -> bool | str:
    """``True``/``False`` for the yes/no spellings, otherwise the expression text."""
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    return REQUIRED_WORDS.get(text.lower(), text)


def looks_like_expression(text: str) -> bool:
    """A ``default`` is an expression when it refers to a field or calls a function."""
    return "${" in text or bool(re.search(r"[A-Za-z_][A-Za-z0-9_-]*\s*\(", text))
