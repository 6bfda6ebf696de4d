"""Build reports: bundle -> checked and scored -> context -> HTML -> PDF; batches; comparisons.

The functions the web app calls take objects it already has (a ScoreSheet, the Bundle it
scored, the Rubric) and return HTML or PDF bytes:

    html = render_report_html(sheet, bundle, rubric, lang="zh")   # preview (CSS inlined)
    pdf = render_report_pdf(sheet, bundle, rubric, lang="zh")     # download

The command line (evaluator.reports.commands) goes from a bundle path: ``build_report`` reads
and checks the bundle exactly as ``evaluator score`` does (a broken bundle gets its problems,
never a report), scores it once, and renders. ``build_batch`` renders many bundles in parallel
processes; each process loads the surveys, the rubric, the Jinja templates and checks the
CJK font once, not once per report.
"""

from __future__ import annotations

import base64
import os
import re
import resource
import sys
import time
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from markupsafe import Markup

from evaluator import __version__
from evaluator.definitions.problems import DefinitionError, Problem
from evaluator.reports import GC_THRESHOLDS, STYLESHEET_LINK, ReportError, charts, proof
from evaluator.reports.appendix_files import read_appendices, with_appendices
from evaluator.reports.comparison import build_comparison_context
from evaluator.reports.context import build_context
from evaluator.reports.formatting import Words

REPORT_TEMPLATE = "report/report.html"
COMPARISON_TEMPLATE = "report/comparison.html"
#: Room for indicator names beside the interval plot (px of its 620): English names are longer.
INTERVAL_LABEL_WIDTH = {"zh": 175, "en": 215}


# -- definitions and bundles, loaded once per process -------------------------------------------


@lru_cache(maxsize=8)
def _surveys(surveys_dir: str | None) -> dict[str, Any]:
    from evaluator.paths import SURVEYS_DIR
    from evaluator.surveys.definition import load_surveys

    return load_surveys(surveys_dir or SURVEYS_DIR)


@lru_cache(maxsize=16)
def _rubric_file(path: str, surveys_dir: str | None) -> Any:
    from evaluator.rubrics.definition import load_rubric

    return load_rubric(path, _surveys(surveys_dir))


@lru_cache(maxsize=16)
def _shipped_rubric(rubric_id: str, version: str, surveys_dir: str | None) -> Any | None:
    from evaluator.bundle.commands import shipped_rubric
    from evaluator.bundle.model import Ref

    return shipped_rubric(Ref(rubric_id, version), _surveys(surveys_dir))


@dataclass
class Scored:
    """A checked bundle, its rubric, its score sheet, the surveys it was read with, and the
    bundle's files as read (for embedding)."""

    bundle: Any
    rubric: Any
    sheet: Any
    surveys: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)


def load_scored(
    bundle_path: str | os.PathLike[str],
    *,
    rubric_path: str | None = None,
    surveys_dir: str | None = None,
) -> Scored:
    """Read, check and score a bundle (folder or .zip), as ``evaluator score`` does.

    Raises DefinitionError with every problem of a bundle that does not pass the check.
    """
    from evaluator.bundle.check import check_files
    from evaluator.bundle.reader import build_bundle, read_files
    from evaluator.paths import RUBRICS_DIR
    from evaluator.scoring import score

    started = time.perf_counter()
    surveys = _surveys(str(surveys_dir) if surveys_dir else None)
    path = Path(bundle_path)
    files, problems = read_files(path)
    if files is None:
        raise DefinitionError(problems)
    bundle, read_problems = build_bundle(files, surveys, origin=str(path))
    if bundle is None:
        raise DefinitionError(problems + read_problems)
    if rubric_path:
        rubric = _rubric_file(str(rubric_path), str(surveys_dir) if surveys_dir else None)
    else:
        ref = bundle.meta.rubric
        rubric = _shipped_rubric(ref.id, ref.version, str(surveys_dir) if surveys_dir else None)
        if rubric is None:
            raise DefinitionError([Problem(
                "evaluation.yaml", "rubric",
                f"no rubric {ref.id} {ref.version} among the shipped rubrics in {RUBRICS_DIR}; "
                "give one with --rubric",
            )])
    loaded = time.perf_counter()
    all_problems = check_files(files, surveys, rubric, bundle=bundle,
                               read_problems=problems + read_problems)
    if all_problems:
        raise DefinitionError(all_problems)
    checked = time.perf_counter()
    sheet = score(rubric, bundle)
    scored = time.perf_counter()
    return Scored(bundle, rubric, sheet, surveys, {
        "load": loaded - started, "check": checked - loaded, "score": scored - checked,
    }, dict(files))


