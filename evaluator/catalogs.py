"""The gettext catalogs every word of the product comes from (pure: Babel only, no Flask).

English is the source language (the msgids); ``translations/zh/LC_MESSAGES/messages.po`` holds
the Chinese and ``translations/en/...`` lets a translator reword English without touching code.
The web app reads them through Flask-Babel; the pure report code through ``translations(lang)``
here, so a report needs no application context.

The .po files are the source of truth and are committed; the compiled .mo files are not. They
are compiled by ``make i18n-compile`` (part of ``make install``), and ``ensure_compiled()``
compiles any that are missing or older than their .po, so a fresh clone or a pull that changed
a catalog never runs on stale words.
"""

from __future__ import annotations

import io
import logging
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
#: The product's languages (``lang`` everywhere) and the catalog locale of each.
LOCALES: dict[str, str] = {"zh": "zh", "en": "en"}

log = logging.getLogger(__name__)


def P_(key: str, english: str) -> tuple[str, str]:  # noqa: N802 - the gettext marker name
    """Mark one word picked by key at run time (the report's) for ``pybabel extract``:
    msgctxt ``key``, msgid ``english``. Returns the pair for a ``dict``."""
    return key, english


class CatalogError(RuntimeError):
    """A catalog is missing or cannot be read: words would silently fall back to English."""


def _paths(locale: str) -> tuple[Path, Path]:
    folder = TRANSLATIONS_DIR / locale / "LC_MESSAGES"
    return folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"


def _compiled_bytes(po_path: Path, problems: list[str] | None = None) -> bytes:
    """The .mo of one .po. With ``problems``, also run Babel's catalog checks (as
    ``pybabel compile`` does) and append what they find."""
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=po_path.parent.parent.name)
    if problems is not None:
        for message, errors in catalog.check():
            for error in errors:
                if _false_percent_placeholder(message, error):
                    continue
                problems.append(f"{po_path}:{message.lineno}: {error}")
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def _false_percent_placeholder(message, error) -> bool:
    """Report words (the entries with a msgctxt, from evaluator.reports.words) and rule
    messages (``N_`` templates, python-brace-format) are str.format patterns in which '%' is
    literal; Babel reads '95% confidence' as the placeholder '% c'. Their {placeholders} are
    checked by tests/unit/test_catalogs.py instead."""
    brace = "python-brace-format" in message.flags
    return (bool(message.context) or brace) and "placeholders" in str(error)


def compile_catalogs() -> list[str]:
    """Compile every catalog (``make i18n-compile``); returns the problems the checks found."""
    problems: list[str] = []
    for locale in LOCALES.values():
        po_path, mo_path = _paths(locale)
        mo_path.write_bytes(_compiled_bytes(po_path, problems))
    return problems


def ensure_compiled() -> None:
    """Compile every catalog whose .mo is missing or older than its .po (like
    ``pybabel compile``: fuzzy entries are left out, so they show in English)."""
    for locale in LOCALES.values():
        po_path, mo_path = _paths(locale)
        if not po_path.exists():
            raise CatalogError(f"{po_path} is missing")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        data = _compiled_bytes(po_path)
        try:
            tmp = mo_path.with_suffix(".mo.tmp")
            tmp.write_bytes(data)
            tmp.replace(mo_path)
        except OSError as exc:  # a read-only install: translations() compiles in memory
            log.warning("cannot write %s (%s); catalogs compile in memory", mo_path, exc)


@cache
def translations(lang: str) -> Translations:
    """The catalog of ``lang`` ("zh" or "en") as Babel ``Translations``: ``.gettext``,
    ``.pgettext``, ``.ngettext``. Raises ``CatalogError`` rather than print English for Chinese."""
    if lang not in LOCALES:
        raise CatalogError(f"language must be one of {', '.join(LOCALES)}, not {lang!r}")
    po_path, mo_path = _paths(LOCALES[lang])
    if mo_path.exists() and po_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        data = mo_path.read_bytes()
    elif po_path.exists():
        data = _compiled_bytes(po_path)
    else:
        raise CatalogError(f"{po_path} is missing: the {lang} words cannot be shown")
    return Translations(io.BytesIO(data), domain=DOMAIN)


if __name__ == "__main__":  # make i18n-compile
    import sys

    found = compile_catalogs()
    for line in found:
        print(line, file=sys.stderr)
    print(f"compiled {len(LOCALES)} catalogs in {TRANSLATIONS_DIR}"
          + (f"; {len(found)} problems" if found else ""))
    sys.exit(1 if found else 0)
