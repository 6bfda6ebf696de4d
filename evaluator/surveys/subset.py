"""The XLSForm subset the platform accepts, and how one survey-row cell reads.

Kept apart from checking and loading because everything that looks at a survey row needs it: the
checks in ``validation``, the model builder in ``definition``, the workbook importer in
``xlsform`` and the fieldwork forms. It imports nothing else of the survey package.
"""

from __future__ import annotations

import re
from typing import Any

# -- question types ----------------------------------------------------------------------------
# Every type pyxform accepts is known here, written the XLSForm way. What the tablet does with
# each: asks it with its own widget (QUESTION_TYPES), fills it in itself (META_TYPES), shows it
# (note), computes it (calculate, hidden), or, for the few it cannot run offline
# (DEGRADED_TYPES), imports it with a warning saying what it does instead.

QUESTION_TYPES = ("text", "integer", "decimal", "select_one", "select_multiple", "date",
                  "geopoint", "image", "time", "datetime", "range", "rank", "barcode", "audio",
                  "video", "file", "acknowledge", "select_one_from_file",
                  "select_multiple_from_file", "select_one_external", "geotrace", "geoshape")
# Filled in by the device, never asked; KoboToolbox adds start and end to every new form.
# phonenumber and email are device properties in XLSForm; a row of these types that has a label
# is asked instead (KoboToolbox users write them as questions), see ``asked_type``.
META_TYPES = ("start", "end", "today", "deviceid", "username", "phonenumber", "email",
              "simserial", "subscriberid", "audit", "start-geopoint", "background-audio",
              "background-geopoint")
# Declarations of attached files for instance() lookups: no data, no widget.
FILE_TYPES = ("xml-external", "csv-external")
OTHER_TYPES = ("note", "calculate", "hidden", "osm")
GROUP_TYPES = ("begin group", "end group", "begin repeat", "end repeat", "begin loop",
               "end loop")
SELECT_TYPES = ("select_one", "select_multiple", "select_one_from_file",
                "select_multiple_from_file", "rank", "select_one_external")
# Types whose second word is a choice list (or, for *_from_file, an attached file).
LIST_TYPES = SELECT_TYPES
SUPPORTED_TYPES = (QUESTION_TYPES + META_TYPES + FILE_TYPES + OTHER_TYPES + GROUP_TYPES)
# What the tablet does instead, for types it cannot run as ODK Collect does.
DEGRADED_TYPES = {
    "geotrace": "asked as text: points 'lat lon' separated by ';' (no map drawing)",
    "geoshape": "asked as text: points 'lat lon' separated by ';' (no map drawing)",
    "osm": "not asked (no OpenStreetMap widget); kept for export",
    "audit": "not recorded (no audit log); kept for export",
    "background-audio": "not recorded (no background recording); kept for export",
    "background-geopoint": "not recorded (no background location); kept for export",
    "start-geopoint": "recorded when the form opens if the tablet's browser may use its "
                      "location; left empty when it may not",
    "simserial": "not recorded (a browser cannot read the SIM card); kept for export",
    "subscriberid": "not recorded (a browser cannot read the SIM card); kept for export",
    "begin loop": "asked once, not once per choice; kept as a loop for export",
    "select_one_external": "asked as a select from the external_choices sheet, filtered on "
                           "the tablet",
}
# phonenumber and email rows with a label are asked (see ``definition.Field.is_meta``); without
# one they are the device's, which a browser cannot read.
UNASKED_DEVICE_TYPES = ("phonenumber", "email")
ASKED_TYPES = (*QUESTION_TYPES, "phonenumber", "email")
# Selects whose choices come from a file or the external_choices sheet answer like plain ones.
_VALUE_TYPES = {"select_one_from_file": "select_one", "select_one_external": "select_one",
                "select_multiple_from_file": "select_multiple"}


def value_type(kind: str) -> str:
    """The type an answer has on the tablet and in records: a select from a file is a select."""
    return _VALUE_TYPES.get(kind, kind)


