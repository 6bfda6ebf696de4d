"""The command line starts lean: ``evaluator --help`` imports no command, so none of the heavy
libraries (issue 16: start-up was 1.3 s of CPU, mostly scipy.stats and pyxform)."""

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

HEAVY = ("scipy", "flask", "sqlalchemy", "weasyprint", "pyxform")


GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "bundles" / "golden-demo600"


def modules_imported_by(*args: str) -> set[str]:
    """Modules (dotted names) a fresh ``python -X importtime -m evaluator ARGS`` imports."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "evaluator", *args],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    names = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    assert "evaluator" in names  # the log was read: the package itself is in it
    return names


def imported_by(*args: str) -> set[str]:
    """Top-level packages a fresh ``python -X importtime -m evaluator ARGS`` imports."""
    return {name.split(".")[0] for name in modules_imported_by(*args)}


def test_help_imports_no_heavy_library():
    assert imported_by("--help") & set(HEAVY) == set()


def test_bundle_check_help_imports_no_heavy_library():
    assert imported_by("bundle", "--help") & set(HEAVY) == set()


def test_score_imports_scipy_special_but_not_scipy_stats():
    """Scoring needs the beta, normal and t distributions' functions (scipy.special's ufuncs),
    not scipy.stats, whose import alone cost 0.5-0.6 s of CPU of every ``evaluator score``."""
    names = modules_imported_by("score", str(GOLDEN), "--format", "json")
    # scipy.special's compiled modules were loaded: the bounds were computed, the checks can fail
    assert any(name.startswith("scipy.special._") for name in names)
    assert "scipy.stats" not in names
    # nor scipy.special's own __init__ (0.3 s of CPU): evaluator.sampling.bounds._ufuncs
    assert "scipy.special._support_alternative_backends" not in names
    assert {name.split(".")[0] for name in names} & {"flask", "sqlalchemy", "weasyprint", "pyxform"} == set()


def test_help_lists_each_command_as_its_own_help_says():
    """The summaries written without importing the commands are what click writes from them."""
    from evaluator.cli import COMMANDS, SUMMARIES, main

    assert set(SUMMARIES) == set(COMMANDS)
    lazy = CliRunner().invoke(main, ["--help"]).output
    for name in COMMANDS:  # now every command is loaded, and click describes it itself
        assert main.get_command(None, name) is not None
    eager = CliRunner().invoke(main, ["--help"]).output
    assert "score" in lazy and lazy == eager