# -- HTML ---------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _environment() -> Any:
    from evaluator.reports.pdf import report_environment

    return report_environment()


@lru_cache(maxsize=1)
def _stylesheet() -> str:
    from evaluator.reports.pdf import REPORT_TEMPLATES_DIR

    return (REPORT_TEMPLATES_DIR / "report.css").read_text(encoding="utf-8")


def chart_labels(lang: str) -> dict[str, str]:
    """The words the charts draw, from the catalog (``chart_*`` in evaluator.reports.words)."""
    w = Words(lang)
    return {key: w(f"chart_{key}") for key in charts.CHART_LABELS}


_CHART_CLASS = re.compile(r'<svg [^>]*?class="(chart chart-[a-z]+)"')


def chart_image(svg: str) -> Markup:
    """A chart as ``<img>`` with its SVG in a data: URL: what the PDF gets. WeasyPrint draws it
    exactly as the inline SVG (same SVG code, same fonts, same size: the classes stay on the
    element), but no longer runs the page's cascade over each of its few hundred elements."""
    match = _CHART_CLASS.match(svg)
    if match is None:
        raise ReportError("a chart is not an SVG made by evaluator.reports.charts")
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup(f'<img class="{match.group(1)}" alt="" src="data:image/svg+xml;base64,{data}">')


def report_charts(context: dict[str, Any], *, images: bool = False) -> dict[str, Markup]:
    """The report's SVG charts from the context's plain values (Markup: made by our own chart
    module, which escapes its labels); inline SVG, or with ``images`` as chart_image()."""
    labels = chart_labels(context["lang"])
    overview = context["overview"]
    out = {"radar": charts.radar_chart(overview["radar"]["axes"], decimals=2, labels=labels)}
    if overview["strata"]:
        out["strata"] = charts.bar_chart(overview["strata"]["categories"], decimals=1,
                                         labels=labels)
    if overview["intervals"]:
        out["intervals"] = charts.interval_plot(
            overview["intervals"]["rows"], decimals=1, labels=labels,
            label_width=INTERVAL_LABEL_WIDTH[context["lang"]])
    return {key: chart_image(svg) if images else Markup(svg) for key, svg in out.items()}


def _finish(html: str, standalone: bool) -> str:
    """A standalone page carries its stylesheet (a browser preview cannot fetch report.css)."""
    if not standalone:
        return html
    if STYLESHEET_LINK not in html:
        raise ReportError("the report template no longer links report.css as expected")
    css = _stylesheet()
    if "</style" in css.lower():
        raise ReportError("report.css must not contain '</style'")
    return html.replace(STYLESHEET_LINK, f"<style>\n{css}\n</style>", 1)


def report_context(
    sheet: Any,
    bundle: Any,
    rubric: Any,
    lang: str = "zh",
    *,
    surveys: dict[str, Any] | None = None,
    report_date: date | None = None,
) -> dict[str, Any]:
    """The report's plain values (evaluator.reports.context) with the shipped surveys' labels."""
    if surveys is None:
        surveys = _surveys(None)
    return build_context(sheet, bundle, rubric, lang=lang, surveys=surveys,
                         software_version=__version__, report_date=report_date)


def render_report_html(
    sheet: Any,
    bundle: Any,
    rubric: Any,
    lang: str = "zh",
    *,
    surveys: dict[str, Any] | None = None,
    standalone: bool = True,
    report_date: date | None = None,
    context: dict[str, Any] | None = None,
) -> str:
    """The report of one evaluation as HTML: for the web preview, ``standalone`` (stylesheet
    and SVG charts inline); else for render_pdf (report.css linked, charts as images).
    ``sheet`` must be ``score(rubric, bundle)``; raises ReportError otherwise."""
    if context is None:
        context = report_context(sheet, bundle, rubric, lang, surveys=surveys,
                                 report_date=report_date)
    template = _environment().get_template(REPORT_TEMPLATE)
    html = template.render(**context, charts=report_charts(context, images=not standalone))
    return _finish(html, standalone)


