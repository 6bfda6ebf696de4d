"""Write an evaluation bundle as a folder or a .zip, byte for byte reproducibly.

The web app exports bundles and ``demo-data`` generates them; both must give the same bytes for
the same data (reports stamp the data hash, and a re-export must not look like new data). So:
fixed column order, UTF-8 with a BOM (Excel on Chinese Windows opens it correctly; the reader
accepts it), CRLF line ends as Excel writes them, YAML with keys in a fixed order, and zip entries
sorted with a fixed timestamp and permissions. CSV files go through ``evaluator.sheets``: values a
spreadsheet would run as formulas get a leading apostrophe (reversed when a bundle is read), or
are written verbatim with ``raw=True`` for another tool.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

import yaml

from evaluator.bundle.model import (
    EVALUATION_FILE,
    FINDING_COLUMNS,
    FINDINGS_FILE,
    JUDGEMENT_COLUMNS,
    JUDGEMENTS_FILE,
    PARADATA_KEYS,
    README_FILE,
    ROSTER_FILE,
    SAMPLE_COLUMNS,
    SAMPLE_FILE,
    SAMPLE_OPTIONAL,
    Bundle,
    Evaluation,
    Finding,
    Judgement,
    RepeatData,
    SampleRow,
    SourceData,
    source_file,
)
from evaluator.definitions.problems import DefinitionError, Problem
from evaluator.sheets import csv_bytes as sheet_csv_bytes

ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


def csv_bytes(header: Sequence[str], rows: Iterable[Mapping[str, Any]], *,
              raw: bool = False) -> bytes:
    """CSV text for ``rows`` (missing keys are empty cells), UTF-8 with BOM, CRLF."""
    return cells_csv_bytes(header, (row_cells(header, row) for row in rows), raw=raw)


def row_cells(header: Sequence[str], row: Mapping[str, Any]) -> list[str]:
    """The cells ``csv_bytes`` writes for ``row``: ``str`` of each value, '' for None or missing."""
    return ["" if (value := row.get(h)) is None else str(value) for h in header]


def rows_cells(header: Sequence[str]) -> Callable[[Mapping[str, Any]], list[str]]:
    """``row_cells`` for many rows of one header: the same cells, quicker for plain dicts that
    hold every column of ``header`` and no None (a roster of 200,000 households)."""
    if len(header) < 2:
        return lambda row: row_cells(header, row)
    values_of = itemgetter(*header)

    def cells(row: Mapping[str, Any]) -> list[str]:
        if type(row) is dict:
            try:
                values = values_of(row)
            except KeyError:
                return row_cells(header, row)
            if None not in values:
                return list(map(str, values))
        return row_cells(header, row)

    return cells


def cells_csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]], *,
                    raw: bool = False) -> bytes:
    """CSV text for rows given as cells (``row_cells``), UTF-8 with BOM, CRLF; formula-like
    values neutralised unless ``raw`` (``evaluator.sheets``)."""
    return sheet_csv_bytes(header, rows, raw=raw)


def yaml_bytes(data: Any) -> bytes:
    """YAML in the caller's key order, Chinese kept readable."""
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False, width=100)
    return text.encode("utf-8")


def format_number(value: float | int) -> str:
    """Numbers as a person would type them: 4 not 4.0, 4.5 not 4.50; fixed for reproducibility."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(round(float(value), 10))


def evaluation_dict(meta: Evaluation) -> dict[str, Any]:
    """evaluation.yaml content for ``meta``, keys in the documented order."""
    title: Any = {"zh": meta.title.zh, "en": meta.title.en} if meta.title.en else meta.title.zh
    data: dict[str, Any] = {
        "id": meta.id,
        "title": title,
        "evaluated_unit": meta.evaluated_unit,
        "commissioning_body": meta.commissioning_body,
        "period": {"start": meta.period_start, "end": meta.period_end},
        "team": [{"name": m.name, "role": m.role} if m.role else {"name": m.name} for m in meta.team],
        "rubric": {"id": meta.rubric.id, "version": meta.rubric.version},
        "surveys": {source: {"id": ref.id, "version": ref.version} for source, ref in meta.surveys.items()},
    }
    if meta.sampling is not None:
        data["sampling"] = dict(meta.sampling.data)
    data["synthetic"] = meta.synthetic
    data["allow_names"] = meta.allow_names
    if meta.finish_reason:
        data["finish_reason"] = meta.finish_reason
    return data


def sample_columns(sample: Iterable[SampleRow]) -> tuple[str, ...]:
    """sample.csv's columns: the optional outcome and replaces only when a row fills them (a
    bundle without recorded non-response keeps the four columns and its data hash)."""
    if any(s.outcome or s.replaces for s in sample):
        return (*SAMPLE_COLUMNS, *SAMPLE_OPTIONAL)
    return SAMPLE_COLUMNS


def sample_rows(sample: Iterable[SampleRow]) -> list[dict[str, str]]:
    return [
        {"household_id": s.household_id, "stratum": s.stratum, "role": s.role, "order": str(s.order),
         "outcome": s.outcome, "replaces": s.replaces}
        for s in sample
    ]


def finding_rows(findings: Iterable[Finding]) -> list[dict[str, str]]:
    return [
        {
            "indicator": f.indicator, "severity": f.severity, "description": f.description,
            "household_id": f.household_id, "responsible_unit": f.responsible_unit,
            "responsible_person": f.responsible_person,
            "deadline": f.deadline.isoformat() if f.deadline else "",
        }
        for f in findings
    ]


def judgement_rows(judgements: Iterable[Judgement]) -> list[dict[str, str]]:
    return [
        {
            "indicator": j.indicator, "evaluator": j.evaluator,
            "score": "" if j.score is None else format_number(j.score), "reason": j.reason,
        }
        for j in judgements
    ]


def source_table(data: SourceData) -> tuple[list[str], list[dict[str, str]]]:
    """A source's header and rows with normalised names: fields, then paradata present."""
    present = [k for k in PARADATA_KEYS if any(k in p for p in data.paradata)]
    header = list(data.fields) + [k for k in present if k not in data.fields]
    rows = [{**meta, **row} for row, meta in zip(data.rows, data.paradata, strict=True)]
    return header, rows


