"""Programmes (评估项目总体): many evaluation units under one rubric version and period —
created, filled from a sheet of units, followed on a dashboard, compared and pooled
(the statistics are in evaluator.scoring.pooled and evaluator.scoring.ranking)."""
