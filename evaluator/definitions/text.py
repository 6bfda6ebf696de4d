"""Bilingual text: Chinese is the language of record, English an optional translation."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    """A Chinese text with an optional English one, as rubrics, surveys and bundles carry them."""

    zh: str
    en: str = ""

    def __str__(self) -> str:
        return self.zh or self.en

    def get(self, language: str) -> str:
        """The text in ``language`` ('zh' or 'en'), falling back to the other one."""
        if language == "en":
            return self.en or self.zh
        return self.zh or self.en
