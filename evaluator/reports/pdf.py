"""HTML -> PDF with WeasyPrint, fenced in: only our own files are fetched, no glyph may be missing.

Why the fences:
- A report template is rendered with user-provided strings (unit names, findings, reasons).
  They are escaped by Jinja, but the renderer is the last line of defence: it fetches only
  files under the package's static folder and ``templates/report`` (real paths, so a symlink
  cannot lead out), never ``http(s)://`` nor any other ``file://``. A refused or missing
  resource fails the render with the URL named, instead of a report silently missing a part.
- WeasyPrint draws a character that no installed font has as an empty box and only logs a
  warning; the PDF's text layer still reads correctly, so nobody notices until it is printed.
  A handler on the ``weasyprint`` logger turns that warning (and every error WeasyPrint
  logs, such as an image that could not be drawn) into a ReportError.
- Reports must be reproducible: the creation date comes from the caller, not the clock, and
  WeasyPrint writes no random file identifier, so the same HTML gives the same bytes.

Speed (see docs/report.md, bench/report.py): each thread keeps one WeasyPrint font configuration
(Pango's font map, with the fonts it has opened) and report.css parsed once, and a render runs
with few passes of Python's cyclic garbage collector, which otherwise walks the hundreds of
thousands of objects WeasyPrint makes again and again.
"""

from __future__ import annotations

import base64
import binascii
import gc
import io
import logging
import mimetypes
import os
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_to_bytes, urlsplit

import jinja2
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from evaluator import __version__
from evaluator.paths import PACKAGE_DIR, TEMPLATES_DIR
from evaluator.reports import GC_THRESHOLDS, STYLESHEET_LINK, ReportError
from evaluator.reports.fonts import INSTALL_HINT, check_cjk_font

log = logging.getLogger(__name__)

STATIC_DIR = PACKAGE_DIR / "static"
REPORT_TEMPLATES_DIR = TEMPLATES_DIR / "report"
ALLOWED_ROOTS = (STATIC_DIR, REPORT_TEMPLATES_DIR)

# Raster images (and SVG) may come inline as data: URLs, e.g. a logo; nothing else may.
DATA_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"})

_TEXT_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".html": "text/html"}


def _short(url: str) -> str:
    """URLs go into error messages; a data: URL can be megabytes long."""
    return url if len(url) <= 120 else url[:117] + "..."


class FetchRefused(ValueError):
    """A URL the report renderer will not fetch."""


class RestrictedURLFetcher(URLFetcher):
    """Serve files under ``roots`` and inline data: images; refuse and record everything else.

    WeasyPrint 70 takes a URLFetcher instance and calls its ``fetch(url, headers)``. With
    ``fail_on_errors`` WeasyPrint turns our exception into a fatal one that stops the
    render; where WeasyPrint swallows it anyway (inside SVG drawing) ``refused`` still holds
    it, and render_pdf checks that list after rendering.
    """

    def __init__(self, roots: Iterable[Path | str] = ALLOWED_ROOTS):
        super().__init__(fail_on_errors=True, allow_redirects=False)
        self.roots = tuple(Path(root).resolve() for root in roots)
        if not self.roots:
            raise ValueError("RestrictedURLFetcher needs at least one root folder")
        self.refused: list[str] = []
        self.fetched: list[str] = []

    def fetch(self, url, headers=None):
        try:
            response = self._serve(url)
        except FetchRefused as exc:
            message = f"{_short(url)}: {exc}"
            self.refused.append(message)
            log.warning("report renderer refused to fetch %s", message)
            raise
        self.fetched.append(_short(url))
        return response

    def _serve(self, url: str) -> URLFetcherResponse:
        scheme = urlsplit(url).scheme.lower() if ":" in url else ""
        if scheme == "file":
            return self._file(url)
        if scheme == "data":
            return self._data(url)
        raise FetchRefused(
            "only the report's own files (file:// under the static and report template "
            "folders) and inline data: images are fetched"
        )

    def _file(self, url: str) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise FetchRefused("file URLs on another host are refused")
        try:
            path = Path(unquote(parts.path)).resolve(strict=True)
        except (OSError, ValueError, RuntimeError) as exc:
            raise FetchRefused(f"no such file ({type(exc).__name__})") from None
        if not any(path.is_relative_to(root) for root in self.roots):
            raise FetchRefused("outside the folders a report may read")
        if not path.is_file():
            raise FetchRefused("not a regular file")
        mime = _TEXT_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
        headers = {}
        if mime:
            headers["Content-Type"] = mime + ("; charset=utf-8" if mime.startswith("text/") else "")
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), headers)

    def _data(self, url: str) -> URLFetcherResponse:
        header, comma, payload = url[len("data:"):].partition(",")
        if not comma:
            raise FetchRefused("malformed data: URL")
        params = [p.strip() for p in header.split(";")]
        mime = params[0].lower()
        if mime not in DATA_IMAGE_TYPES:
            raise FetchRefused(f"data: URLs are accepted for images only, not {mime or 'text'}")
        if "base64" in (p.lower() for p in params[1:]):
            try:
                body = base64.b64decode(unquote(payload), validate=True)
            except (binascii.Error, ValueError):
                raise FetchRefused("data: URL with invalid base64") from None
        else:
            body = unquote_to_bytes(payload)
        return URLFetcherResponse(url, body, {"Content-Type": mime})


