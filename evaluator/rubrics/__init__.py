"""Rubrics (评估指标体系): the weighted indicator system an evaluation is scored against.

A rubric is data written by a rubric author, not code: YAML under ``rubrics/``. This package
reads it (``definition``), checks it alone and against the surveys that feed it
(``validation``, with ``parameter_rules`` and ``survey_references``; the method table is
``method_table``) and offers ``evaluator check`` (``commands``). Scoring lives elsewhere and only
consumes the frozen ``Rubric`` built here.
"""
