"""Make sure a CJK font is installed before rendering a Chinese report.

Without one, WeasyPrint lays out every Chinese character as an empty box (tofu) and the PDF
still *looks* right to pdftotext, so the problem would only show up on paper. fontconfig is
what Pango (WeasyPrint's text layout) asks for fonts, so asking ``fc-list`` tells the truth.
"""

from __future__ import annotations

import shutil
import subprocess

from evaluator.reports import ReportError

INSTALL_HINT = "apt-get install fonts-noto-cjk"

# Simplified-Chinese faces first: the same Han codepoint has different glyph shapes in the
# SC, TC, JP and KR faces of Noto CJK, and a mainland report must use the SC ones.
PREFERRED_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Serif CJK SC",
    "Noto Sans SC",
    "Noto Serif SC",
    "Source Han Sans SC",
    "Source Han Serif SC",
)

# Positive results only: a font installed while the process runs is found on the next call.
found_family: str | None = None


def fc_list_chinese() -> str:
    """Return fontconfig's list of families that cover Chinese (one font per line)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise ReportError(
            "fontconfig's fc-list was not found, so no CJK font can be checked for; "
            f"install fontconfig and a Chinese font: {INSTALL_HINT}"
        )
    result = subprocess.run(
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=30, check=False
    )
    if result.returncode != 0:
        raise ReportError(f"fc-list failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def cjk_families() -> list[str]:
    """Every installed font family that covers Chinese, sorted, each name once."""
    families: set[str] = set()
    for line in fc_list_chinese().splitlines():
        # A font with localised names lists them comma-separated; each one is a valid name.
        for name in line.split(","):
            name = name.strip()
            if name:
                families.add(name)
    return sorted(families)


def check_cjk_font(*, refresh: bool = False) -> str:
    """Return the CJK font family reports will be set in, or raise ReportError.

    The preferred Simplified-Chinese family comes first; any other Chinese-capable family
    is accepted (the render's missing-glyph check still guards the output).
    """
    global found_family
    if found_family is not None and not refresh:
        return found_family
    families = cjk_families()
    if not families:
        raise ReportError(
            "no font that covers Chinese is installed, so the report would print empty "
            f"boxes instead of characters; install one with: {INSTALL_HINT}"
        )
    chosen = next((f for f in PREFERRED_FAMILIES if f in families), families[0])
    found_family = chosen
    return chosen
