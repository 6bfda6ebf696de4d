"""Every user-visible string is in both languages.

The strings are extracted from the code and templates exactly as ``make i18n-extract`` does
(pybabel, babel.cfg, the Makefile's keywords) and compared with the committed catalogs: a string
missing from either catalog, untranslated or fuzzy in zh, with other placeholders than its
msgid, or written in Chinese in the code (the msgids are the English) fails here, with the
command that fixes it.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from evaluator.catalogs import LOCALES, TRANSLATIONS_DIR, translations

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
BRACE = re.compile(r"(?<!\{)\{(\w*)[^{}]*\}")
PERCENT = re.compile(r"%\((\w+)\)[sd]")
FIX = "run `make i18n-update`, translate the new entries in the zh .po, commit both .po files"


def _keywords() -> list[str]:
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(r"^BABEL_KEYWORDS := (.+)$", makefile, re.M)
    assert match, "the Makefile lost BABEL_KEYWORDS"
    return shlex.split(match.group(1))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    out = tmp_path_factory.mktemp("pot") / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(pybabel), "extract", "-F", "babel.cfg", *_keywords(), "-o", str(out), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with out.open("rb") as handle:
        catalog = read_po(handle)
    return {(m.context, m.id): m for m in catalog if m.id}


def _catalog(locale: str):
    with (TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    return {(m.context, m.id): m for m in catalog if m.id}


def _name(key) -> str:
    context, msgid = key
    return f"{msgid!r}" + (f" (msgctxt {context!r})" if context else "")


def test_something_is_extracted(extracted):
    assert len(extracted) > 500
    assert (None, "Sign in") in extracted and ("verdict_meets", "Meets") in extracted


def test_msgids_are_english(extracted):
    chinese = [_name(k) for k in extracted if CJK.search(k[1])]
    assert not chinese, f"write the English in the code and the Chinese in the zh catalog: {chinese}"


@pytest.mark.parametrize("locale", sorted(LOCALES.values()))
def test_every_string_is_in_the_catalog(extracted, locale):
    catalog = _catalog(locale)
    missing = [_name(k) for k in extracted if k not in catalog]
    assert not missing, f"{len(missing)} strings missing from {locale}: {missing[:20]}; {FIX}"
    stale = [_name(k) for k in catalog if k not in extracted]
    assert not stale, f"{locale} holds strings no code uses: {stale[:20]}; run `make i18n-update`"


def _placeholders(text: str) -> tuple[set[str], set[str]]:
    return set(BRACE.findall(text)), set(PERCENT.findall(text))


@pytest.mark.parametrize("locale", sorted(LOCALES.values()))
def test_translations_are_complete_and_keep_their_placeholders(extracted, locale):
    problems = []
    for key, message in _catalog(locale).items():
        if key not in extracted:
            continue
        if message.fuzzy:
            problems.append(f"{_name(key)} is fuzzy (check it, then remove the fuzzy flag)")
        if not message.string:
            if locale == "zh":
                problems.append(f"{_name(key)} has no Chinese")
            continue  # English: an empty msgstr is the msgid itself
        braces, percents = _placeholders(message.id)
        got_braces, got_percents = _placeholders(message.string)
        if not braces <= got_braces or percents != got_percents:
            problems.append(f"{_name(key)}: placeholders {sorted(braces | percents)} became "
                            f"{sorted(got_braces | got_percents)}")
        words = set(re.findall(r"[A-Za-z]{3,}", BRACE.sub("", message.id))) - _SAME_IN_BOTH
        if locale == "zh" and message.string == message.id and words:
            problems.append(f"{_name(key)} is not translated (the Chinese is the English)")
    assert not problems, "\n".join(problems[:40])


def test_compiled_catalogs_translate():
    assert translations("zh").gettext("Sign in") == "登录"
    assert translations("zh").pgettext("verdict_meets", "Meets") == "达标"
    assert translations("en").gettext("Sign in") == "Sign in"


# -- templates ----------------------------------------------------------------------------------

_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_TAG = re.compile(r"<(script|style)\b.*?</\1>|<[^>]*>", re.S)
#: Words that are the same in both languages (abbreviations, product names, codes).
_SAME_IN_BOTH = {"ID", "PDF", "GPS", "CSV", "XLSX", "ODK", "JSON", "ZIP", "SHA", "UTF", "GBK",
                 "URL", "API", "evaluator"}


def _web_templates() -> list[Path]:
    return [p for p in sorted((ROOT / "templates").rglob("*.html")) if p.parts[-2] != "report"]


@pytest.mark.parametrize("path", _web_templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_template_text_goes_through_the_catalog(path):
    """Text between tags must come from _(...): no Chinese and no English words written
    straight into a web template (the language switch's autonyms, 中文/English, excepted)."""
    source = path.read_text()
    assert not re.search(r"\bt\('", source), "t('key') is gone: use _('English')"
    text = _TAG.sub(" ", _JINJA.sub(" ", source))
    chinese = CJK.findall(text)
    assert not chinese, f"Chinese written into the template: {''.join(chinese)[:80]}"
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z']+", text) if w not in _SAME_IN_BOTH]
    assert not words, f"English written into the template, not through _(): {words[:20]}"
