"""Reports that prove themselves (可自证的报告): what a PDF carries, and ``evaluator verify``.

Every PDF report is archival (PDF/A-3b, WeasyPrint's variant) and carries, as embedded files:

* ``score.json`` — the score sheet it prints, as ``evaluator score --format json`` gives it;
* ``rubric.yaml`` — the rubric it was scored with (its content hash is in the sheet);
* ``manifest.json`` — the data hash, the rubric's id, version and hash, the software version,
  the sha256 of each embedded file, and how to verify;
* ``bundle.zip`` — optionally (``evaluator report --embed-bundle``, the lead's choice) the
  bundle itself, with names and ID numbers masked.

``verify_report(pdf, bundle=None)`` reads them back, re-scores the bundle (the one given, else
the embedded one) with the embedded rubric, and compares, field by field, the numbers the
report prints (its text) and carries (score.json) with the numbers the re-scoring gives.
Pure: no Flask, no database; pypdf reads the PDF, poppler's pdftotext its text.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import subprocess
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from evaluator.privacy import column_kind, mask_value, scrub
from evaluator.reports import ReportError
from evaluator.reports.formatting import (
    ESTIMATED_METHODS,
    SHARE_METHODS,
    fixed,
    percent,
    plain,
    points_text,
)

SCORE_FILE = "score.json"
RUBRIC_FILE = "rubric.yaml"
MANIFEST_FILE = "manifest.json"
BUNDLE_FILE = "bundle.zip"
#: Columns of names (the one masking policy, evaluator.privacy, masks numbers; names here).
NAME_COLUMNS = ("head_name",)
#: Identifiers the scores join on: never touched.
KEEP_COLUMNS = ("household_id", "instance_id", "KEY", "PARENT_KEY", "stratum", "township")


@dataclass(frozen=True)
class EmbeddedFile:
    name: str
    data: bytes
    description: str
    mime: str
    relationship: str  # PDF/A-3 AFRelationship: Data, Source, Supplement


def proof_files(
    sheet_json: str, rubric_text: bytes, *, software: str, bundle_zip: bytes | None = None,
    masked_data_hash: str | None = None,
) -> list[EmbeddedFile]:
    """The files a report embeds; ``manifest.json`` names every other file's sha256."""
    sheet = json.loads(sheet_json)
    files = [
        EmbeddedFile(SCORE_FILE, sheet_json.encode("utf-8"), "score sheet (evaluator score --format json)",
                     "application/json", "Data"),
        EmbeddedFile(RUBRIC_FILE, rubric_text, "rubric the sheet was scored with", "application/yaml",
                     "Source"),
    ]
    if bundle_zip is not None:
        files.append(EmbeddedFile(BUNDLE_FILE, bundle_zip, "evaluation bundle, names and ID numbers masked",
                                  "application/zip", "Source"))
    manifest = {
        "format": "evaluator-report-proof/1",
        "data_hash": sheet.get("data_hash", ""),
        "rubric": sheet.get("rubric", {}),
        "software": software,
        "files": {f.name: hashlib.sha256(f.data).hexdigest() for f in files},
        "bundle": ({"masked": True, "data_hash": masked_data_hash} if bundle_zip is not None else None),
        "verify": "evaluator verify REPORT.pdf [BUNDLE]",
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    files.append(EmbeddedFile(MANIFEST_FILE, text.encode("utf-8"), "what this report carries and how to "
                              "verify it", "application/json", "Supplement"))
    return files


def masked_bundle(files: Mapping[str, bytes]) -> bytes:
    """The bundle's files as a zip, personal data masked by the one policy (evaluator.privacy:
    ID, phone and card columns whole, such numbers in free text) and head names to their first
    character. Members are sorted and dated 1980-01-01: the same bundle gives the same bytes.
    Scores never read these values; `evaluator verify` re-scores the masked bundle to show it.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            data = files[name]
            if name.lower().endswith(".csv"):
                data = _mask_csv(data)
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out.getvalue()


def _mask_csv(data: bytes) -> bytes:
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return data
    header = [name.strip() for name in rows[0]]
    kinds = [column_kind(name) for name in header]
    for row in rows[1:]:
        for k, value in enumerate(row):
            if not value or k >= len(header) or header[k] in KEEP_COLUMNS:
                continue
            if header[k] in NAME_COLUMNS:
                row[k] = value[0] + "＊" * (len(value) - 1)
            else:
                row[k] = mask_value(kinds[k], value) if kinds[k] else scrub(value)
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return ("\ufeff" if data.startswith(b"\xef\xbb\xbf") else "").encode("utf-8") + buffer.getvalue().encode("utf-8")


@lru_cache(maxsize=1)
def _shipped_rubric_files() -> dict[str, bytes]:
    """The shipped rubric files (rubrics/*.yaml) by their content hash, read once a process."""
    from evaluator.definitions.problems import DefinitionError
    from evaluator.paths import RUBRICS_DIR
    from evaluator.rubrics.definition import content_hash

    found: dict[str, bytes] = {}
    for path in sorted(Path(RUBRICS_DIR).glob("*.yaml")):
        raw = path.read_bytes()
        try:
            found.setdefault(content_hash(raw), raw)
        except DefinitionError:
            continue  # not a rubric this process can read: nothing to match
    return found


def rubric_source(rubric: Any) -> bytes:
    """The rubric as its author wrote it (the YAML file; for a stored version with a shipped
    rubric's content, that file, as ``evaluator report`` of its bundle embeds it), else its
    content as canonical JSON (which is YAML too); all give the same content hash."""
    path = Path(getattr(rubric, "file", "") or "")
    if path.is_file():
        return path.read_bytes()
    shipped = _shipped_rubric_files().get(getattr(rubric, "content_hash", "") or "")
    if shipped is not None:
        return shipped
    content = getattr(rubric, "source", None)
    if content is None:
        raise ReportError(f"the rubric {rubric.id} {rubric.version} has no source to embed")
    from evaluator.rubrics.definition import canonical_json

    return canonical_json(content).encode("utf-8")


def report_proof(scored: Any, sheet: Any | None = None, *, embed_bundle: bool = False,
                 rubric_text: bytes | None = None) -> list[Any]:
    """The files a report carries: its score sheet, rubric and manifest, and optionally the
    bundle with names and ID numbers masked (evaluator.reports.proof)."""
    from evaluator import __version__
    from evaluator.bundle.hashing import data_hash

    sheet = sheet if sheet is not None else scored.sheet
    bundle_zip = masked_hash = None
    if embed_bundle:
        if not scored.files:
            raise ReportError("the bundle's files are not at hand to embed")
        bundle_zip = masked_bundle(scored.files)
        with zipfile.ZipFile(io.BytesIO(bundle_zip)) as archive:
            masked_hash = data_hash({n: archive.read(n) for n in archive.namelist()})
    return proof_files(sheet.to_json(), rubric_text if rubric_text is not None else rubric_source(scored.rubric),
                       software=__version__, bundle_zip=bundle_zip, masked_data_hash=masked_hash)


# -- reading a report back ---------------------------------------------------------------------


@dataclass
class Check:
    """One field compared: what the report claims and what verification found."""

    field: str
    claimed: str
    found: str
    ok: bool


@dataclass
class Verification:
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, name: str, claimed: Any, found: Any, ok: bool | None = None) -> None:
        self.checks.append(Check(name, _show(claimed), _show(found), claimed == found if ok is None else ok))


def _show(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    return "" if value is None else str(value)


def embedded_files(pdf: bytes) -> dict[str, bytes]:
    """The PDF's embedded files by name (pypdf)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    out: dict[str, bytes] = {}
    for name, contents in reader.attachments.items():
        if contents:
            out[name] = contents[0]
    return out


def printed_text(pdf_path: Path, *, layout: bool = False) -> str:
    """The report's text as printed (pdftotext), whitespace removed (CJK spacing varies); with
    ``layout``, line by line as the page lays it out (a table row on one line)."""
    args = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), str(pdf_path), "-"]
    try:
        result = subprocess.run(args, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ValueError(f"cannot read the text of {pdf_path} (pdftotext, poppler-utils): {exc}") from None
    text = result.stdout.decode("utf-8", "replace")
    if layout:
        return "\n".join(re.sub(r"\s+", "", line) for line in text.splitlines())
    return re.sub(r"\s+", "", text)


def verify_report(pdf_path: Path, bundle_path: Path | None = None) -> Verification:
    """Re-score what the report carries (or ``bundle_path``) and compare, field by field."""
    from evaluator.bundle.reader import build_bundle, read_files, shipped_surveys
    from evaluator.rubrics.definition import rubric_from_data
    from evaluator.rubrics.yaml_reading import parse_yaml
    from evaluator.scoring import score

    result = Verification()
    raw = Path(pdf_path).read_bytes()
    try:
        files = embedded_files(raw)
    except Exception as exc:  # pypdf raises many kinds for a damaged file
        raise ValueError(f"{pdf_path}: not a readable PDF ({exc})") from None
    missing = [n for n in (SCORE_FILE, RUBRIC_FILE, MANIFEST_FILE) if n not in files]
    if missing:
        raise ValueError(f"{pdf_path}: carries no {', '.join(missing)}; it is not a report that proves itself "
                         "(made before evaluator verify existed, or not by evaluator)")
    manifest = json.loads(files[MANIFEST_FILE])
    claimed = json.loads(files[SCORE_FILE])
    for name, digest in sorted(manifest.get("files", {}).items()):
        found = hashlib.sha256(files[name]).hexdigest() if name in files else "missing"
        result.add(f"embedded {name} sha256", digest, found)

    rubric = rubric_from_data(parse_yaml(files[RUBRIC_FILE], RUBRIC_FILE), RUBRIC_FILE, shipped_surveys())
    result.add("rubric content hash", claimed["rubric"]["hash"], rubric.content_hash)

    surveys = shipped_surveys()
    if bundle_path is not None:
        bundle_files, problems = read_files(Path(bundle_path))
        if bundle_files is None:
            raise ValueError("; ".join(str(p) for p in problems))
        origin, original = str(bundle_path), True
    elif BUNDLE_FILE in files:
        with zipfile.ZipFile(io.BytesIO(files[BUNDLE_FILE])) as archive:
            bundle_files = {n: archive.read(n) for n in archive.namelist() if not n.endswith("/")}
        origin, original = f"{pdf_path}#{BUNDLE_FILE}", False
    else:
        result.notes.append("no bundle given and none embedded: the printed numbers are checked against "
                            "the embedded score sheet only, not re-scored")
        _printed(result, Path(pdf_path), claimed)
        return result
    bundle, read_problems = build_bundle(bundle_files, surveys, origin=origin)
    if bundle is None:
        raise ValueError("; ".join(str(p) for p in read_problems))
    if original:
        result.add("data hash", claimed["data_hash"], bundle.data_hash)
    else:
        masked = (manifest.get("bundle") or {}).get("data_hash")
        result.add("embedded bundle data hash (masked)", masked, bundle.data_hash)
        result.notes.append("re-scored the embedded bundle (names and ID numbers masked); the report's data "
                            f"hash {claimed['data_hash']} is that of the unmasked original")
    fresh = score(rubric, bundle).to_dict()
    _compare(result, claimed, fresh, with_hash=original)
    _printed(result, Path(pdf_path), {**fresh, "data_hash": claimed["data_hash"]})
    return result


def _compare(result: Verification, claimed: Mapping[str, Any], fresh: Mapping[str, Any], *, with_hash: bool) -> None:
    for key in ("total", "grade", "uncapped_grade", "provisional"):
        result.add(key, claimed.get(key), fresh.get(key))
    for mine, theirs in zip(claimed["dimensions"], fresh["dimensions"], strict=False):
        result.add(f"dimension {mine['code']} score", mine["score"], theirs["score"])
    by_code = {i["code"]: i for i in fresh["indicators"]}
    for ind in claimed["indicators"]:
        other = by_code.get(ind["code"], {})
        for key in ("estimate", "ci_low", "ci_high", "bound", "n", "points", "verdict"):
            result.add(f"{ind['code']} {key}", ind.get(key), other.get(key))
    result.add("vetoes", [v["code"] for v in claimed["veto"]], [v["code"] for v in fresh["veto"]])
    if with_hash:
        result.add("score sheet (every field)", _without_hash(claimed), _without_hash(fresh),
                   ok=_without_hash(claimed) == _without_hash(fresh))


def _without_hash(sheet: Mapping[str, Any]) -> str:
    return json.dumps({k: v for k, v in sheet.items() if k != "data_hash"}, sort_keys=True)


def _printed(result: Verification, pdf_path: Path, sheet: Mapping[str, Any]) -> None:
    """What the pages print: the total, the grade, each dimension's score, each indicator's
    estimate and points (its table row), the data hash."""
    text = printed_text(pdf_path)
    lines = printed_text(pdf_path, layout=True).splitlines()
    total = f"{sheet['total']:.2f}"
    zh = f"综合得分{total}分" in text
    en = f"totalscoreis{total}outof" in text
    result.add("printed total", total, total if (zh or en) else _printed_total(text), ok=zh or en)
    grade, grade_en = sheet["grade"], sheet["grade_en"]
    shown = f"评估等级为“{grade}" in text or f'grade"{grade_en}' in text
    result.add("printed grade", grade, grade if shown else "not found", ok=shown)
    for d in sheet["dimensions"]:
        score = f"{d['score']:.2f}"
        names = [n for n in (d["name"].get("zh"), d["name"].get("en")) if n]
        # zh: the summary table's row; en: table cells wrap names, so the chapter's own sentence
        found = (any(re.sub(r"\s+", "", n) + score in text for n in names)
                 or f"Thisdimensionscores{score}outof{plain(d['max'])}" in text)
        result.add(f"printed dimension {d['code']}", score, score if found else "not found", ok=found)
    for ind in sheet["indicators"]:
        if ind["method"] == "veto":
            continue
        values = _row_values(ind)
        found = _row_found(lines, ind["code"], values)
        row = f"{ind['code']} " + " … ".join(values)
        result.add(f"printed indicator {ind['code']}", row, row if found else "not found", ok=found)
    digest = sheet["data_hash"].split(":")[-1][:16]
    result.add("printed data hash (page footer)", digest, digest if digest in text else "not found",
               ok=digest in text)


def _row_values(ind: Mapping[str, Any]) -> list[str]:
    """An indicator's row as its table prints it: the estimate (estimated methods), the points."""
    points = f"{points_text(ind['points'])}/{plain(ind['max'])}"
    if ind["method"] in ESTIMATED_METHODS and ind["estimate"] is not None:
        estimate = (percent(ind["estimate"]) if ind["method"] in SHARE_METHODS
                    else fixed(ind["estimate"], 2))
        return [estimate, points]
    return [points]


def _row_found(lines: list[str], code: str, values: list[str]) -> bool:
    """The row in the page layout (``pdftotext -layout``, one table row a line even when its
    name wraps): a line that starts with the code and holds the values in order."""
    pattern = re.compile(re.escape(code) + "".join(".*?" + re.escape(v) for v in values))
    return any(pattern.match(line) for line in lines)


def _printed_total(text: str) -> str:
    match = re.search(r"综合得分([0-9.]+)分", text) or re.search(r"totalscoreis([0-9.]+)outof", text)
    return match.group(1) if match else "not found"


def format_verification(result: Verification) -> Iterable[str]:
    for check in result.checks:
        mark = "ok  " if check.ok else "DIFF"
        yield f"{mark} {check.field}: {check.claimed}" + ("" if check.ok else f" (found {check.found})")
    for note in result.notes:
        yield f"note {note}"
    bad = sum(not c.ok for c in result.checks)
    yield (f"verified: {len(result.checks)} fields reproduced" if result.ok
           else f"NOT VERIFIED: {bad} of {len(result.checks)} fields differ")
