"""Where the shipped definitions and templates are.

In a checkout (and an editable install) they are the top-level folders of the repository; a
built wheel carries copies under ``evaluator/_shipped``. Everything that needs them asks here.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT = PACKAGE_DIR.parent
_SHIPPED = PACKAGE_DIR / "_shipped"


def _shipped(name: str) -> Path:
    in_checkout = _CHECKOUT / name
    if in_checkout.is_dir() and (_CHECKOUT / "pyproject.toml").is_file():
        return in_checkout
    return _SHIPPED / name


TEMPLATES_DIR = _shipped("templates")
RUBRICS_DIR = _shipped("rubrics")
SURVEYS_DIR = _shipped("surveys")