def repeat_table(repeat: RepeatData) -> tuple[list[str], list[dict[str, str]]]:
    header = list(repeat.fields) + ["PARENT_KEY"]
    has_keys = any(repeat.keys)
    if has_keys:
        header.append("KEY")
    rows = []
    for row, parent, key in zip(repeat.rows, repeat.parent_keys, repeat.keys, strict=True):
        rows.append({**row, "PARENT_KEY": parent, **({"KEY": key} if has_keys else {})})
    return header, rows


def bundle_files(bundle: Bundle, readme: str | None = None, *, raw: bool = False
                 ) -> dict[str, bytes]:
    """Every file of ``bundle`` as ``{name: bytes}`` (export conventions normalised away).

    ``readme`` replaces the bundle's README.txt; None keeps the one it came with. ``raw``
    writes formula-like values verbatim (``evaluator.sheets``).
    """
    files = {
        EVALUATION_FILE: yaml_bytes(evaluation_dict(bundle.meta)),
        ROSTER_FILE: csv_bytes(bundle.roster_columns, bundle.roster, raw=raw),
        SAMPLE_FILE: csv_bytes(sample_columns(bundle.sample), sample_rows(bundle.sample), raw=raw),
        FINDINGS_FILE: csv_bytes(FINDING_COLUMNS, finding_rows(bundle.findings), raw=raw),
        JUDGEMENTS_FILE: csv_bytes(JUDGEMENT_COLUMNS, judgement_rows(bundle.judgements), raw=raw),
    }
    for source, data in bundle.sources.items():
        header, rows = source_table(data)
        files[source_file(source)] = csv_bytes(header, rows, raw=raw)
        for name, repeat in data.repeats.items():
            r_header, r_rows = repeat_table(repeat)
            files[f"{source}-{name}.csv"] = csv_bytes(r_header, r_rows, raw=raw)
    readme = bundle.readme if readme is None else readme
    if readme:
        files[README_FILE] = readme.encode("utf-8")
    return dict(sorted(files.items()))


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    """A zip of ``files`` at its top level; same files, same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            info.create_system = 3
            archive.writestr(info, files[name])
    return buffer.getvalue()


def write_files(files: Mapping[str, bytes], path: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``files`` to the folder ``path``, or to a zip when ``path`` ends with .zip.

    Refuses to touch an existing zip or a non-empty folder unless ``overwrite``: a bundle is
    evidence, and silently mixing two bundles' files would corrupt it.
    """
    path = Path(path)
    for name in files:
        if "/" in name or "\\" in name or name in ("", ".", ".."):
            raise ValueError(f"bundle file names are plain names, got {name!r}")
    if path.suffix.lower() == ".zip":
        if path.exists() and not overwrite:
            raise DefinitionError([Problem(str(path), "", "already exists; choose another name or overwrite")])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(zip_bytes(files))
        return path
    if path.exists() and not path.is_dir():
        raise DefinitionError([Problem(str(path), "", "exists and is not a folder")])
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise DefinitionError([Problem(str(path), "", "folder is not empty; choose another or overwrite")])
    path.mkdir(parents=True, exist_ok=True)
    for name in sorted(files):
        (path / name).write_bytes(files[name])
    return path


def write_bundle(bundle: Bundle, path: str | Path, *, readme: str | None = None,
                 overwrite: bool = False, raw: bool = False) -> Path:
    """Export ``bundle`` to a folder or .zip (see ``write_files``)."""
    return write_files(bundle_files(bundle, readme, raw=raw), path, overwrite=overwrite)
