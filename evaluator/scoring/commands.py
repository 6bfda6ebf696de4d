"""``evaluator score BUNDLE``: score a bundle against its rubric and print the sheet.

A pure command (no database). The bundle is checked first with the bundle checker, so a bad
export gets its row-level problems (file, row, column, why) and exit 1, never a traceback or a
score computed from broken rows. Rounding happens here, for reading; ``--format json`` prints
the unrounded sheet, byte-identical for the same bundle.
"""

from __future__ import annotations

import math
import unicodedata
from pathlib import Path
from typing import Any

import click

from evaluator.definitions.problems import DefinitionError, Problem
from evaluator.scoring.engine import score as score_sheet
from evaluator.scoring.types import ScoreSheet

SHARE_METHODS = {"rate", "checklist", "consistency", "completeness", "veto"}
VERDICT_ZH = {"meets": "达标", "fails": "未达标", "indeterminate": "无法判定", "insufficient": "样本不足"}


@click.command("score")
@click.argument("bundle_path", metavar="BUNDLE", type=click.Path(path_type=Path))
@click.option("--rubric", "rubric_path", type=click.Path(exists=True, dir_okay=False),
              help="Rubric YAML; default: the shipped rubric with the id and version that "
                   "evaluation.yaml names.")
@click.option("--surveys", "surveys_dir", type=click.Path(exists=True),
              help="Survey definitions (folder or file); default: the shipped surveys.")
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="A readable table, or the full score sheet as JSON.")
@click.option("--what-if", "what_if", is_flag=True,
              help="With --rubric: score the bundle's data with that rubric although "
                   "evaluation.yaml names another (the studio's what-if); the data and its "
                   "hash are unchanged.")
def score(bundle_path: Path, rubric_path: str | None, surveys_dir: str | None, output: str,
          what_if: bool) -> None:
    """Score the evaluation bundle BUNDLE (folder or .zip): total, grade, every indicator."""
    from evaluator.bundle.reader import cyclic_gc_paused

    if what_if and not rubric_path:
        raise click.UsageError("--what-if scores with another rubric: give it with --rubric")
    with cyclic_gc_paused():  # the bundle's objects live until the sheet is made: no garbage
        rubric, bundle = load_checked(bundle_path, rubric_path, surveys_dir, what_if=what_if,
                                     personal=False)
        sheet = score_sheet(rubric, bundle)
    if output == "json":
        click.echo(sheet.to_json(), nl=False)
    else:
        click.echo(format_table(sheet))


def load_checked(bundle_path: Path, rubric_path: str | None, surveys_dir: str | None, *,
                 rubric: Any = None, surveys: Any = None, what_if: bool = False,
                 personal: bool = True) -> tuple[Any, Any]:
    """(rubric, bundle) after every check passed; otherwise ``DefinitionError`` with all problems.

    ``rubric`` (a built Rubric) and ``surveys`` may be given instead of their paths. With
    ``what_if`` the bundle is scored with that rubric although it names another
    (``what_if_bundle``); every other check stays. ``personal=False`` (evaluator score, whose
    sheet names nobody) lets the roster's personal columns go before the checks when nothing
    checked or scored reads them (``without_unread_personal``). The files' bytes go as the
    bundle is built: the checks read only their names and the roster's sha256.
    """
    from evaluator.bundle.check import check_files
    from evaluator.bundle.commands import shipped_rubric
    from evaluator.bundle.reader import build_bundle, read_files
    from evaluator.paths import RUBRICS_DIR, SURVEYS_DIR
    from evaluator.rubrics.definition import load_rubric
    from evaluator.surveys.definition import load_surveys

    if surveys is None:
        surveys = load_surveys(surveys_dir or SURVEYS_DIR)
    files, problems = read_files(bundle_path)
    if files is None:
        raise DefinitionError(problems)
    bundle, read_problems = build_bundle(files, surveys, origin=str(bundle_path), release=True)
    if bundle is None:
        raise DefinitionError(problems + read_problems)
    if rubric is not None:
        pass
    elif rubric_path:
        rubric = load_rubric(rubric_path, surveys)
    else:
        ref = bundle.meta.rubric
        shipped = shipped_rubric(ref, surveys)
        if shipped is None:
            raise DefinitionError([Problem(
                "evaluation.yaml", "rubric",
                f"no rubric {ref.id} {ref.version} among the shipped rubrics in {RUBRICS_DIR}; "
                "give one with --rubric",
            )])
        rubric = shipped
    if what_if:
        bundle = what_if_bundle(bundle, rubric)
    if not personal:
        bundle = without_unread_personal(bundle, rubric, surveys)
    all_problems = check_files(files, surveys, rubric, bundle=bundle, read_problems=problems + read_problems)
    if all_problems:
        raise DefinitionError(all_problems)
    return rubric, bundle


def without_unread_personal(bundle: Any, rubric: Any, surveys: Any) -> Any:
    """The bundle without the values of the roster's personal columns (head_name, id_number:
    18 MB of names at 200,000 households) that no check or score reads: those no rubric or
    survey text names (any expression may read a roster column as ${name}; a name written
    anywhere keeps the column), and id_number not in a synthetic bundle (whose ID numbers are
    checked). The header (``roster_columns``) stays as read."""
    from dataclasses import replace

    from evaluator.bundle.model import ROSTER_PERSONAL
    from evaluator.bundle.rows import Rows

    roster = bundle.roster
    if not isinstance(roster, Rows):
        return bundle
    unread = {name for name in ROSTER_PERSONAL if roster.has(name)}
    if bundle.meta.synthetic:
        unread.discard("id_number")
    unread -= written_in((rubric, surveys), unread)
    return replace(bundle, roster=roster.without(unread)) if unread else bundle


