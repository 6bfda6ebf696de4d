"""Fieldwork (实地评估): evaluations, rosters, samples, assignments, submissions and review.

Evaluation teams work here all day on tablets with a weak signal. The server side keeps the
records safe and consistent: models with CHECK constraints (models.py), operations that take the
acting user and only flush (operations.py), permission helpers (permissions.py), questionnaire
forms generated from survey definitions (forms.py, logic.py), the tablet pages and the lead's
pages (views_*.py, wired in blueprint.py), the idempotent submissions API (api.py), exports
(exports.py) and quality flags (quality.py).
"""
