"""Fieldwork (实地评估): evaluations, rosters, samples, assignments, submissions and review.

Evaluation teams work here all day on tablets with a weak signal. The server side keeps the
records safe and consistent. One room per kind of work, each with its views, page forms and
operations (operations take the acting user, check, audit and only flush):

- ``collect/``  the team in the field: assignments, questionnaire pages, forums, findings and
  judgement scores, the offline service worker, and the idempotent submissions API (api.py).
- ``review/``   the lead's look at what came in: records and review states, quality flags,
  call-back checks (回访复核), the audit trail, photos behind a permission check.
- ``manage/``   the lead's set-up: evaluations, roster, members, sample, assignments, system
  data uploads (uploads.py), and the demo evaluation (demo.py).
- ``exports/``  what leaves: ODK Central's CSV/XLSX and the bundle (files.py), the scores the
  CLI would give (scores.py), the report preview and PDF (report.py).

Shared by every room, at this level: models with CHECK constraints (models.py), permission
helpers (permissions.py), read queries (queries.py), questionnaire forms generated from survey
definitions (forms.py, logic.py), photo storage (attachments.py), ``OperationError`` and the
audit trail (audit.py), view helpers (views_common.py), and every URL in one table (blueprint.py).
"""
