"""A programme on disk: a folder of unit bundles (sub-folders or .zip files) and programme.yaml.

``evaluator programme score DIR`` and ``evaluator report --programme DIR`` read it; the web app
writes it (``/programmes/N/programme.zip``). Every bundle is checked as ``evaluator score``
checks it, and every problem of every bundle is reported together, each with its bundle's path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluator.definitions.problems import DefinitionError, Problem
from evaluator.programmes.result import PROGRAMME_FILE, ProgrammeMeta, read_programme_yaml
from evaluator.scoring.pooled import UnitScore, score_with_designs


@dataclass(frozen=True)
class LoadedProgramme:
    rubric: Any
    meta: ProgrammeMeta
    units: tuple[UnitScore, ...]
    bundles: tuple[Any, ...]  # aligned with units


def find_unit_bundles(folder: Path) -> list[Path]:
    """Sub-folders holding evaluation.yaml, and .zip files, in name order."""
    if not folder.is_dir():
        raise DefinitionError([Problem(str(folder), "", "not a folder of unit bundles")])
    return [p for p in sorted(folder.iterdir())
            if (p.is_dir() and (p / "evaluation.yaml").is_file())
            or (p.is_file() and p.suffix.lower() == ".zip")]


def load_programme(folder: Path, rubric_path: str | None = None,
                   surveys_dir: str | None = None) -> LoadedProgramme:
    """Score every unit of the programme in ``folder`` (``DefinitionError`` lists all problems)."""
    from evaluator.scoring import from_bundle
    from evaluator.scoring.commands import load_checked

    paths = find_unit_bundles(folder)
    problems: list[Problem] = []
    meta = None
    described = folder / PROGRAMME_FILE
    if described.is_file():
        meta, found = read_programme_yaml(described.read_bytes(), str(described))
        problems += found
    if not paths:
        problems.append(Problem(str(folder), "", "no unit bundles (sub-folders with "
                                "evaluation.yaml, or .zip files)"))
    loaded = []
    for path in paths:
        try:
            loaded.append(load_checked(path, rubric_path, surveys_dir))
        except DefinitionError as error:
            problems += [p if p.file.startswith(str(path)) else
                         Problem(f"{path.name}/{p.file}", p.where, p.message)
                         for p in error.problems]
    rubrics = {(r.id, str(r.version)) for r, _ in loaded}
    if len(rubrics) > 1:
        problems.append(Problem(str(folder), "", "the units were scored with different rubrics: "
                                + ", ".join(f"{i} {v}" for i, v in sorted(rubrics))))
    if problems:
        raise DefinitionError(problems)
    rubric = loaded[0][0]
    if meta is None:
        meta = _meta_from_bundles(folder, [b for _, b in loaded])
    units = []
    for _, bundle in loaded:
        sheet, designs = score_with_designs(rubric, from_bundle(bundle))
        units.append(UnitScore(bundle.meta.id, bundle.meta.evaluated_unit, sheet, designs,
                               meta.regions.get(bundle.meta.id, ""),
                               tuple((f.indicator, f.severity) for f in bundle.findings)))
    return LoadedProgramme(rubric, meta, tuple(units), tuple(b for _, b in loaded))


def _meta_from_bundles(folder: Path, bundles: Sequence[Any]) -> ProgrammeMeta:
    """Without programme.yaml: the folder's name, the units' commissioning body and period."""
    bodies = sorted({b.meta.commissioning_body for b in bundles})
    starts = [b.meta.period_start for b in bundles if b.meta.period_start]
    ends = [b.meta.period_end for b in bundles if b.meta.period_end]
    return ProgrammeMeta(folder.name, folder.name, "", "、".join(bodies),
                         min(starts) if starts else None, max(ends) if ends else None,
                         any(b.meta.synthetic for b in bundles))
