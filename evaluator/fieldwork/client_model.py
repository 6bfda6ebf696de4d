"""The browser's copy of a questionnaire's rules (表单模型): plain JSON for static/js/form.js.

The same rules ``logic.FormModel`` checks on the server, as ASTs in the same order, so the tablet
checks offline exactly what the server will. Keys a survey's rows do not use are left out: the
shipped surveys' model stays byte-identical as XLSForm columns are added.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evaluator.definitions.expressions import to_json

if TYPE_CHECKING:
    from evaluator.fieldwork.logic import FormModel, Rule


def client_model(model: FormModel) -> dict[str, Any]:
    """Plain JSON for static/js/form.js: the same rules as ASTs, in the same order."""
    fields = {}
    for name, rule in model.rules.items():
        fields[name] = {
            "type": rule.type,
            "repeat": rule.repeat,
            "choices": list(rule.choices),
            "required": rule.required,
            "required_if": to_json(rule.required_if) if rule.required_if else None,
            "relevant": [to_json(n) for n in rule.relevant],
            "constraint": to_json(rule.constraint) if rule.constraint else None,
            "calculation": to_json(rule.calculation) if rule.calculation else None,
            "choice_filter": to_json(rule.choice_filter) if rule.choice_filter else None,
            "constraint_message": rule.constraint_message,
            "required_message": rule.required_message,
        }
        if rule.parameters:
            fields[name]["parameters"] = rule.parameters
        fields[name].update(_tablet_columns(model, rule))
    choice_extra = {}
    for rule in model.rules.values():
        if rule.choice_filter is not None and rule.list_name:
            choice_extra[rule.list_name] = {
                c.name: dict(c.extra) for c in model.survey.choices.get(rule.list_name, [])}
    return {
        "survey": model.survey.id,
        "version": model.survey.version,
        "top": list(model.top),
        "repeats": {name: {"fields": fields_, "relevant": [
            to_json(n) for n in model.repeat_relevant[name]], **(
                {"count": to_json(model.repeat_count[name])}
                if name in model.repeat_count else {})}
            for name, fields_ in model.repeats.items()},
        "calculations": list(model.calculations),
        "fields": fields,
        **({"instances": model.instances} if model.instances else {}),
        "choice_extra": choice_extra,
    }


def _tablet_columns(model: FormModel, rule: Rule) -> dict[str, Any]:
    """default, read_only, trigger and appearance, only where the row has them (the
    shipped surveys' client model stays as it was)."""
    found: dict[str, Any] = {}
    if rule.default:
        found["default"] = rule.default
    if rule.default_expr is not None:
        found["default_expr"] = to_json(rule.default_expr)
    if rule.read_only is True:
        found["read_only"] = True
    elif rule.read_only is not False:
        found["read_only"] = to_json(rule.read_only)
    if rule.trigger:
        found["trigger"] = list(rule.trigger)
    appearance = model.survey.fields[rule.name].appearance
    if appearance:
        found["appearance"] = appearance
    return found
