"""The production entry point: ``gunicorn -c python:evaluator.ops.gunicorn_conf evaluator.wsgi:app``
(what ``evaluator serve --production`` runs). Refuses an unsafe configuration
(evaluator.ops.production)."""

from evaluator.ops.production import production_app

app = production_app()
