"""Survey definitions (问卷定义): the XLSForm model kept as YAML, checked before any fieldwork.

``definition`` (with ``subset``, ``validation`` and ``yaml_io``) and ``xlsform`` are pure (no
Flask, no SQLAlchemy) so the CLI, the scoring engine and the tests can load questionnaires without
building the web app.
"""
