"""The calculation graph of a survey (计算依赖): which calculated rows each calculation reads,
the order that completes a record in one pass, and a cycle through a row. The checks in
``validation`` refuse a cycle; ``definition`` orders a survey's calculations with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from evaluator.definitions.expressions import ExpressionError, parse, references
from evaluator.surveys.subset import row_type


def calculation_graph(rows: Iterable[Mapping]) -> dict[str, list[str]]:
    """calculated row name -> the calculated rows its calculation uses (unparsable ones
    skipped). A calculated row is a calculate row, or a question with a calculation and no
    trigger (ODK recomputes its answer as a calculate's; a trigger sets it only on a change)."""
    calculations: dict[str, set[str]] = {}
    for row in rows:
        kind = row_type(str(row.get("type", "")))[0]
        if kind != "calculate" and (
                not str(row.get("calculation") or "").strip() or row.get("trigger")
                or kind in ("note", "start", "end") or kind.startswith(("begin ", "end "))):
            continue
        try:
            calculations[row["name"]] = references(parse(str(row.get("calculation", ""))))
        except (ExpressionError, KeyError):
            continue
    return {name: sorted(used & calculations.keys()) for name, used in calculations.items()}


def cycle_from(start: str, graph: Mapping[str, list[str]]) -> list[str]:
    """A dependency cycle through ``start``, as the list of names on it, or []."""
    path: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> list[str]:
        if name == start and path:
            return list(path)
        if name in seen:
            return []
        seen.add(name)
        path.append(name)
        for used in graph.get(name, []):
            if found := visit(used):
                return found
        path.pop()
        return []

    return visit(start)


def calculation_order(rows: Iterable[Mapping]) -> tuple[str, ...]:
    """The calculate rows in an order where each comes after the calculations it uses
    (row order among independent ones), so a form or a CSV row can be completed in one pass."""
    rows = list(rows)
    graph = calculation_graph(rows)
    order: list[str] = []
    done: set[str] = set()

    def place(name: str, visiting: frozenset[str]) -> None:
        if name in done or name in visiting:
            return
        for used in graph[name]:
            place(used, visiting | {name})
        done.add(name)
        order.append(name)

    for row in rows:
        if row.get("name") in graph:
            place(row["name"], frozenset())
    return tuple(order)
