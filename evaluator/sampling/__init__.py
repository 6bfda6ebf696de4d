"""Sampling (抽样): sample sizes, stratified allocation and a seeded, repeatable household draw.

Pure code (numpy and scipy only, no Flask or SQLAlchemy): the CLI, the bundle builder and the
demo-data generator all call these functions, so the same roster and seed give the same sample
everywhere. Formulas and the draw algorithm are documented in docs/sampling.md.
"""

from evaluator.sampling.allocation import allocate
from evaluator.sampling.draw import SAMPLE_COLUMNS, Draw, draw
from evaluator.sampling.plan import draw_sample, plan_allocation, sample_plan
from evaluator.sampling.roster import Roster, read_roster
from evaluator.sampling.size import size_for_margin, size_for_threshold, upper_bound

__all__ = [
    "SAMPLE_COLUMNS",
    "Draw",
    "Roster",
    "allocate",
    "draw",
    "draw_sample",
    "plan_allocation",
    "read_roster",
    "sample_plan",
    "size_for_margin",
    "size_for_threshold",
    "upper_bound",
]