class _WeasyPrintWatch(logging.Handler):
    """Collect what WeasyPrint logs during one render, on this thread only."""

    def __init__(self, thread_id: int):
        super().__init__(level=logging.WARNING)
        self.thread_id = thread_id
        self.missing_glyphs: list[str] = []
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread_id:
            return
        message = record.getMessage()
        if len(message) > 300:  # a data: URL inside a message can be megabytes long
            message = message[:297] + "..."
        if ".notdef" in message or "missing glyph" in message.lower():
            self.missing_glyphs.append(message)
        elif record.levelno >= logging.ERROR:
            self.errors.append(message)


_level_lock = threading.Lock()
_watchers = 0
_saved_level = logging.NOTSET


@contextmanager
def _watch_weasyprint() -> Iterator[_WeasyPrintWatch]:
    """Attach a watch handler; make sure WeasyPrint's warnings are emitted meanwhile.

    If the application turned the ``weasyprint`` logger down to ERROR, the .notdef warning
    would never be created and tofu would pass unseen, so the level is lowered to WARNING
    while any render runs (counted, so concurrent renders restore it once, at the end).
    """
    global _watchers, _saved_level
    logger = logging.getLogger("weasyprint")
    handler = _WeasyPrintWatch(threading.get_ident())
    with _level_lock:
        if _watchers == 0:
            _saved_level = logger.level
            if not logger.isEnabledFor(logging.WARNING):
                logger.setLevel(logging.WARNING)
        _watchers += 1
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        with _level_lock:
            _watchers -= 1
            if _watchers == 0:
                logger.setLevel(_saved_level)


# A render allocates a few million objects, most of them boxes that live until it ends. With
# the default thresholds the collector runs some 430 times per report (3 of them full passes)
# and keeps walking them: a tenth of the time or more, for no garbage. Raised while any render
# runs (counted, like the log level above), restored after the last one; render_pdf collects
# the document itself (some 190,000 objects in cycles) once, at its end.
_gc_users = 0
_gc_saved: tuple[int, ...] = ()


@contextmanager
def _fewer_collections() -> Iterator[None]:
    global _gc_users, _gc_saved
    with _level_lock:
        if _gc_users == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(*(max(a, b) for a, b in zip(GC_THRESHOLDS, _gc_saved, strict=True)))
        _gc_users += 1
    try:
        yield
    finally:
        with _level_lock:
            _gc_users -= 1
            if _gc_users == 0:
                gc.set_threshold(*_gc_saved)


