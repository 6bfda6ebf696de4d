"""The report appendices a bundle carries (appeals.yaml, lookback.yaml): written masked, read
back to the same values, and a malformed file refused with its name and key."""

import re

import pytest

from evaluator.reports import ReportError
from evaluator.reports.appeals import AppealRow, Appeals
from evaluator.reports.appendix_files import appendix_files, read_appendices
from evaluator.reports.lookback import LookBackInputs, RectificationItem

COMPARISON = {
    "previous": "last-year", "same_rubric": True, "confidence": 0.95, "tested": 1,
    "beyond_noise": 0, "total": {"before": 71.25, "after": 78.5},
    "grade": {"before": "合格", "after": "合格"},
    "changes": [{"code": "T1", "name": {"zh": "错评率", "en": "Wrongly registered"},
                 "method": "rate", "before": 0.1, "after": 0.0625, "difference": -0.0375,
                 "ci_low": -0.12000000000000001, "ci_high": 0.045, "p_value": 0.37,
                 "beyond_noise": False, "points_before": 5.0, "points_after": 7.5,
                 "verdict_before": "indeterminate", "verdict_after": "meets"}],
}


def test_both_files_round_trip_with_personal_numbers_masked():
    appeals = Appeals("2026-12-01", "2026-12-10", 3, None, "",
                      (AppealRow("T3", "漏评，电话13812345678", "contested", "见照片", "upheld",
                                 "withdrawn", "属实"),
                       AppealRow("F3", "重复发放", "accepted", "", "none", "", "")))
    lookback = LookBackInputs("last-year · 去年", COMPARISON, (
        RectificationItem("F3", "无签字，身份证110101199003071234", "2025-12-31", "open", True),))
    files = appendix_files(appeals, lookback)
    assert sorted(files) == ["appeals.yaml", "lookback.yaml"]
    assert b"13812345678" not in files["appeals.yaml"]
    assert b"110101199003071234" not in files["lookback.yaml"]
    back_appeals, back_lookback = read_appendices(files)
    assert back_appeals.rows[0].finding == "漏评，电话138****5678"
    assert back_appeals.rows[1] == appeals.rows[1] and back_appeals.total_before is None
    assert back_lookback.comparison == COMPARISON  # floats exactly, through YAML
    assert back_lookback.rectification[0].overdue is True
    assert read_appendices({}) == (None, None)
    assert appendix_files(None, None) == {}


@pytest.mark.parametrize("name, old, new, message", [
    ("appeals.yaml", b"answer: contested", b"answer: maybe",
     "appeals.yaml: appeals[1].answer: 'maybe' is not one of 'accepted', 'contested'"),
    ("appeals.yaml", b"published_findings: 3", b"published_findings: true",
     "appeals.yaml: published_findings: expected a whole number, found True"),
    ("lookback.yaml", b"state: open", b"state: closed", "lookback.yaml: rectification[1].state"),
    ("lookback.yaml", b"  tested: 1\n", b"", "lookback.yaml: comparison.tested: expected a whole"),
    ("lookback.yaml", b"    ci_low:", b"    low:", "lookback.yaml: comparison.changes[1]: missing ci_low"),
    ("lookback.yaml", None, b"- a list\n", "lookback.yaml: expected a mapping"),
    ("appeals.yaml", None, b"a: [unclosed\n", "appeals.yaml: not readable YAML"),
])
def test_a_malformed_file_is_refused_by_name_and_key(name, old, new, message):
    files = appendix_files(
        Appeals("2026-12-01", "2026-12-10", 3, 80.0, "良好",
                (AppealRow("T3", "漏评", "contested", "理由", "pending", "", ""),)),
        LookBackInputs("last-year", COMPARISON,
                       (RectificationItem("F3", "无签字", "2025-12-31", "open", False),)))
    if old is None:
        files[name] = new
    else:
        assert old in files[name], files[name].decode()
        files[name] = files[name].replace(old, new, 1)
    with pytest.raises(ReportError, match=re.escape(message)):
        read_appendices(files)
