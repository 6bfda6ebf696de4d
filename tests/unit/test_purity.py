"""The pure core must stay importable without Flask or SQLAlchemy (a fresh interpreter proves it)."""

import subprocess
import sys

import pytest

PURE_MODULES = [
    "evaluator.definitions.expressions",
    "evaluator.rubrics.definition",
    "evaluator.surveys.definition",
    "evaluator.bundle",
    "evaluator.sampling",
    "evaluator.scoring",
    "evaluator.scoring.commands",
    "evaluator.reports.charts",
    "evaluator.tables",
    "evaluator.studio.editing",
    "evaluator.studio.diff",
    "evaluator.studio.comparison",
]


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_module_imports_neither_flask_nor_sqlalchemy(module):
    code = (
        f"import sys, {module}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'flask_wtf', 'flask_login'))\n"
        "print(' '.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