# Per thread (Pango objects are not to be shared between threads): the font configuration, and
# report.css parsed with it, re-read when the file changes (a long-running web app, an edit).
_state = threading.local()


def thread_font_config() -> FontConfiguration:
    config = getattr(_state, "font_config", None)
    if config is None:
        config = _state.font_config = FontConfiguration()
    return config


def report_stylesheet(font_config: FontConfiguration) -> CSS:
    """report.css, parsed once per thread (fetched through the restricted fetcher, as a
    ``<link>`` would be); raises ReportError if it cannot be read."""
    path = (REPORT_TEMPLATES_DIR / "report.css").resolve()
    try:
        stat = path.stat()
    except OSError as exc:
        raise ReportError(f"the report stylesheet cannot be read: {path}") from exc
    key = (stat.st_mtime_ns, stat.st_size, id(font_config))
    cached = getattr(_state, "stylesheet", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    fetcher = RestrictedURLFetcher()
    try:
        sheet = CSS(url=path.as_uri(), url_fetcher=fetcher, font_config=font_config)
    except FatalURLFetchingError as exc:
        raise ReportError("the report stylesheet cannot be read", fetcher.refused or [str(exc)]
                          ) from exc
    _state.stylesheet = (key, sheet)
    return sheet


def forget_cached_state() -> None:
    """Drop this thread's font configuration and parsed stylesheet (tests; new fonts)."""
    _state.__dict__.clear()


def warm_up() -> None:
    """Load what every render needs (fonts, stylesheet, WeasyPrint's own) with a tiny report,
    e.g. before a batch forks its workers, so that each starts warm."""
    render_pdf(
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f'{STYLESHEET_LINK}</head><body><section class="chapter" id="w"><h2>评估 1</h2>'
        '<p>报告 Report 2026</p><table class="data"><thead><tr><th>表</th></tr></thead>'
        '<tbody><tr><td class="num">1.0</td></tr></tbody></table></section></body></html>'
    )


#: Archival PDF with embedded files (ISO 19005-3, level B).
PDF_VARIANT = "pdf/a-3b"


def _attachments(files: Sequence[Any], created: date | datetime | None) -> list[Attachment]:
    """WeasyPrint attachments for ``files``, dated ``created`` (never the clock: same bytes)."""
    if not files:
        return []
    when = created if isinstance(created, datetime) else datetime.combine(
        created or date(2000, 1, 1), datetime.min.time())
    return [Attachment(file_obj=io.BytesIO(f.data), name=f.name, description=f.description,
                       created=when, modified=when, relationship=f.relationship) for f in files]


def _w3c_date(value: date | datetime) -> str:
    """The PDF date WeasyPrint accepts: a date, or a datetime with its time zone."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                "created must be a date or a timezone-aware datetime "
                "(a naive time is ambiguous in a reproducible report)"
            )
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise ValueError(f"created must be a date or datetime, not {type(value).__name__}")


def report_environment() -> jinja2.Environment:
    """The Jinja environment for report templates, usable without Flask (CLI, batch jobs).

    Autoescaping is on for every template (user strings become text, never markup), and an
    undefined name is an error rather than an empty string in a signed report.
    """
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _write_atomically(path: Path, data: bytes) -> None:
    """A reader never sees half a PDF, and a failed render never leaves one behind."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); a report gets the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render_pdf(
    html: str,
    out_path: str | os.PathLike[str] | None = None,
    *,
    created: date | datetime | None = None,
    timings: MutableMapping[str, float] | None = None,
    attachments: Sequence[Any] = (),
) -> bytes:
    """Render report HTML to PDF bytes (and to ``out_path`` when given, only on success).

    Relative URLs in ``html`` resolve against ``templates/report/`` (``report.css``).
    ``created`` becomes the PDF's creation and modification date; without it the PDF has
    none, and either way the same input gives the same bytes.

    A template that links ``report.css`` (``STYLESHEET_LINK``) is rendered with the copy parsed
    once per thread, and every render in a thread shares one font configuration.

    The PDF is archival, PDF/A-3b (WeasyPrint's variant: XMP metadata, sRGB output intent,
    document ID). ``attachments`` (evaluator.reports.proof.EmbeddedFile: name, data,
    description, mime, relationship) are embedded as PDF/A-3 associated files, dated
    ``created`` so the bytes stay the same for the same input.

    ``timings``, when given, receives seconds: ``fonts`` (CJK check; the first time in a thread
    also the font configuration and the stylesheet), ``parse`` (HTML
    parsing), ``layout`` (WeasyPrint's style and layout, ``HTML.render``), ``write``
    (drawing, font subsetting, serialising), ``collect`` (freeing the laid-out document, which
    is cyclic garbage), ``weasyprint`` (their sum), ``total`` and ``overhead`` (total minus
    weasyprint: what this wrapper costs), and ``pages``.

    Raises ReportError for a missing CJK font, a refused or missing resource, a character
    no font can draw, or an error WeasyPrint logged; ValueError for bad arguments.
    """
    started = time.perf_counter()
    if not isinstance(html, str) or not html.strip():
        raise ValueError("render_pdf needs the report's HTML as a non-empty string")
    created_text = _w3c_date(created) if created is not None else None
    target = Path(out_path) if out_path is not None else None
    if target is not None and not target.parent.is_dir():
        raise ValueError(f"cannot write the PDF: folder {target.parent} does not exist")

    check_cjk_font()
    font_config = thread_font_config()
    stylesheets = []
    if STYLESHEET_LINK in html:  # a report template: the stylesheet parsed once, not per render
        stylesheets.append(report_stylesheet(font_config))
        html = html.replace(STYLESHEET_LINK, "", 1)
    fonts_done = time.perf_counter()

    fetcher = RestrictedURLFetcher()
    base_url = REPORT_TEMPLATES_DIR.resolve().as_uri() + "/"
    with _watch_weasyprint() as watch, _fewer_collections():
        try:
            document_source = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
            parsed = time.perf_counter()
            # A stylesheet given here is of the "user" origin: the page's own <style> (the
            # English overrides) still wins over it, as it did over the <link>.
            document = document_source.render(font_config=font_config, stylesheets=stylesheets)
            laid_out = time.perf_counter()
            metadata = document.metadata
            if created_text is not None:
                metadata.created = created_text
                metadata.modified = created_text
            if not metadata.generator:
                metadata.generator = f"evaluator {__version__}"
            pdf = document.write_pdf(pdf_variant=PDF_VARIANT,
                                     attachments=_attachments(attachments, created))
            written = time.perf_counter()
            pages = len(document.pages)
            # A laid-out document is cyclic garbage (boxes, styles and layouts refer to each
            # other): collect it now, all at once, while it sits in the young generations,
            # rather than at some later allocation, or several reports' worth together.
            del document, document_source
            gc.collect(1)
            collected = time.perf_counter()
        except FatalURLFetchingError as exc:
            raise ReportError(
                "the report refers to a resource it may not use", fetcher.refused or [str(exc)]
            ) from exc

    if fetcher.refused:
        raise ReportError("the report refers to a resource it may not use", fetcher.refused)
    if watch.missing_glyphs:
        raise ReportError(
            "some characters have no glyph in the installed fonts and would print as empty "
            f"boxes (for Chinese text: {INSTALL_HINT})",
            sorted(set(watch.missing_glyphs)),
        )
    if watch.errors:
        raise ReportError("WeasyPrint reported errors while rendering", watch.errors)

    if target is not None:
        _write_atomically(target, pdf)
    finished = time.perf_counter()
    if timings is not None:
        weasy = collected - fonts_done
        timings.update(
            fonts=fonts_done - started,
            parse=parsed - fonts_done,
            layout=laid_out - parsed,
            write=written - laid_out,
            collect=collected - written,
            weasyprint=weasy,
            total=finished - started,
            overhead=(finished - started) - weasy,
            pages=float(pages),
        )
    return pdf
