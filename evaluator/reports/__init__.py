"""Scored reports: plain values -> HTML (Jinja) -> PDF (WeasyPrint), with SVG charts.

Submodules are imported on purpose by their users (``evaluator.reports.charts`` is pure and
cheap; ``evaluator.reports.pdf`` loads WeasyPrint, which takes about a second), so this
package itself imports nothing and only holds the error every report step raises.
"""

from __future__ import annotations

#: How report templates link their stylesheet: the preview inlines it in its place
#: (evaluator.reports.build), render_pdf uses its parsed copy instead (evaluator.reports.pdf).
STYLESHEET_LINK = '<link rel="stylesheet" href="report.css">'

#: The garbage collector's thresholds while a report renders (evaluator.reports.pdf) and in a
#: batch worker (evaluator.reports.build): a render makes hundreds of thousands of objects that
#: live until it ends, which the default thresholds (700, 10, 10) would walk again and again.
GC_THRESHOLDS = (50_000, 20, 100)


class ReportError(RuntimeError):
    """A report cannot be produced as asked: a missing font, a refused resource, a bad glyph.

    ``details`` lists every individual problem found (a render collects them all before
    failing), so the CLI and the web view can show each one rather than only the first.
    """

    def __init__(self, message: str, details: tuple[str, ...] | list[str] = ()):
        self.message = message
        self.details = tuple(details)
        text = message if not self.details else message + "\n" + "\n".join(
            f"  - {d}" for d in self.details
        )
        super().__init__(text)