def _created(context: dict[str, Any]) -> date | None:
    return date.fromisoformat(context["created"]) if context.get("created") else None


def render_report_pdf(
    sheet: Any,
    bundle: Any,
    rubric: Any,
    lang: str = "zh",
    *,
    surveys: dict[str, Any] | None = None,
    out_path: str | os.PathLike[str] | None = None,
    report_date: date | None = None,
    timings: MutableMapping[str, float] | None = None,
    context: dict[str, Any] | None = None,
    proof: Sequence[Any] = (),
) -> bytes:
    """The report of one evaluation as PDF bytes (also written to ``out_path`` when given);
    ``context``, when given, is report_context()'s values, possibly amended (a draft mark).
    ``proof`` are the files the PDF carries (``proof.report_proof``), embedded as PDF/A-3 files.

    The PDF's creation date is the report date (from the data, never the clock), so the same
    bundle gives the same file. Raises ReportError (missing CJK font, missing glyph, refused
    resource, inconsistent inputs).
    """
    from evaluator.reports.pdf import render_pdf

    started = time.perf_counter()
    if context is None:
        context = report_context(sheet, bundle, rubric, lang, surveys=surveys,
                                 report_date=report_date)
    contexted = time.perf_counter()
    html = render_report_html(sheet, bundle, rubric, lang, standalone=False, context=context)
    htmled = time.perf_counter()
    pdf_timings: dict[str, float] = {}
    pdf = render_pdf(html, out_path, created=_created(context), timings=pdf_timings,
                     attachments=proof)
    if timings is not None:
        timings.update({"context": contexted - started, "html": htmled - contexted,
                        **{f"pdf_{k}": v for k, v in pdf_timings.items()}})
    return pdf


def build_report(
    bundle_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    lang: str = "zh",
    html: bool = False,
    rubric_path: str | None = None,
    surveys_dir: str | None = None,
    report_date: date | None = None,
    timings: MutableMapping[str, float] | None = None,
    embed_bundle: bool = False,
) -> Path:
    """Check, score and render one bundle to ``out_path`` (PDF, or standalone HTML), with the
    appendices its appendix files carry. A PDF carries its score sheet, rubric and manifest,
    and with ``embed_bundle`` the masked bundle."""
    target = Path(out_path)
    if not target.parent.is_dir():
        raise ReportError(f"cannot write {target}: folder {target.parent} does not exist")
    scored = load_scored(bundle_path, rubric_path=rubric_path, surveys_dir=surveys_dir)
    if timings is not None:
        timings.update(scored.timings)
    # The appendices the web app's bundle.zip carries (appeals, look-back), as the web adds them.
    started = time.perf_counter()
    appeals, lookback = read_appendices(scored.files)
    context = with_appendices(report_context(scored.sheet, scored.bundle, scored.rubric, lang,
                                             surveys=scored.surveys, report_date=report_date),
                              scored.bundle, scored.sheet, appeals, lookback)
    contexted = time.perf_counter()
    if html:
        text = render_report_html(scored.sheet, scored.bundle, scored.rubric, lang,
                                  context=context)
        _write_text(target, text)
    else:
        render_report_pdf(scored.sheet, scored.bundle, scored.rubric, lang, context=context,
                          out_path=target, timings=timings,
                          proof=proof.report_proof(scored, embed_bundle=embed_bundle))
    if timings is not None:
        timings["context"] = contexted - started  # made here, before render_report_pdf
    return target


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# -- comparison ---------------------------------------------------------------------------------


def comparison_charts(context: dict[str, Any], *, images: bool = False) -> list[Markup]:
    labels = chart_labels(context["lang"])
    svgs = [charts.bar_chart(c["categories"], decimals=2, labels=labels)
            for c in context["dimensions"]["charts"]]
    return [chart_image(svg) if images else Markup(svg) for svg in svgs]


