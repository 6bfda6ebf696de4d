"""Uploaded tables: the roster (建档立卡台账) and the system export (帮扶工作管理系统数据).

Both arrive from township offices as XLSX or CSV, UTF-8 or GBK. An upload is all or nothing:
every problem is reported with its spreadsheet row and column, and nothing is stored until the
file is clean, so a lead never has to wonder which half of a file went in.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask_babel import gettext

from evaluator.definitions.problems import DefinitionError, Problem, relocated
from evaluator.fieldwork.logic import FormModel
from evaluator.privacy import column_kind, mask_id_number
from evaluator.tables import Limits, Table, read_table
from evaluator.web.i18n import request_lang

CATEGORIES = ("深度困难", "相对困难", "意外致困")
STATUSES = ("在档", "已脱困", "注销")
EXITED = "已脱困"
#: Every roster column rubrics may read (evaluator.rubrics ROSTER_COLUMNS) except the personal
#: ones (head_name, id_number), which are optional.
REQUIRED_ROSTER = ("household_id", "township", "stratum", "category", "status", "local_standard",
                   "household_size", "registered_date", "exit_date")
MAX_UPLOAD_ROWS = 200_000
MAX_UPLOAD_COLUMNS = 300
MAX_UPLOAD_BYTES = 30 * 1024 * 1024
#: Checked before and while the file is parsed (evaluator.tables.Limits).
UPLOAD_LIMITS = Limits(rows=MAX_UPLOAD_ROWS, columns=MAX_UPLOAD_COLUMNS)
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_SAFE_NAME = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


@dataclass(frozen=True)
class Upload:
    """A clean uploaded table: its rows with spreadsheet row numbers, and what identifies it."""

    filename: str
    encoding: str
    sha256: str
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]


def row_place(n: int) -> str:
    return gettext("row %(row)s", row=n)


def cell_place(n: int, column: str) -> str:
    return gettext("row %(row)s, column %(column)s", row=n, column=column)


def duplicate_id(household: str, row: int) -> str:
    return gettext("duplicate household id %(household)r (also row %(row)s)",
                   household=household, row=row)


def not_one_of(value: str, allowed: tuple[str, ...]) -> str:
    return gettext("%(value)r is not one of %(allowed)s", value=value, allowed="、".join(allowed))


def not_a_date(value: str) -> str:
    return gettext("%(value)r is not a date YYYY-MM-DD", value=value)


def read_upload(filename: str, data: bytes) -> Table:
    """Read uploaded bytes as a table; problems name the file as the user called it."""
    name = _SAFE_NAME.sub("_", Path(filename or "upload.csv").name)[-120:] or "upload.csv"
    if not name.lower().endswith((".csv", ".xlsx", ".txt")):
        raise DefinitionError([Problem(name, "", gettext("upload a .csv or .xlsx file"))])
    if not data:
        raise DefinitionError([Problem(name, "", gettext("the file is empty"))])
    if len(data) > MAX_UPLOAD_BYTES:
        raise DefinitionError([Problem(name, "", gettext(
            "%(size)s MB; at most %(limit)s MB per upload", size=f"{len(data) / 1048576:.1f}",
            limit=MAX_UPLOAD_BYTES // 1048576))])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            table = read_table(path, limits=UPLOAD_LIMITS)
        except DefinitionError as error:
            raise DefinitionError([relocated(p, name) for p in error.problems]) from None
    return Table(name, table.header, [{k: v.strip() for k, v in r.items()} for r in table.rows],
                 table.encoding, table.numbers)


def check_roster(filename: str, data: bytes, stratum_column: str) -> Upload:
    """The roster as rows, or ``DefinitionError`` listing every problem (row, column, why)."""
    table = read_upload(filename, data)
    name = table.path
    columns = set(table.header)
    problems = [Problem(name, row_place(1), gettext("missing column %(column)r; the columns are: "
                                                     "%(columns)s", column=c,
                                                     columns=", ".join(table.header)))
                for c in REQUIRED_ROSTER if c not in columns]
    if stratum_column not in columns and stratum_column not in REQUIRED_ROSTER:
        problems.append(Problem(name, row_place(1), gettext(
            "missing column %(column)r chosen as the stratum column", column=stratum_column)))
    if problems:
        raise DefinitionError(problems)
    if not table.rows:
        raise DefinitionError([Problem(name, "", gettext("the roster has no households (only a "
                                                          "header)"))])
    first: dict[str, int] = {}
    rows: list[tuple[int, dict[str, str]]] = []
    # National ID numbers are never stored whole (evaluator.privacy): id_number and any column
    # named for them keep their first 6 and last 4 characters.
    id_columns = [c for c in table.header if c == "id_number" or column_kind(c) == "id"]
    for index, row in enumerate(table.rows):
        n = table.row_number(index)
        problems += _roster_row_problems(name, n, row, stratum_column, first)
        if id_columns:
            row = {**row, **{c: mask_id_number(row[c]) for c in id_columns}}
        rows.append((n, row if isinstance(row, dict) else dict(row)))
    if problems:
        raise DefinitionError(problems)
    return Upload(name, table.encoding, hashlib.sha256(data).hexdigest(), list(table.header), rows)


def _roster_row_problems(name: str, n: int, row: Mapping[str, str], stratum_column: str,
                         first: dict[str, int]) -> list[Problem]:
    def at(column: str) -> str:
        return cell_place(n, column)

    problems = []
    hid = row["household_id"]
    if not hid:
        problems.append(Problem(name, at("household_id"), gettext("empty household id")))
    elif hid in first:
        problems.append(Problem(name, at("household_id"), duplicate_id(hid, first[hid])))
    else:
        first[hid] = n
    if len(hid) > 80:
        problems.append(Problem(name, at("household_id"), gettext("longer than 80 characters")))
    for column in dict.fromkeys(("township", stratum_column)):
        if not row.get(column):
            problems.append(Problem(name, at(column), gettext("empty")))
    if row["category"] not in CATEGORIES:
        problems.append(Problem(name, at("category"), not_one_of(row["category"], CATEGORIES)))
    status = row["status"]
    if status not in STATUSES:
        problems.append(Problem(name, at("status"), not_one_of(status, STATUSES)))
    if not _DECIMAL.fullmatch(row["local_standard"]) or float(row["local_standard"]) <= 0:
        problems.append(Problem(name, at("local_standard"), gettext(
            "%(value)r is not a positive amount (yuan per person per year)",
            value=row["local_standard"])))
    size = row["household_size"]
    if not size.isdigit() or int(size) < 1:
        problems.append(Problem(name, at("household_size"),
                                gettext("%(value)r is not a whole number >= 1", value=size)))
    registered = _day(row["registered_date"])
    if registered is None:
        problems.append(Problem(name, at("registered_date"), not_a_date(row["registered_date"])))
    exit_text = row["exit_date"]
    exited = _day(exit_text)
    if exit_text and exited is None:
        problems.append(Problem(name, at("exit_date"), not_a_date(exit_text)))
    elif status == EXITED and not exit_text:
        problems.append(Problem(name, at("exit_date"),
                                gettext("required: the status is %(status)s", status=EXITED)))
    elif exit_text and status in STATUSES and status != EXITED:
        problems.append(Problem(name, at("exit_date"), gettext(
            "an exit date but the status is %(status)s, not %(exited)s", status=status,
            exited=EXITED)))
    if registered and exited and exited < registered:
        problems.append(Problem(name, at("exit_date"), gettext(
            "%(exited)s is before registered_date %(registered)s", exited=exited,
            registered=registered)))
    return problems


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def check_system_rows(filename: str, data: bytes, model: FormModel,
                      roster: Mapping[str, Mapping[str, str]]) -> Upload:
    """System export rows checked against the system survey (types, required, relevant,
    constraint) over the household's roster row; every household must be in the roster."""
    table = read_upload(filename, data)
    name = table.path
    problems: list[Problem] = []
    known = set(model.top)
    for column in table.header:
        if column not in known:
            problems.append(Problem(name, cell_place(1, column), gettext(
                "unknown column; the system survey %(survey)s %(version)s has: %(columns)s",
                survey=model.survey.id, version=model.survey.version,
                columns=", ".join(model.top))))
    if "household_id" not in table.header:
        problems.append(Problem(name, row_place(1), gettext("missing column %(column)r; the "
                                                             "columns are: %(columns)s",
                                                             column="household_id",
                                                             columns=", ".join(table.header))))
    if problems:
        raise DefinitionError(problems)
    first: dict[str, int] = {}
    rows = []
    for index, row in enumerate(table.rows):
        n = table.row_number(index)
        hid = row["household_id"]
        if hid in first:
            problems.append(Problem(name, cell_place(n, "household_id"),
                                    duplicate_id(hid, first[hid])))
        first.setdefault(hid, n)
        if hid and hid not in roster:
            problems.append(Problem(name, cell_place(n, "household_id"), gettext(
                "household %(household)r is not in this evaluation's roster", household=hid)))
        checked = model.check(row, roster.get(hid, {}))
        for p in checked.problems:
            problems.append(Problem(name, cell_place(n, p.field),
                                    p.message["en" if request_lang() == "en" else "zh"]))
        rows.append((n, {k: checked.answers.get(k, "") for k in table.header}))
    if problems:
        raise DefinitionError(problems)
    return Upload(name, table.encoding, hashlib.sha256(data).hexdigest(), list(table.header), rows)
