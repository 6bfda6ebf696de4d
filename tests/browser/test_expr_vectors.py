"""The browser's expression evaluator (static/js/expr.js) passes every case of the shared vectors
in Chromium itself, from the same JSON AST the server hands the questionnaire page."""

import json
from pathlib import Path

import pytest

from evaluator.definitions.expressions import ExpressionError, parse, to_json
from evaluator.paths import PACKAGE_DIR

pytestmark = pytest.mark.browser

VECTORS = Path(__file__).parents[1] / "vectors" / "expressions.json"

CHECK = """cases => cases.map(c => {
  const same = (got, want) => {
    if (want !== null && typeof want === 'object' && !Array.isArray(want)) {
      if (want.nan) return typeof got === 'number' && isNaN(got);
      if ('inf' in want) return got === (want.inf > 0 ? Infinity : -Infinity);
    }
    if (typeof want === 'number') {
      return typeof got === 'number' && (got === want ||
        Math.abs(got - want) <= 1e-9 * Math.max(Math.abs(want), Math.abs(got)));
    }
    if (Array.isArray(want)) {
      return Array.isArray(got) && got.length === want.length && want.every((w, i) => same(got[i], w));
    }
    return got === want;
  };
  let got, err = null;
  try { got = Expr.evaluate(c.ast, c.answers || {}, {current: c.current, today: c.today || '2026-01-15', instances: c.instances}); }
  catch (e) { err = e; }
  const ok = c.error ? !!(err && err.kind === c.error) : (!err && same(got, c.expect));
  return ok ? null : c.expr + ' -> ' + (err ? 'error ' + err.message : String(got));
}).filter(x => x !== null)"""


def test_every_vector_in_chromium(browser):
    cases, parse_errors = [], 0
    for case in json.loads(VECTORS.read_text(encoding="utf-8")):
        try:
            cases.append({**case, "ast": to_json(parse(case["expr"]))})
        except ExpressionError:
            assert case.get("error") == "parse"  # refused on the server: no AST reaches a page
            parse_errors += 1
    page = browser.new_page()
    page.set_content("<!doctype html><meta charset='utf-8'><title>vectors</title>")
    page.add_script_tag(content=(PACKAGE_DIR / "static" / "js" / "expr.js").read_text("utf-8"))
    failures = page.evaluate(CHECK, cases)
    page.close()
    assert len(cases) + parse_errors == len(json.loads(VECTORS.read_text(encoding="utf-8")))
    assert failures == []
