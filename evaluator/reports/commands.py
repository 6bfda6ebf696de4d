"""``evaluator report``: the scored assessment report (评估报告) of a bundle, as PDF or HTML.

    evaluator report BUNDLE --out report.pdf [--lang zh|en] [--html]
    evaluator report --batch DIR_OF_BUNDLES --out DIR [--jobs N] [--lang zh|en] [--html]
    evaluator report --compare BUNDLE BUNDLE... --out comparison.pdf [--lang zh|en] [--html]
    evaluator report --programme DIR --out programme.pdf [--lang zh|en] [--html]

One command with three modes rather than three commands, because all three take the same
bundles, language and output options. A bundle is checked as ``evaluator score`` checks it:
any problem is printed as ``file: place: message`` and the command exits 1 without writing a
report. A missing CJK font, a glyph no font has, or a refused resource is a ReportError, also
printed plainly with exit 1; never a traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from evaluator.definitions.problems import DefinitionError
from evaluator.reports import ReportError


def _fail(message: str, details: tuple[str, ...] | list[str] = ()) -> None:
    click.echo(f"error: {message}", err=True)
    for line in details:
        click.echo(f"  - {line}", err=True)
    sys.exit(1)


@click.command("report")
@click.argument("bundles", metavar="[BUNDLE]...", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "-o", "out", required=True, type=click.Path(path_type=Path),
              help="The report file (PDF, or HTML with --html); with --batch, the folder for "
                   "the reports.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Report language: Chinese (the language of record) or English.")
@click.option("--html", "as_html", is_flag=True,
              help="Write a standalone HTML page (stylesheet inlined) instead of a PDF.")
@click.option("--batch", "batch_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Render a report for every bundle (sub-folder or .zip) in this folder.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Processes for --batch (default: all cores).")
@click.option("--compare", "compare", is_flag=True,
              help="One comparison report of the BUNDLEs (same rubric): ranking, dimensions, "
                   "grades.")
@click.option("--programme", "programme_dir", type=click.Path(path_type=Path, file_okay=False),
              help="A programme folder (a bundle per unit, programme.yaml): its programme report, "
                   "the web's /programmes/N/report.pdf for the same data.")
@click.option("--rubric", "rubric_path", type=click.Path(exists=True, dir_okay=False),
              help="Rubric YAML; default: the shipped rubric that evaluation.yaml names.")
@click.option("--surveys", "surveys_dir", type=click.Path(exists=True),
              help="Survey definitions (folder or file); default: the shipped surveys.")
@click.option("--embed-bundle", is_flag=True,
              help="Embed the bundle (names and ID numbers masked) in the PDF, so `evaluator "
                   "verify` can re-score it without the original.")
def report(bundles: tuple[Path, ...], out: Path, lang: str, as_html: bool,
           batch_dir: Path | None, jobs: int | None, compare: bool, rubric_path: str | None,
           surveys_dir: str | None, embed_bundle: bool, programme_dir: Path | None = None) -> None:
    """Write the scored assessment report of BUNDLE (folder or .zip) to --out.

    Chinese by default (--lang en for English); the same bundle always gives the same report
    text. With --batch, one report per bundle of a folder, rendered in parallel; with
    --compare, one report comparing several bundles scored with the same rubric; with
    --programme DIR, the programme report of a folder of unit bundles.
    """
    from evaluator.reports import build

    try:
        if programme_dir is not None:
            if bundles or compare or batch_dir is not None or jobs is not None:
                raise click.UsageError("--programme takes a folder, not BUNDLE arguments, "
                                       "--compare or --batch")
            click.echo(str(_programme(programme_dir, out, lang, as_html, rubric_path,
                                      surveys_dir)))
            return
        if batch_dir is not None:
            if bundles or compare:
                raise click.UsageError("--batch takes a folder of bundles, not BUNDLE arguments "
                                       "nor --compare")
            _batch(build, batch_dir, out, jobs or os.cpu_count() or 1, lang, as_html,
                   rubric_path, surveys_dir)
            return
        if jobs is not None:
            raise click.UsageError("--jobs goes with --batch")
        if compare:
            if len(bundles) < 2:
                raise click.UsageError("--compare needs at least two BUNDLEs")
            path = build.build_comparison(list(bundles), out, lang=lang, html=as_html,
                                          rubric_path=rubric_path, surveys_dir=surveys_dir)
            click.echo(str(path))
            return
        if len(bundles) != 1:
            raise click.UsageError("give one BUNDLE (or --batch DIR, or --compare BUNDLE...)")
        path = build.build_report(bundles[0], out, lang=lang, html=as_html,
                                  rubric_path=rubric_path, surveys_dir=surveys_dir,
                                  embed_bundle=embed_bundle)
        click.echo(str(path))
    except ReportError as exc:
        _fail(exc.message, exc.details)
    except DefinitionError:
        raise  # the CLI group prints every problem and exits 1
    except (ValueError, OSError) as exc:
        _fail(str(exc))


def _programme(folder: Path, out: Path, lang: str, as_html: bool, rubric_path: str | None,
               surveys_dir: str | None) -> Path:
    """The programme report of ``folder``, from the plain values the web app keeps (the result
    JSON and each unit's sheet, read back as JSON), so both give the same bytes."""
    import json

    from evaluator.programmes.folder import load_programme
    from evaluator.programmes.report import programme_html, programme_pdf
    from evaluator.programmes.result import programme_result, result_json

    if not out.parent.is_dir():
        raise ReportError(f"cannot write {out}: folder {out.parent} does not exist")
    loaded = load_programme(folder, rubric_path, surveys_dir)
    result = json.loads(result_json(programme_result(loaded.rubric, loaded.meta, loaded.units)))
    sheets = {u.key: json.loads(u.sheet.to_json()) for u in loaded.units}
    if as_html:
        out.write_text(programme_html(result, sheets, lang), encoding="utf-8")
    else:
        programme_pdf(result, sheets, lang, out)
    return out


def _batch(build, batch_dir: Path, out: Path, jobs: int, lang: str, as_html: bool,
           rubric_path: str | None, surveys_dir: str | None) -> None:
    if out.exists() and not out.is_dir():
        raise click.UsageError(f"--out {out} must be a folder with --batch")
    paths = build.find_bundles(batch_dir)
    if not paths:
        _fail(f"no bundles (sub-folders with evaluation.yaml, or .zip files) in {batch_dir}")
    click.echo(f"{len(paths)} bundle(s), {jobs} process(es) -> {out}", err=True)
    items = build.build_batch(paths, out, jobs=jobs, lang=lang, html=as_html,
                              rubric_path=rubric_path, surveys_dir=surveys_dir,
                              progress=build.ProgressBar())
    failed = [item for item in items if not item.ok]
    for item in sorted(failed, key=lambda i: i.bundle):
        click.echo(f"{item.bundle}: report not written:", err=True)
        for line in item.error.splitlines():
            click.echo(f"  {line}", err=True)
    done = len(items) - len(failed)
    click.echo(f"{done} report(s) written to {out}" + (f", {len(failed)} failed" if failed else ""),
               err=True)
    if failed:
        sys.exit(1)


@click.command("verify")
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("bundle", required=False, type=click.Path(exists=True, path_type=Path))
def verify(pdf: Path, bundle: Path | None) -> None:
    """Check that REPORT.pdf's numbers are reproduced (核验报告).

    Re-scores the bundle the report carries (or BUNDLE, a folder or .zip) with the rubric it
    carries, and compares field by field what it prints and carries with what the re-scoring
    gives. Exit 0 when everything is reproduced, 1 otherwise."""
    from evaluator.reports.proof import format_verification, verify_report

    try:
        result = verify_report(pdf, bundle)
    except (ValueError, OSError) as exc:
        _fail(str(exc))
        return
    for line in format_verification(result):
        click.echo(line)
    if not result.ok:
        sys.exit(1)