# Spellings pyxform reads, as the XLSForm spec writes them (its question_type_dictionary).
TYPE_ALIASES = {
    "begin_group": "begin group", "end_group": "end group",
    "begin_repeat": "begin repeat", "end_repeat": "end repeat",
    "begin_loop": "begin loop", "end_loop": "end loop",
    "begin lgroup": "begin repeat", "end lgroup": "end repeat",
    "begin looped group": "begin repeat", "end looped group": "end repeat",
    "string": "text", "q string": "text", "add text prompt": "text",
    "int": "integer", "q int": "integer", "add integer prompt": "integer",
    "q decimal": "decimal", "add decimal prompt": "decimal",
    "photo": "image", "q picture": "image", "q image": "image", "add image prompt": "image",
    "add photo prompt": "image",
    "dateTime": "datetime", "date time": "datetime", "q date time": "datetime",
    "q dateTime": "datetime", "add date time prompt": "datetime",
    "add dateTime prompt": "datetime",
    "q date": "date", "add date prompt": "date",
    "gps": "geopoint", "location": "geopoint", "q location": "geopoint",
    "q geopoint": "geopoint", "add location prompt": "geopoint",
    "q geoshape": "geoshape", "q geotrace": "geotrace",
    "q audio": "audio", "add audio prompt": "audio",
    "q video": "video", "add video prompt": "video", "add file prompt": "file",
    "q barcode": "barcode", "add barcode prompt": "barcode",
    "q note": "note", "add note prompt": "note",
    "q calculate": "calculate", "add calculate prompt": "calculate",
    "q acknowledge": "acknowledge", "add acknowledge prompt": "acknowledge",
    "trigger": "acknowledge",
    "get start time": "start", "start time": "start", "get end time": "end", "end time": "end",
    "get today": "today", "imei": "deviceid", "device id": "deviceid",
    "get device id": "deviceid", "uri:deviceid": "deviceid",
    "sim id": "simserial", "get sim id": "simserial", "uri:simserial": "simserial",
    "subscriber id": "subscriberid", "get subscriber id": "subscriberid",
    "uri:subscriberid": "subscriberid",
    "phone number": "phonenumber", "get phone number": "phonenumber",
    "uri:phonenumber": "phonenumber", "uri:username": "username", "uri:email": "email",
}
SELECT_ALIASES = {
    "select_one": "select_one", "select one": "select_one", "select1": "select_one",
    "select one from": "select_one", "select one using": "select_one", "q select1": "select_one",
    "add select one prompt using": "select_one",
    "select_multiple": "select_multiple", "select multiple": "select_multiple",
    "select all that apply": "select_multiple", "select all that apply from": "select_multiple",
    "select multiple from": "select_multiple", "select multiple using": "select_multiple",
    "q select": "select_multiple", "add select multiple prompt using": "select_multiple",
    "select_one_from_file": "select_one_from_file",
    "select one from file": "select_one_from_file",
    "select_multiple_from_file": "select_multiple_from_file",
    "select multiple from file": "select_multiple_from_file",
    "select_one_external": "select_one_external", "select one external": "select_one_external",
    "rank": "rank",
}
OR_OTHER = "or_other"

# -- columns -------------------------------------------------------------------------------------
# Columns the platform acts on. Any other column pyxform reads (``bind::…``, ``body::…``,
# ``instance::…``, ``sms_field``, a column of notes) is kept for the round trip, with a warning
# that the tablet does not use it.
PLAIN_COLUMNS = ("type", "name", "required", "relevant", "constraint", "calculation",
                 "choice_filter", "default", "appearance", "read_only", "repeat_count",
                 "parameters", "trigger")
# Columns with one value per language, written ``label::zh``.
TRANSLATABLE_COLUMNS = ("label", "hint", "guidance_hint", "constraint_message",
                        "required_message", "image", "big-image", "audio", "video")