def written_in(definitions: Any, words: set[str]) -> set[str]:
    """Which of ``words`` occur in any string (a key or a value, at any depth) of
    ``definitions``: dataclasses, objects, mappings and collections are walked."""
    found: set[str] = set()
    seen: set[int] = set()
    stack = [definitions]
    while stack and found != words:
        item = stack.pop()
        if isinstance(item, str):
            found.update(w for w in words if w in item)
            continue
        if id(item) in seen or item is None or isinstance(item, int | float | bytes):
            continue
        seen.add(id(item))
        if isinstance(item, dict) or hasattr(item, "items") and callable(item.items):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        else:
            stack.extend(getattr(item, "__dict__", {}).values())
            stack.extend(getattr(item, slot) for cls in type(item).__mro__
                         for slot in getattr(cls, "__slots__", ()) if hasattr(item, slot))
    return found


def what_if_bundle(bundle: Any, rubric: Any) -> Any:
    """The bundle as if it had been collected under ``rubric``: evaluation.yaml's rubric
    reference is ``rubric``'s, nothing else changes (not the data, not the data hash). A rubric
    author tries a new version on real data this way before publishing it."""
    from dataclasses import replace

    from evaluator.bundle.model import Ref

    return replace(bundle, meta=replace(bundle.meta, rubric=Ref(rubric.id, str(rubric.version))))


# -- the readable table (rounding happens here, and only here) ---------------------------------


def format_table(sheet: ScoreSheet) -> str:
    lines = [
        f"Rubric   {sheet.rubric_id} {sheet.rubric_version}",
        f"Data     {sheet.data_hash}",
        f"Total    {_num(sheet.total, 2)} / {_num(sheet.max, 0)}   Grade {sheet.grade} ({sheet.grade_en})"
        + ("   PROVISIONAL 暂定" if sheet.provisional else ""),
    ]
    if sheet.provisional:
        worst, best = sheet.grade_range
        low, high = sheet.total_range
        lines.append(f"         the undecided indicators ({', '.join(sheet.provisional_because)}) allow "
                     f"{_num(low, 2)}..{_num(high, 2)}: {worst} to {best}")
    for veto in sheet.veto:
        lines.append(f"Veto     {veto.code} {veto.name['zh']}: {veto.reason}; grade capped at {veto.cap} "
                     f"(without it: {sheet.uncapped_grade})")
    lines.append("")
    lines += _table(
        ["dimension", "name", "score", "max"],
        [[d.code, d.name["zh"], _num(d.score, 2), _num(d.max, 0)] for d in sheet.dimensions],
        right={2, 3},
    )
    lines.append("")
    rows = []
    for i in sheet.indicators:
        share = i.method in SHARE_METHODS
        interval = "" if i.ci_low is None or i.ci_high is None else f"[{_est(i.ci_low, share)}, {_est(i.ci_high, share)}]"
        bound = "" if i.bound is None else ("≥" if i.direction == "higher" else "≤") + _est(i.bound, share)
        rows.append([
            i.code, i.name["zh"], i.method, _est(i.estimate, share), interval, bound, str(i.n), str(i.missing),
            str(i.nonresponse), str(i.not_applicable), f"{_num(i.points, 2)}/{_num(i.max, 0)}",
            f"{i.verdict} {VERDICT_ZH.get(i.verdict, '')}".strip(),
            " ".join(i.flags),
        ])
    lines += _table(
        ["code", "indicator", "method", "estimate", "95% CI", "bound", "n", "missing", "nonresp", "n/a",
         "points", "verdict", "flags"],
        rows,
        right={3, 5, 6, 7, 8, 9, 10},
    )
    plan = ", ".join(f"{k} {p.sampled}/{p.population}" for k, p in sheet.strata.items())
    lines += ["", f"Strata ({sheet.stratum_column}, sampled/households): {plan}"]
    for source, table in sheet.response.items():
        total = table["total"]
        rates = ", ".join(f"{k} {_est(r['rate'], True)}" for k, r in table["strata"].items())
        lines.append(f"Response ({source}): {_est(total['rate'], True)} overall "
                     f"({total['responded']} responded, {total['refused']} refused, "
                     f"{total['not_reached']} not reached, {total['reserves_used']} reserves used); {rates}")
        for p in table.get("out_of_order", []):
            lines.append(f"WARNING: {p['stratum']}: reserve {p['order']} ({p['household_id']}) used before "
                         f"{', '.join(p['skipped'])}; reserves replace non-respondents in their list's order")
    m = sheet.multiplicity
    if m.get("verdicts"):
        lines.append(f"Verdicts: {m['verdicts']} tested; `fails` by Holm's procedure, so the chance of any "
                     f"false `fails` is at most {_est(m['holm'], True)} (tested one by one it would be "
                     f"{_est(m['uncorrected'], True)}); `bound` is the one-sided {_est(sheet.confidence, True)} "
                     "bound each verdict uses")
    return "\n".join(lines)


def _est(value: float | None, share: bool) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value * 100:.1f}%" if share else _num(value, 2)


def _num(value: float | None, places: int) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.{places}f}"


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(_width(r[c]) for r in [header, *rows]) for c in range(len(header))]

    def line(cells: list[str]) -> str:
        out = []
        for c, cell in enumerate(cells):
            pad = " " * (widths[c] - _width(cell))
            out.append(pad + cell if c in right else cell + pad)
        return "  ".join(out).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]
