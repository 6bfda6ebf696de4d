"""The report's plain values: rounding, wording in both languages, every undecided verdict said
in words, privacy (names, ID numbers), and refusal of a sheet that does not fit its inputs."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import pytest

from evaluator.bundle.demo import write_demo
from evaluator.bundle.reader import load_bundle
from evaluator.paths import RUBRICS_DIR
from evaluator.privacy import Scrubber, mask_id_number
from evaluator.reports import ReportError
from evaluator.reports.comparison import build_comparison_context
from evaluator.reports.context import build_context
from evaluator.reports.cover import report_title, running_title, title_parts
from evaluator.reports.formatting import fixed, format_date, format_date_range, percent, plain
from evaluator.reports.inputs import report_date_for
from evaluator.reports.words import chinese_numeral
from evaluator.rubrics.definition import load_rubric
from evaluator.scoring import score
from evaluator.surveys.definition import load_surveys


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """A small synthetic evaluation (600 households, 60 sampled): some verdicts are
    insufficient or undecided, which the report must say in words."""
    from evaluator.paths import SURVEYS_DIR

    surveys = load_surveys(SURVEYS_DIR)
    rubric = load_rubric(RUBRICS_DIR / "union-hardship.yaml", surveys)
    path = write_demo(tmp_path_factory.mktemp("ctx") / "bundle", households=600, seed=5)
    bundle = load_bundle(path, surveys)
    return {"rubric": rubric, "bundle": bundle, "sheet": score(rubric, bundle), "surveys": surveys}


def context(scored, lang="zh", bundle=None, **kwargs):
    return build_context(scored["sheet"], bundle or scored["bundle"], scored["rubric"], lang=lang,
                         surveys=scored["surveys"], software_version="9.9.9", **kwargs)


def text_of(value) -> str:
    return json.dumps(value, ensure_ascii=False)


# -- formatting ---------------------------------------------------------------------------------


def test_numbers_are_rounded_for_reading_only_here():
    assert fixed(76.95285871764376, 2) == "76.95"
    assert fixed(-0.001, 2) == "0.00"
    assert percent(0.0627127096933916) == "6.3%"
    assert plain(20.0) == "20" and plain(0.5) == "0.5" and plain(2.25) == "2.25"


def test_dates_in_both_languages():
    assert format_date(date(2026, 11, 20), "zh") == "2026年11月20日"
    assert format_date(date(2026, 11, 20), "en") == "20 November 2026"
    assert format_date_range(date(2026, 11, 2), date(2026, 11, 20), "zh") == "2026年11月2日至11月20日"
    assert (format_date_range(date(2025, 11, 1), date(2026, 10, 31), "zh")
            == "2025年11月1日至2026年10月31日")
    assert format_date_range(date(2026, 11, 2), date(2026, 11, 20), "en") == "2 November to 20 November 2026"


def test_chinese_chapter_numerals():
    assert [chinese_numeral(n) for n in (1, 9, 10, 11, 20, 23)] == ["一", "九", "十", "十一", "二十", "二十三"]
    with pytest.raises(ValueError):
        chinese_numeral(0)


def test_report_title_ends_in_report_and_the_running_head_fits_one_line():
    assert report_title("某县城市困难职工解困脱困工作成效第三方评估", "zh").endswith("第三方评估报告")
    assert (report_title("演示县第三方评估（演示数据，模拟生成）", "zh")
            == "演示县第三方评估报告（演示数据，模拟生成）")
    assert report_title("某县工作报告", "zh") == "某县工作报告"
    short = "某县第三方评估报告"
    assert running_title(short) == short
    long = "演示县城市困难职工解困脱困工作成效第三方评估报告（演示数据，模拟生成）" * 2
    assert running_title(long).endswith("…") and len(running_title(long)) < len(long)


def test_the_cover_title_breaks_between_its_phrases_never_inside_them():
    title = "演示县城市困难职工解困脱困工作成效第三方评估报告（演示数据，模拟生成）"
    assert title_parts(title) == ["演示县城市困难职工解困脱困工作成效", "第三方评估报告",
                                  "（演示数据，模拟生成）"]
    assert "".join(title_parts(title)) == title
    assert title_parts("某县第三方评估") == ["某县", "第三方评估"]
    assert title_parts("第三方评估报告") == ["第三方评估报告"]


# -- privacy ------------------------------------------------------------------------------------


def test_id_numbers_are_masked_to_first_six_and_last_four():
    assert mask_id_number("110101199003071234") == "110101********1234"
    assert mask_id_number("11010119900307123X") == "110101********123X"
    assert mask_id_number("123") == "***"
    scrub = Scrubber()
    assert scrub("户主身份证110101199003071234已核对") == "户主身份证110101********1234已核对"
    assert scrub("电话 13812345678") == "电话 138****5678"  # mobiles too (evaluator.privacy)


def test_scrubber_hides_the_roster_names():
    scrub = Scrubber(["张三丰", "李四", "王"])  # a one-character name cannot be told from text
    assert scrub("张三丰和李四反映情况，王主任陪同") == "＊＊＊和＊＊反映情况，王主任陪同"


def test_no_head_name_or_id_number_in_the_context_unless_names_are_allowed(scored):
    bundle = scored["bundle"]
    names = {r["head_name"] for r in bundle.roster if r.get("head_name")}
    assert names
    dumped = text_of(context(scored))
    assert not any(name in dumped for name in names)

    roster = tuple({**r, "id_number": f"00000019900307{k:04d}"} for k, r in enumerate(bundle.roster))
    allowed = dataclasses.replace(bundle, meta=dataclasses.replace(bundle.meta, allow_names=True),
                                  roster=roster)
    dumped = text_of(context(scored, bundle=allowed))
    failed = sorted({h for r in scored["sheet"].indicators for h in r.failed_units})
    shown = [h for h in failed if h in dumped]
    assert shown
    by_id = {r["household_id"]: r for r in roster}
    for household in shown:
        assert by_id[household]["head_name"] in dumped
        assert mask_id_number(by_id[household]["id_number"]) in dumped
    assert not any(r["id_number"] in dumped for r in roster)


# -- what the sample could not decide -----------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_undecided_verdict_is_said_in_words(scored, lang):
    ctx = context(scored, lang)
    statements = ctx["summary"]["decidability"]["items"]
    undecided = [r for r in scored["sheet"].indicators
                 if r.verdict in ("indeterminate", "insufficient")]
    assert undecided, "the small demo should leave something undecided"
    assert len(statements) == len(undecided)
    for result, statement in zip(undecided, statements, strict=True):
        assert statement.startswith(result.code + " ")
        if result.verdict == "insufficient" and result.method != "judgement" and result.estimate is not None:
            expected = ("少于评估方案要求的" if lang == "zh" else "fewer than the")
            assert expected in statement and str(result.n) in statement
        elif result.verdict == "indeterminate" and result.ci_low is not None:
            expected = ("无法判定是否达标" if lang == "zh" else "cannot tell whether")
            assert expected in statement
            shown = percent if result.method in ("rate", "checklist", "consistency",
                                                 "completeness") else (lambda x: f"{x:.2f}")
            assert shown(result.ci_low) in statement and shown(result.ci_high) in statement
            assert shown(result.bound) in statement  # the verdict's one-sided bound, checkable by eye


def test_dimension_scores_and_total_are_the_sheets_rounded(scored):
    ctx = context(scored)
    sheet = scored["sheet"]
    rows = ctx["summary"]["dimension_table"]["rows"]
    assert [r["score"] for r in rows] == [f"{d.score:.2f}" for d in sheet.dimensions]
    assert ctx["summary"]["dimension_table"]["total"]["score"] == f"{sheet.total:.2f}"
    assert ctx["summary"]["figures"][0]["value"] == f"{sheet.total:.2f}"


def test_english_context_speaks_english(scored):
    ctx = context(scored, "en")
    assert ctx["summary_chapter"]["title"] == "1 Executive summary"
    assert ctx["html_lang"] == "en"
    ui = text_of({k: v for k, v in ctx.items() if k not in ("report",)})
    for word in ("评估概要", "整改清单", "无法判定", "样本不足", "未达标", "置信区间", "户编号"):
        assert word not in ui, word


def test_report_date_comes_from_the_data_not_the_clock(scored):
    bundle = scored["bundle"]
    day = report_date_for(bundle)
    assert day is not None and day >= bundle.meta.period_end
    assert context(scored)["created"] == day.isoformat()
    assert context(scored, report_date=date(2027, 1, 5))["created"] == "2027-01-05"


def test_a_sheet_that_does_not_fit_its_inputs_is_refused(scored):
    sheet = scored["sheet"]
    with pytest.raises(ReportError, match="rubric"):
        build_context(dataclasses.replace(sheet, rubric_version="1999.1"), scored["bundle"],
                      scored["rubric"])
    with pytest.raises(ReportError, match="data hashes differ"):
        build_context(dataclasses.replace(sheet, data_hash="sha256:0"), scored["bundle"],
                      scored["rubric"])
    with pytest.raises(ReportError, match="language"):
        build_context(sheet, scored["bundle"], scored["rubric"], lang="fr")
    with pytest.raises(ReportError, match="Bundle"):
        build_context(sheet, object(), scored["rubric"])


def test_comparison_ranks_by_the_rounded_total_and_shares_ties(scored):
    bundle = scored["bundle"]
    sheet = dataclasses.replace(scored["sheet"], total=70.0)
    other = dataclasses.replace(bundle, meta=dataclasses.replace(bundle.meta, id="other",
                                                                  evaluated_unit="乙县总工会"))
    better = dataclasses.replace(sheet, total=71.0)
    ctx = build_comparison_context([(sheet, bundle), (better, other)], scored["rubric"])
    rows = ctx["ranking"]["rows"]
    assert [r["unit"] for r in rows] == ["乙县总工会", bundle.meta.evaluated_unit]
    assert [r["rank"] for r in rows] == ["1", "2"]
    assert "".join(ctx["report"]["title_parts"]) == ctx["report"]["title"]
    assert ctx["report"]["title_parts"][-1].startswith("第三方评估")
    tied = dataclasses.replace(sheet, total=70.004)
    ctx = build_comparison_context([(sheet, bundle), (tied, other)], scored["rubric"])
    assert [r["rank"] for r in ctx["ranking"]["rows"]] == ["1", "1"]
    with pytest.raises(ReportError, match="more than once"):
        build_comparison_context([(sheet, bundle), (sheet, bundle)], scored["rubric"])