MEDIA_COLUMNS = ("image", "big-image", "audio", "video")
# Columns kept, checked and exported but not run by the tablet: what it does instead (one
# warning per column). Of the appearances, only RUN_APPEARANCES are run.
NOT_RUN_COLUMNS = {
    "image": "the media file is not shown beside the label",
    "big-image": "the media file is not shown beside the label",
    "audio": "the media file is not played beside the label",
    "video": "the media file is not played beside the label",
    "guidance_hint": "the guidance hint is not shown (the hint is)",
}
# The questionnaire is one page, its choices in a wrapping row: field-list groups and
# horizontal choices are as written; the others are the tablet's (static/js/appearance.js).
RUN_APPEARANCES = ("multiline", "field-list", "horizontal", "horizontal-compact", "minimal",
                   "likert", "quick", "numbers", "columns", "columns-pack", "columns-2",
                   "columns-3", "columns-4", "columns-5")
EXPRESSION_COLUMNS = ("relevant", "constraint", "calculation", "choice_filter", "required",
                      "default", "read_only", "repeat_count")
CHOICE_COLUMNS = ("name", "label", *MEDIA_COLUMNS)
REQUIRED_WORDS = {"yes": True, "true": True, "true()": True,
                  "no": False, "false": False, "false()": False}
TOP_REQUIRED = ("id", "version", "source", "title", "default_language", "survey")
# settings: other settings-sheet columns, kept for export; files: attached CSV/XML files
# (select_*_from_file, instance(), pulldata()); external_choices: that sheet's lists.
TOP_OPTIONAL = ("choices", "settings", "files", "external_choices")

# An XML name as XLSForm requires (letters of any script): a letter or _, then letters, digits,
# _ - or . (the same rule as expr_parse.valid_field_name).
NAME_RE = re.compile(r"[^\W\d][\w.-]*")
# A choice list (or attached file) name: any text without spaces (``list:1`` and ``a.csv`` too).
LIST_NAME_RE = re.compile(r"\S+")
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
    """``select_one yes_no`` -> (``select_one``, ``yes_no``); every spelling pyxform reads is
    normalised (``select one from yes_no``, ``begin_group``, ``string``), and a trailing
    ``or_other`` is dropped from the list name (see ``has_or_other``)."""
    text = " ".join(value.split())
    if text in GROUP_TYPES:
        return text, None
    if text in TYPE_ALIASES:
        return TYPE_ALIASES[text], None
    loop = _LOOP_RE.fullmatch(text)
    if loop:
        return "begin loop", loop.group(1)
    for alias in _SELECT_PREFIXES:
        if text.startswith(alias + " "):
            rest = _OR_OTHER_RE.sub("", text[len(alias) + 1:])
            return SELECT_ALIASES[alias], rest or None
    base, _, rest = text.partition(" ")
    return TYPE_ALIASES.get(base, base), (rest or None)


def has_or_other(value: str) -> bool:
    """``select_one colours or_other``: XLSForm adds an 'other' choice to the list."""
    return bool(_OR_OTHER_RE.search(" ".join(value.split())))


def canonical_type(value: str) -> str:
    """The type cell as the XLSForm spec writes it (``select one from x`` -> ``select_one x``)."""
    kind, list_name = row_type(value)
    if list_name is None:
        return kind
    if kind == "begin loop":
        return f"begin loop over {list_name}"
    return f"{kind} {list_name}" + (f" {OR_OTHER}" if has_or_other(value) else "")


_LOOP_RE = re.compile(r"begin[ _]loop(?: over)? (\S+)")
_OR_OTHER_RE = re.compile(r" (?:or_other|or specify other)$")
_SELECT_PREFIXES = sorted(SELECT_ALIASES, key=len, reverse=True)


def required_value(value: Any) -> bool | str:
    """``True``/``False`` for the yes/no spellings, otherwise the expression text."""
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    return REQUIRED_WORDS.get(text.lower(), text)


def looks_like_expression(text: str) -> bool:
    """A ``default`` is an expression when it refers to a field or calls a function."""
    return "${" in text or bool(re.search(r"[A-Za-z_][A-Za-z0-9_-]*\s*\(", text))
