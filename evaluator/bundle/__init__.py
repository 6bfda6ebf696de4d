"""The evaluation bundle (评估数据包): the portable unit of an evaluation's data.

A folder (or a .zip of it) holding evaluation.yaml, roster.csv, sample.csv, one CSV per evidence
source, findings.csv and judgements.csv; documented in docs/bundle.md. Pure code: no Flask, no
SQLAlchemy. ``load_bundle`` reads one for scoring, ``bundle_problems`` checks one completely,
``write_bundle`` exports one, ``demo_files`` makes a synthetic one.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from evaluator.bundle.check import bundle_problems, check_bundle, check_files
from evaluator.bundle.hashing import data_hash, roster_hash
from evaluator.bundle.model import (
    CATEGORIES,
    DEFAULT_SOURCES,
    SEVERITIES,
    STATUSES,
    Bundle,
    Column,
    Evaluation,
    Finding,
    Judgement,
    Ref,
    RepeatData,
    SampleRow,
    SamplingPlan,
    SourceData,
    TeamMember,
    Text,
    is_household_source,
    record_key,
)
from evaluator.bundle.reader import build_bundle, load_bundle, read_bundle, read_files
from evaluator.bundle.source_files import instance_key

if TYPE_CHECKING:
    from evaluator.bundle.demo import demo_files, write_demo
    from evaluator.bundle.demo_population import ErrorRates, parse_error_rates
    from evaluator.bundle.writer import bundle_files, write_bundle, write_files, zip_bytes

#: Names imported when first asked for: scoring a bundle imports this package (for its rows)
#: but neither makes a demo bundle nor writes one.
_LAZY = {
    "demo_files": "evaluator.bundle.demo",
    "write_demo": "evaluator.bundle.demo",
    "ErrorRates": "evaluator.bundle.demo_population",
    "parse_error_rates": "evaluator.bundle.demo_population",
    "bundle_files": "evaluator.bundle.writer",
    "write_bundle": "evaluator.bundle.writer",
    "write_files": "evaluator.bundle.writer",
    "zip_bytes": "evaluator.bundle.writer",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "CATEGORIES",
    "DEFAULT_SOURCES",
    "SEVERITIES",
    "STATUSES",
    "Bundle",
    "Column",
    "ErrorRates",
    "Evaluation",
    "Finding",
    "Judgement",
    "Ref",
    "RepeatData",
    "SampleRow",
    "SamplingPlan",
    "SourceData",
    "TeamMember",
    "Text",
    "build_bundle",
    "bundle_files",
    "bundle_problems",
    "check_bundle",
    "check_files",
    "data_hash",
    "demo_files",
    "instance_key",
    "is_household_source",
    "load_bundle",
    "parse_error_rates",
    "read_bundle",
    "read_files",
    "record_key",
    "roster_hash",
    "write_bundle",
    "write_demo",
    "write_files",
    "zip_bytes",
]
