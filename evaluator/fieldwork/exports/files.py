"""Exports: submissions with ODK Central's columns (CSV, XLSX), and the whole evaluation as a
bundle (评估数据包) that ``evaluator score`` scores to the numbers the scores page shows.

The bundle holds the records that count toward scores under the evaluation's policy (only
approved ones by default; every record not rejected otherwise), the current version of each
(edits replace what they deprecate), the roster without personal columns, the drawn sample
with its plan, system rows, findings and judgements. The scores page scores exactly these files.

Files leave the app, so personal numbers in them are masked for everyone (evaluator.privacy):
free-text answers, findings, reasons and the roster's own extra columns (a ``phone`` column,
an address) are scanned for ID, mobile, landline and card numbers; a column named for such
numbers is masked whole. Identifiers (household_id, *_id) and the rubric's roster columns
are data the scores are computed from and stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from evaluator.auth.models import User
from evaluator.bundle.model import (
    EVALUATION_FILE,
    FINDING_COLUMNS,
    FINDINGS_FILE,
    JUDGEMENT_COLUMNS,
    JUDGEMENTS_FILE,
    README_FILE,
    ROSTER_FILE,
    ROSTER_PERSONAL,
    SAMPLE_COLUMNS,
    SAMPLE_FILE,
    SAMPLE_OPTIONAL,
)
from evaluator.bundle.writer import (
    cells_csv_bytes,
    csv_bytes,
    format_number,
    row_cells,
    rows_cells,
    yaml_bytes,
)
from evaluator.fieldwork.models import (
    Attachment,
    Evaluation,
    Finding,
    Household,
    Judgement,
    Membership,
    SampleDraw,
    Submission,
    SystemRecord,
)
from evaluator.fieldwork.queries import rubric_version, survey_for, survey_versions
from evaluator.privacy import column_kind, mask_value, masked_row, scrub
from evaluator.rubrics.survey_references import ROSTER_COLUMNS
from evaluator.sheets import xlsx_bytes
from evaluator.surveys.definition import Survey

GEO_PARTS = ("Latitude", "Longitude", "Altitude", "Accuracy")


def field_masks(survey: Survey) -> dict[str, Callable[[str], str]]:
    """The mask of each free-text field: a text answer is scanned for personal numbers, or
    masked whole when the field's name says it holds them; identifiers (household_id,
    ..._id) and typed answers (numbers, choices, dates) are left as they are."""
    return {name: partial(mask_value, column_kind(name))
            for name, f in survey.fields.items()
            if f.type == "text" and name != "household_id" and not name.endswith("_id")}


def _positions(masks: dict[str, Callable[[str], str]], names: list[str]
               ) -> list[tuple[int, Callable[[str], str]]]:
    return [(names.index(name), mask) for name, mask in masks.items() if name in names]


def _masked(cells: list[str], maskers: list[tuple[int, Callable[[str], str]]]) -> list[str]:
    for position, mask in maskers:
        if cells[position]:
            cells[position] = mask(cells[position])
    return cells
PARADATA = ("instance_id", "submission_date", "device_id", "review_state", "submitter")


def counted_states(evaluation: Evaluation) -> tuple[str, ...]:
    if evaluation.count_policy == "approved":
        return ("approved",)
    return ("received", "hasIssues", "edited", "approved")


def current_submissions(db: Session, evaluation: Evaluation, source: str,
                        states: Iterable[str] | None = None) -> list[Submission]:
    query = select(Submission).where(Submission.evaluation_id == evaluation.id,
                                     Submission.source == source, Submission.current.is_(True))
    if states is not None:
        query = query.where(Submission.review_state.in_(list(states)))
    return list(db.scalars(query.order_by(Submission.household_id, Submission.received_at,
                                          Submission.instance_id)))


def _usernames(db: Session, ids: Iterable[int]) -> dict[int, User]:
    ids = set(ids)
    if not ids:
        return {}
    return {u.id: u for u in db.scalars(select(User).where(User.id.in_(ids)))}


def _stamp(moment) -> str:
    return moment.isoformat(timespec="seconds") + "Z" if moment else ""


# -- ODK Central style ------------------------------------------------------------------------

def _group_path(survey: Survey, name: str) -> str:
    f = survey.fields[name]
    return "-".join([*f.group_path, name])


def odk_tables(db: Session, evaluation: Evaluation, source: str
               ) -> list[tuple[str, list[str], list[dict[str, str]]]]:
    """[(table name, header, rows)]: the main table then one per repeat, as ODK Central names
    its CSV files (``household.csv``, ``household-members.csv``) and columns (group paths joined
    by '-', geopoints split, meta-instanceID, KEY, PARENT_KEY, ReviewState...)."""
    found = survey_for(db, evaluation.id, source)
    if found is None:
        return []
    version, survey = found
    submissions = current_submissions(db, evaluation, source)
    users = _usernames(db, (s.submitter_id for s in submissions))
    photos = {}
    for a in db.scalars(select(Attachment).where(Attachment.evaluation_id == evaluation.id,
                                                 Attachment.submission_id.is_not(None))):
        photos.setdefault(a.submission_id, set()).add(a.field)
    main_fields = [n for n, f in survey.fields.items() if not f.repeat]
    header = ["SubmissionDate"]
    for name in main_fields:
        column = _group_path(survey, name)
        if survey.fields[name].type == "geopoint":
            header += [f"{column}-{part}" for part in GEO_PARTS]
        else:
            header.append(column)
    header += ["meta-instanceID", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
               "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion"]
    rows = []
    repeat_rows: dict[str, list[dict[str, str]]] = {}
    edits = _edit_counts(db, evaluation, source)
    masks = field_masks(survey)
    keep = str
    for s in submissions:
        key = f"uuid:{s.instance_id}"
        row = {"SubmissionDate": _stamp(s.received_at)}
        for name in main_fields:
            column = _group_path(survey, name)
            value = s.data.get(name, "")
            if survey.fields[name].type == "geopoint":
                parts = str(value).split()
                for i, part in enumerate(GEO_PARTS):
                    row[f"{column}-{part}"] = parts[i] if i < len(parts) else ""
            else:
                row[column] = "" if isinstance(value, list) else masks.get(name, keep)(str(value))
        user = users.get(s.submitter_id)
        expected = sum(1 for n in main_fields if survey.fields[n].type == "image" and s.data.get(n))
        row.update({"meta-instanceID": key, "KEY": key, "SubmitterID": str(s.submitter_id),
                    "SubmitterName": user.username if user else "",
                    "AttachmentsPresent": str(len(photos.get(s.id, ()))),
                    "AttachmentsExpected": str(expected), "Status": "",
                    "ReviewState": s.review_state, "DeviceID": s.device_id,
                    "Edits": str(edits.get(s.instance_id, 0)), "FormVersion": version.version})
        rows.append(row)
        for repeat in _repeats(survey):
            for i, instance in enumerate(s.data.get(repeat, []) or [], start=1):
                entry = {_group_path(survey, n): masks.get(n, keep)(str(instance.get(n, "")))
                         for n in _repeat_fields(survey, repeat)}
                entry.update({"PARENT_KEY": key, "KEY": f"{key}/{repeat}[{i}]"})
                repeat_rows.setdefault(repeat, []).append(entry)
    tables = [(source, header, rows)]
    for repeat in _repeats(survey):
        r_header = [_group_path(survey, n) for n in _repeat_fields(survey, repeat)]
        tables.append((f"{source}-{repeat}", r_header + ["PARENT_KEY", "KEY"],
                       repeat_rows.get(repeat, [])))
    return tables


def _edit_counts(db: Session, evaluation: Evaluation, source: str) -> dict[str, int]:
    """How many earlier versions each current record replaced (ODK's Edits column)."""
    chain = dict(db.execute(select(Submission.instance_id, Submission.deprecated_id).where(
        Submission.evaluation_id == evaluation.id, Submission.source == source)).all())
    counts = {}
    for instance, previous in chain.items():
        n = 0
        while previous:
            n += 1
            previous = chain.get(previous)
        counts[instance] = n
    return counts


def _repeats(survey: Survey) -> list[str]:
    return [name for name, g in survey.groups.items() if g.kind == "repeat"]


def _repeat_fields(survey: Survey, repeat: str) -> list[str]:
    return [n for n, f in survey.fields.items() if f.repeat == repeat]


def odk_csv(db: Session, evaluation: Evaluation, name: str) -> bytes | None:
    """One ODK-style CSV file by its name: ``household`` or ``household-members``; formula-like
    values neutralised (``evaluator.sheets``)."""
    source = name.split("-", 1)[0]
    for table, header, rows in odk_tables(db, evaluation, source):
        if table == name:
            return csv_bytes(header, rows)
    return None


def odk_xlsx(db: Session, evaluation: Evaluation, source: str) -> bytes | None:
    """The source's tables as one workbook, a sheet per table; every cell a string,
    formula-like values neutralised (``evaluator.sheets``)."""
    tables = odk_tables(db, evaluation, source)
    if not tables:
        return None
    return xlsx_bytes((table, header, (row_cells(header, row) for row in rows))
                      for table, header, rows in tables)


# -- the bundle --------------------------------------------------------------------------------

#: A CSV file of the bundle before it is written: its header and each row's cells
#: (``evaluator.bundle.writer.row_cells``).
CellTable = tuple[list[str], list[list[str]]]


@dataclass(frozen=True)
class BundleContent:
    """An evaluation's bundle before it is written: evaluation.yaml's data, every CSV file as
    cells and README.txt. ``files()`` writes it; the scoring service reads the cells directly
    (evaluator.fieldwork.exports.scores), so both see the same content by construction."""

    evaluation: dict[str, Any]
    tables: dict[str, CellTable]
    readme: str

    @property
    def names(self) -> list[str]:
        """The bundle's file names, sorted."""
        return sorted({EVALUATION_FILE, README_FILE, *self.tables})

    def file(self, name: str, *, raw: bool = False) -> bytes:
        """One file of the bundle, written; ``raw`` keeps formula-like values verbatim."""
        if name == EVALUATION_FILE:
            return yaml_bytes(self.evaluation)
        if name == README_FILE:
            return self.readme.encode("utf-8")
        header, rows = self.tables[name]
        return cells_csv_bytes(header, rows, raw=raw)

    def files(self, *, raw: bool = False) -> dict[str, bytes]:
        """Every file of the bundle as ``{name: bytes}``."""
        return {name: self.file(name, raw=raw) for name in self.names}


def _cells(header: list[str], rows: Iterable[Mapping[str, Any]]) -> CellTable:
    """``header`` and the cells ``csv_bytes(header, rows)`` would write."""
    cells = rows_cells(header)
    return header, [cells(row) for row in rows]


def _counted_rows(db: Session, evaluation: Evaluation, source: str,
                  states: tuple[str, ...]) -> list[Any]:
    """``current_submissions`` with the states counted, as plain rows of the columns the
    bundle needs (no ORM objects: a bundle holds tens of thousands of records)."""
    return db.execute(
        select(Submission.instance_id, Submission.received_at, Submission.device_id,
               Submission.review_state, Submission.submitter_id, Submission.data)
        .where(Submission.evaluation_id == evaluation.id, Submission.source == source,
               Submission.current.is_(True), Submission.review_state.in_(list(states)))
        .order_by(Submission.household_id, Submission.received_at, Submission.instance_id)
    ).all()


def _source_tables(db: Session, evaluation: Evaluation, source: str, survey: Survey,
                   states: tuple[str, ...]) -> dict[str, CellTable]:
    """``{source}.csv`` (fields, then PARADATA) and one ``{source}-{repeat}.csv`` per repeat
    (fields, PARENT_KEY, KEY). An answer's cell is '' for None or a list (a repeat), else
    ``str(answer)``: the cells ``row_cells`` gives for the record as a dict of those cells
    updated with its paradata, built without the dict."""
    submissions = _counted_rows(db, evaluation, source, states)
    users = _usernames(db, (s.submitter_id for s in submissions))
    fields = [n for n, f in survey.fields.items() if not f.repeat]
    clashes = clashing_columns(fields, PARADATA)
    rows = []
    repeat_fields = {r: _repeat_fields(survey, r) for r in _repeats(survey)}
    repeat_clashes = {r: clashing_columns(names, ("PARENT_KEY", "KEY"))
                      for r, names in repeat_fields.items()}
    repeats: dict[str, list[list[str]]] = {r: [] for r in repeat_fields}
    masks = field_masks(survey)
    maskers = _positions(masks, fields)
    repeat_maskers = {r: _positions(masks, names) for r, names in repeat_fields.items()}
    for s in submissions:
        key = f"uuid:{s.instance_id}"
        get = s.data.get
        user = users.get(s.submitter_id)
        paradata = [key, _stamp(s.received_at), "" if s.device_id is None else str(s.device_id),
                    "" if s.review_state is None else str(s.review_state),
                    user.username if user else ""]
        rows.append(with_extra_cells(_masked(
            ["" if (v := get(n, "")) is None or isinstance(v, list) else str(v)
             for n in fields], maskers), paradata, clashes))
        for repeat, names in repeat_fields.items():
            for i, instance in enumerate(get(repeat, []) or [], start=1):
                item = instance.get
                repeats[repeat].append(with_extra_cells(_masked(
                    ["" if (v := item(n, "")) is None or isinstance(v, list) else str(v)
                     for n in names], repeat_maskers[repeat]),
                    [key, f"{key}/{repeat}[{i}]"], repeat_clashes[repeat]))
    tables = {f"{source}.csv": (fields + list(PARADATA), rows)}
    for repeat, entries in repeats.items():
        tables[f"{source}-{repeat}.csv"] = ([*repeat_fields[repeat], "PARENT_KEY", "KEY"], entries)
    return tables


def clashing_columns(fields: list[str], extra: tuple[str, ...]) -> list[tuple[int, int]]:
    """(field position, extra position) of each extra column that is also a field's name."""
    return [(fields.index(name), j) for j, name in enumerate(extra) if name in fields]


def with_extra_cells(cells: list[str], extra: list[str], clashes: list[tuple[int, int]]) -> list[str]:
    """A row's field cells then its extra cells; a field named like an extra column holds the
    extra value (the dict row's update replaced it), as ``row_cells`` would write it."""
    for field_at, extra_at in clashes:
        cells[field_at] = extra[extra_at]
    cells += extra
    return cells


def evaluation_yaml(db: Session, evaluation: Evaluation) -> dict[str, Any]:
    rubric = rubric_version(db, evaluation)
    team = db.execute(select(User, Membership.role).join(Membership, Membership.user_id == User.id)
                      .where(Membership.evaluation_id == evaluation.id,
                             Membership.role.in_(("lead", "evaluator")))
                      .order_by(Membership.role, User.username)).all()
    title: Any = {"zh": evaluation.title_zh, "en": evaluation.title_en} if evaluation.title_en \
        else evaluation.title_zh
    data: dict[str, Any] = {
        "id": evaluation.key,
        "title": title,
        "evaluated_unit": evaluation.evaluated_unit,
        "commissioning_body": evaluation.commissioning_body,
        "period": {"start": evaluation.period_start.isoformat(),
                   "end": evaluation.period_end.isoformat()},
        "team": [{"name": u.display_name or u.username,
                  "role": "组长" if role == "lead" else "调查员"} for u, role in team],
        "rubric": {"id": rubric.key, "version": rubric.version},
        "surveys": {source: {"id": v.key, "version": v.version}
                    for source, v in survey_versions(db, evaluation.id).items()},
    }
    if evaluation.sampling_plan:
        data["sampling"] = evaluation.sampling_plan
    data["synthetic"] = evaluation.synthetic
    data["allow_names"] = False
    if evaluation.finish_reason:
        data["finish_reason"] = evaluation.finish_reason
    return data


def bundle_content(db: Session, evaluation: Evaluation) -> BundleContent:
    """The evaluation's bundle (docs/bundle.md) before it is written."""
    states = counted_states(evaluation)
    tables: dict[str, CellTable] = {}
    columns = [c for c in evaluation.roster_columns if c not in ROSTER_PERSONAL]
    households = db.scalars(select(Household.data).where(Household.evaluation_id == evaluation.id)
                            .order_by(Household.row_number))
    own = [c for c in columns if c not in ROSTER_COLUMNS and c != evaluation.stratum_column]
    if own:  # the roster's own columns (a phone, an address): personal numbers masked
        households = (masked_row(h, own) for h in households)
    tables[ROSTER_FILE] = _cells(columns, households)
    replaced = aliased(Household)
    draws = db.execute(select(Household.household_id, Household.stratum, SampleDraw.role,
                              SampleDraw.draw_order, SampleDraw.outcome,
                              replaced.household_id)
                       .join(SampleDraw, SampleDraw.household_pk == Household.id)
                       .outerjoin(replaced, replaced.id == SampleDraw.replaces_pk)
                       .where(Household.evaluation_id == evaluation.id)
                       .order_by(Household.stratum, SampleDraw.role.desc(),
                                 SampleDraw.draw_order)).all()
    # outcome and replaces (recorded non-response, reserves taken) only once there are any
    header = [*SAMPLE_COLUMNS, *SAMPLE_OPTIONAL] if any(d[4] or d[5] for d in draws) \
        else list(SAMPLE_COLUMNS)
    tables[SAMPLE_FILE] = _cells(header, (
        {"household_id": h, "stratum": s, "role": r, "order": str(o), "outcome": out or "",
         "replaces": rep or ""} for h, s, r, o, out, rep in draws))
    for source in survey_versions(db, evaluation.id):
        _, survey = survey_for(db, evaluation.id, source)
        if source == "system":
            fields = [n for n, f in survey.fields.items() if not f.repeat]
            records = db.scalars(select(SystemRecord.data).where(
                SystemRecord.evaluation_id == evaluation.id).order_by(SystemRecord.row_number))
            masks = field_masks(survey)
            tables["system.csv"] = _cells(fields, (
                {k: masks[k](v) if k in masks and isinstance(v, str) else v
                 for k, v in r.items()} for r in records) if masks else records)
        else:
            tables.update(_source_tables(db, evaluation, source, survey, states))
    # A finding withdrawn after an upheld appeal (evaluator.feedback) counts for nothing.
    findings = db.scalars(select(Finding).where(Finding.evaluation_id == evaluation.id,
                                                Finding.status == "active")
                          .order_by(Finding.id))
    tables[FINDINGS_FILE] = _cells(list(FINDING_COLUMNS), (
        {"indicator": f.indicator, "severity": f.severity, "description": scrub(f.description),
         "household_id": f.household_id, "responsible_unit": scrub(f.responsible_unit),
         "responsible_person": scrub(f.responsible_person), "deadline": f.deadline.isoformat()}
        for f in findings))
    judgements = list(db.scalars(select(Judgement).where(Judgement.evaluation_id == evaluation.id)
                                 .order_by(Judgement.indicator, Judgement.id)))
    users = _usernames(db, (j.user_id for j in judgements))
    tables[JUDGEMENTS_FILE] = _cells(list(JUDGEMENT_COLUMNS), (
        {"indicator": j.indicator,
         "evaluator": (users[j.user_id].display_name or users[j.user_id].username),
         "score": format_number(j.score), "reason": scrub(j.reason)} for j in judgements))
    return BundleContent(evaluation_yaml(db, evaluation), dict(sorted(tables.items())),
                         _readme(evaluation, states))


def bundle_files(db: Session, evaluation: Evaluation, *, raw: bool = False) -> dict[str, bytes]:
    """Every file of the evaluation's bundle as ``{name: bytes}`` (docs/bundle.md); ``raw``
    writes formula-like values verbatim, for another tool's import."""
    return bundle_content(db, evaluation).files(raw=raw)


def _readme(evaluation: Evaluation, states: tuple[str, ...]) -> str:
    lines = [f"Evaluation bundle {evaluation.key}: {evaluation.title_zh}",
             f"Exported from evaluator. Records counted: review state {' or '.join(states)}; "
             "only the current version of each record (edits replace what they deprecate).",
             "Personal roster columns (head_name, id_number) are left out; ID, mobile, "
             "landline and bank card numbers in other columns and in free text are masked.",
             "Score it with: evaluator score THIS_FOLDER_OR_ZIP"]
    if evaluation.synthetic:
        lines.insert(1, "SYNTHETIC DATA (演示/模拟数据): not a real evaluation.")
    return "\n".join(lines) + "\n"
