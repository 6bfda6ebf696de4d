"""The programme report's, the appeals appendix's and the rectification status's words, moved
from hand-made tables (PROGRAMME_WORDS, APPEAL_WORDS, STATUS_WORDS) into the gettext catalogs
(evaluator.reports.words_parts): each word in zh and en is still the one the table held.

tests/fixtures/report_words_before_catalog.json is those three tables as they were in the code
before the move (commit 03d3be0^, evaluator/reports/programme.py, reports/appeals.py and
feedback/views.py, read with ast.literal_eval), written down once and never regenerated from
the catalog: a changed or lost translation fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluator.reports.formatting import Words
from evaluator.reports.words_parts import PART_WORDS

PINNED = json.loads((Path(__file__).parents[1] / "fixtures" / "report_words_before_catalog.json")
                    .read_text(encoding="utf-8"))


@pytest.mark.parametrize("prefix", sorted(PINNED))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_word_is_the_one_the_table_held(prefix, lang):
    words = Words(lang)
    table = PINNED[prefix][lang]
    assert table, (prefix, lang)
    for key, pinned in table.items():
        said = words.sentences(prefix + key) if isinstance(pinned, list) else words(prefix + key)
        assert said == pinned, (prefix + key, lang)


def test_no_word_of_these_reports_is_outside_the_pinned_tables():
    pinned = {prefix + key for prefix, tables in PINNED.items() for key in tables["zh"]}
    assert pinned == {prefix + key for prefix, tables in PINNED.items() for key in tables["en"]}
    current = {key.split(".")[0] for key in PART_WORDS
               if key.startswith(tuple(PINNED))}
    assert current == pinned