def render_comparison_html(
    entries: Sequence[tuple[Any, Any]],
    rubric: Any,
    lang: str = "zh",
    *,
    standalone: bool = True,
    report_date: date | None = None,
    context: dict[str, Any] | None = None,
) -> str:
    """Several evaluations scored with the same rubric, compared; ``entries`` are
    (sheet, bundle) pairs."""
    if context is None:
        context = build_comparison_context(entries, rubric, lang=lang,
                                           software_version=__version__, report_date=report_date)
    template = _environment().get_template(COMPARISON_TEMPLATE)
    html = template.render(**context, charts=comparison_charts(context, images=not standalone))
    return _finish(html, standalone)


def render_comparison_pdf(
    entries: Sequence[tuple[Any, Any]],
    rubric: Any,
    lang: str = "zh",
    *,
    out_path: str | os.PathLike[str] | None = None,
    report_date: date | None = None,
) -> bytes:
    from evaluator.reports.pdf import render_pdf

    context = build_comparison_context(entries, rubric, lang=lang, software_version=__version__,
                                       report_date=report_date)
    html = render_comparison_html(entries, rubric, lang, standalone=False, context=context)
    return render_pdf(html, out_path, created=_created(context))


def build_comparison(
    bundle_paths: Sequence[str | os.PathLike[str]],
    out_path: str | os.PathLike[str],
    *,
    lang: str = "zh",
    html: bool = False,
    rubric_path: str | None = None,
    surveys_dir: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Path:
    """Check and score every bundle, then render one comparison report."""
    target = Path(out_path)
    if not target.parent.is_dir():
        raise ReportError(f"cannot write {target}: folder {target.parent} does not exist")
    if len(bundle_paths) < 2:
        raise ReportError("a comparison needs at least two bundles")
    entries = []
    rubric = None
    problems: list[Problem] = []
    for k, path in enumerate(bundle_paths, 1):
        try:
            scored = load_scored(path, rubric_path=rubric_path, surveys_dir=surveys_dir)
        except DefinitionError as exc:
            problems += [Problem(f"{path}: {p.file}", p.where, p.message) for p in exc.problems]
            continue
        finally:
            if progress is not None:
                progress(k, len(bundle_paths), str(path))
        if rubric is None:
            rubric = scored.rubric
        elif (scored.rubric.id, scored.rubric.version, scored.rubric.content_hash) != (
                rubric.id, rubric.version, rubric.content_hash):
            raise ReportError(
                f"{path} is scored with rubric {scored.rubric.id} {scored.rubric.version}, the "
                f"others with {rubric.id} {rubric.version}; only evaluations scored with the same "
                "rubric can be compared"
            )
        entries.append((scored.sheet, scored.bundle))
    if problems:
        raise DefinitionError(problems)
    if html:
        _write_text(target, render_comparison_html(entries, rubric, lang))
    else:
        render_comparison_pdf(entries, rubric, lang, out_path=target)
    return target


# -- batch --------------------------------------------------------------------------------------


def find_bundles(folder: str | os.PathLike[str]) -> list[Path]:
    """The bundles in ``folder``: sub-folders holding evaluation.yaml, and .zip files."""
    root = Path(folder)
    if not root.is_dir():
        raise ReportError(f"{root} is not a folder of bundles")
    found = [p for p in sorted(root.iterdir())
             if (p.is_dir() and (p / "evaluation.yaml").is_file())
             or (p.is_file() and p.suffix.lower() == ".zip")]
    names: dict[str, Path] = {}
    for path in found:
        name = path.stem if path.is_file() else path.name
        if name in names:
            raise ReportError(f"two bundles would write the same report {name}: "
                              f"{names[name].name} and {path.name}")
        names[name] = path
    return found


@dataclass(frozen=True)
class BatchItem:
    bundle: str
    out: str
    ok: bool
    error: str
    seconds: float
    pid: int
    max_rss_mb: float
    traced_peak_mb: float | None = None


def _report_name(path: Path) -> str:
    return path.stem if path.is_file() else path.name


def _batch_job(args: tuple[str, str, str, bool, str | None, str | None, bool]) -> BatchItem:
    """One report in a worker process; never raises (the error is the item's)."""
    bundle, out, lang, html, rubric_path, surveys_dir, trace = args
    started = time.perf_counter()
    if trace:
        import tracemalloc

        tracemalloc.start()
    error = ""
    try:
        build_report(bundle, out, lang=lang, html=html, rubric_path=rubric_path,
                     surveys_dir=surveys_dir)
    except DefinitionError as exc:
        error = "\n".join(str(p) for p in exc.problems)
    except (ReportError, ValueError, OSError) as exc:
        error = str(exc)
    traced = None
    if trace:
        import tracemalloc

        traced = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    return BatchItem(bundle, out, not error, error, time.perf_counter() - started, os.getpid(),
                     rss, traced)


def batch_warm_up(lang: str, rubric_path: str | None, surveys_dir: str | None, html: bool) -> None:
    """Load what every report needs once, before forking, so workers share it: the bundle
    reader, checker and scoring (with numpy and scipy: about 0.8 s to import), the definitions,
    the templates, and for PDFs WeasyPrint (about a second to import), the font check and a
    tiny render (fonts opened, report.css parsed). Then the loaded objects are frozen out of
    the garbage collector's sight: each worker's collections skip them, and do not touch (copy)
    the pages they share with the parent."""
    import gc

    import evaluator.bundle.check
    import evaluator.bundle.commands
    import evaluator.bundle.reader
    import evaluator.scoring  # noqa: F401

    _surveys(surveys_dir)
    if rubric_path:
        _rubric_file(rubric_path, surveys_dir)
    _environment().get_template(REPORT_TEMPLATE)
    if not html:
        from evaluator.reports import pdf

        pdf.warm_up()
    gc.collect()
    gc.freeze()


def batch_worker_init() -> None:
    """A batch worker does nothing but reports: the collector's thresholds stay as high as a
    render sets them (reading and checking a bundle allocates much and frees it by reference
    counting; each render collects its own document)."""
    import gc

    gc.set_threshold(*GC_THRESHOLDS)


def build_batch(
    bundles: Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    jobs: int = 1,
    lang: str = "zh",
    html: bool = False,
    rubric_path: str | None = None,
    surveys_dir: str | None = None,
    progress: Callable[[BatchItem, int, int], None] | None = None,
    trace_memory: bool = False,
) -> list[BatchItem]:
    """Render a report per bundle into ``out_dir`` with ``jobs`` processes.

    A failing bundle does not stop the others: its item carries the error. Items come back in
    the order they finish; ``progress(item, done, total)`` is called for each.
    """
    paths = [Path(p) for p in bundles]
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    if jobs < 1:
        raise ReportError(f"--jobs must be at least 1, got {jobs}")
    suffix = ".html" if html else ".pdf"
    tasks = [(str(p), str(target / (_report_name(p) + suffix)), lang, html,
              str(rubric_path) if rubric_path else None,
              str(surveys_dir) if surveys_dir else None, trace_memory) for p in paths]
    batch_warm_up(lang, tasks[0][4] if tasks else None, tasks[0][5] if tasks else None, html)
    results: list[BatchItem] = []
    if jobs == 1 or len(tasks) <= 1:
        for task in tasks:
            item = _batch_job(task)
            results.append(item)
            if progress is not None:
                progress(item, len(results), len(tasks))
        return results
    import multiprocessing

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    # maxtasksperchild bounds what one worker can accumulate over a long batch.
    with context.Pool(processes=min(jobs, len(tasks)), maxtasksperchild=50,
                      initializer=batch_worker_init) as pool:
        for item in pool.imap_unordered(_batch_job, tasks):
            results.append(item)
            if progress is not None:
                progress(item, len(results), len(tasks))
    return results


class ProgressBar:
    """A progress bar on stderr: redrawn in place on a terminal, one line per report otherwise
    (so a log file shows what happened)."""

    def __init__(self, stream: Any = None, width: int = 30):
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.perf_counter()

    def __call__(self, item: BatchItem, done: int, total: int) -> None:
        elapsed = time.perf_counter() - self.started
        status = "ok" if item.ok else "FAILED"
        name = Path(item.bundle).name
        if self.tty:
            filled = int(self.width * done / total) if total else self.width
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r[{bar}] {done}/{total} {elapsed:6.1f} s  {name[:30]:<30} {status}")
            if done == total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{done:>{len(str(total))}}/{total}] {name} {status} "
                              f"({item.seconds:.1f} s)\n")
        self.stream.flush()
