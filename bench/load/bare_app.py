"""The load test's floor on the same stack: the production app plus ``POST /bench/bare``
(bench/load/bare.py). It exists only in this benchmark's gunicorn
(``Stack(wsgi_app="bare_app:app")``), never in the product."""

from __future__ import annotations

from bare import add_bare_endpoint

from evaluator.ops.production import production_app

app = add_bare_endpoint(production_app())
