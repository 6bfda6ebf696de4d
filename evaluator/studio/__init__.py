"""The rubric studio (指标体系编辑): authors start, edit, check, try and publish rubric versions
in the browser, and upload and preview surveys.

The pure parts (``editing``, ``diff``, ``comparison``) import neither Flask nor SQLAlchemy: the
form's fields become rubric content and back, two versions are compared, two score sheets are
set side by side. The rules are ``evaluator check``'s own (``evaluator.rubrics.validation``);
nothing here re-states them.
"""
