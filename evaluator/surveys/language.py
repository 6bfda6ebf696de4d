"""Language columns of an XLSForm, mapped to the codes the survey model uses (语言映射).

XLSForms name languages in several ways: ``label::English (en)`` (the spec and KoboToolbox),
``label::English`` or ``label:english`` (older ODK forms), ``label::en``, or a bare ``label``
in the form's own language. Names are looked up in the CLDR's English language names (Babel),
so ``English``, ``french`` and ``Chinese`` need no table of our own. A bare label takes the
settings ``default_language``, else the ``--language`` given, else the script of the label
text (Han: zh, Latin: en, ...); the mapping is printed with every import.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from babel import Locale, UnknownLocaleError, localedata

from evaluator.surveys.subset import LANGUAGE_RE

PYXFORM_DEFAULT = "default"  # pyxform's key for a column without a language
_CODE_IN_PARENS_RE = re.compile(r"\(([^()]+)\)\s*$")
# The script a label is written in -> the language to assume for it.
_SCRIPT_LANGUAGES = (("CJK", "zh"), ("HIRAGANA", "ja"), ("KATAKANA", "ja"), ("HANGUL", "ko"),
                     ("ARABIC", "ar"), ("CYRILLIC", "ru"), ("DEVANAGARI", "hi"),
                     ("THAI", "th"), ("GREEK", "el"), ("HEBREW", "he"), ("BENGALI", "bn"),
                     ("ETHIOPIC", "am"), ("LATIN", "en"))


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Lower-case English language name -> code, from the CLDR data Babel ships."""
    names = Locale("en").languages
    return {name.lower(): code for code, name in sorted(names.items(), key=lambda kv: len(kv[0]))
            if "_" not in code}


def language_code(text: str) -> str | None:
    """``Chinese (zh)`` -> ``zh``; ``zh`` -> ``zh``; ``English`` / ``english`` -> ``en``.
    A code in brackets nobody knows gives way to a name that is known: KoboToolbox's own
    documentation writes ``Nepali (np)``, which is ``ne``; ``np`` alone would not come back
    as the same language after an export."""
    text = text.strip()
    found = _CODE_IN_PARENS_RE.search(text)
    if found:
        code = found.group(1).strip()
        if not LANGUAGE_RE.fullmatch(code):
            return None
        name = text[:found.start()].strip().lower()
        return code if _known(code) or name not in _names() else _names()[name]
    if text.lower() in _names():
        return _names()[text.lower()]
    if LANGUAGE_RE.fullmatch(text) and _known(text):
        return text
    return _native_names().get(text.lower())


@lru_cache(maxsize=1)
def _native_names() -> dict[str, str]:
    """A language's name for itself (``Français``, ``Español``, ``中文``) -> code, as forms
    written by their speakers name them. Loaded only when an English name does not match (it
    reads every locale Babel ships, ~2 s)."""
    found: dict[str, str] = {}
    for ident in localedata.locale_identifiers():
        if "_" in ident:
            continue
        try:
            name = Locale.parse(ident).get_display_name(ident)
        except (ValueError, UnknownLocaleError):
            continue
        if name:
            found.setdefault(name.lower(), ident)
    return found


def _known(code: str) -> bool:
    return code.lower().split("-")[0].split("_")[0] in Locale("en").languages


def script_language(texts: list[str]) -> str | None:
    """The language most label characters' script suggests, or None (no letters)."""
    votes: Counter[str] = Counter()
    for text in texts:
        for char in text:
            if not char.isalpha():
                continue
            name = unicodedata.name(char, "")
            for script, code in _SCRIPT_LANGUAGES:
                if name.startswith(script) or f" {script} " in f" {name} ":
                    votes[code] += 1
                    break
    return votes.most_common(1)[0][0] if votes else None


@dataclass
class LanguageMap:
    """How the language names of one form map to codes."""

    default: str
    how: str  # where the default came from, for the import summary
    codes: dict[str, str] = field(default_factory=dict)  # name as written -> code

    @classmethod
    def of_form(cls, setting: str | None, asked: str | None, names: list[str],
                bare_labels: list[str]) -> LanguageMap:
        if setting:
            default, how = language_code(setting) or cls._private(setting), "settings"
        elif asked:
            default, how = asked, "--language"
        elif bare_labels:
            found = script_language(bare_labels)
            default, how = found or "en", "read from the label text"
        else:
            coded = [c for c in (language_code(n) for n in names if n != PYXFORM_DEFAULT) if c]
            default, how = (coded[0], "the only language") if len(set(coded)) == 1 else (
                coded[0] if coded else "en", "first language column")
        mapping = cls(default, how)
        mapping.codes[PYXFORM_DEFAULT] = default
        if setting:
            mapping.codes[setting] = default
        for name in names:
            mapping.code(name)
        return mapping

    @staticmethod
    def _private(name: str) -> str:
        """A code for a language name nobody knows: ``und-`` and its first letters."""
        letters = re.sub(r"[^A-Za-z0-9]", "", unicodedata.normalize("NFKD", name))[:8]
        return f"und-{letters or 'x'}"

    def code(self, name: str) -> str:
        if name not in self.codes:
            self.codes[name] = language_code(name) or self._private(name)
        return self.codes[name]

    def describe(self) -> str:
        mapped = ", ".join(f"{name}->{code}"
                           for name, code in self.codes.items()
                           if name != code and name != PYXFORM_DEFAULT)
        text = f"default language {self.default} ({self.how})"
        return text + (f"; languages {mapped}" if mapped else "")
