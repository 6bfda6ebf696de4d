"""The package's shape: no import cycle between evaluator's modules, and tests and benches that
use only its public names (what they need is public, so it can be relied on).

The graph is read from the source (ast), so an import inside a function or under
``TYPE_CHECKING`` counts as an arrow too: it still ties the two modules together.
"""

import ast
from pathlib import Path

import evaluator

PACKAGE = Path(evaluator.__file__).parent


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_graph() -> dict[str, set[str]]:
    """module -> the evaluator modules it imports (a package's own submodules excluded)."""
    known = modules()

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in known.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parents = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parents, base] if base else parents)
                targets.add(base)
                targets.update(f"{base}.{alias.name}" for alias in node.names)
        graph[module] = {found for t in targets if t.startswith("evaluator")
                         if (found := resolve(t)) and found != module
                         and not module.startswith(found + ".")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_lazy_and_type_checking_imports():
    graph = import_graph()
    assert "evaluator.scoring.context" in graph["evaluator.scoring.methods"]  # TYPE_CHECKING
    assert "evaluator.sampling" in graph["evaluator.fieldwork.manage.operations"]  # in a function


def test_no_module_of_the_package_imports_itself_back():
    assert cycles(import_graph()) == []


def private_uses(path: Path) -> list[str]:
    """Underscore names of evaluator a test or bench file imports, reads off a module, or
    monkeypatches (``setattr(module, "_name", ...)``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: set[str] = set()
    found = []

    def private(name: str) -> bool:
        return name.startswith("_") and not name.startswith("__")

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("evaluator"):
            for alias in node.names:
                if private(alias.name):
                    found.append(f"{path.name}:{node.lineno} imports {node.module}.{alias.name}")
                modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            modules.update((a.asname or a.name.split(".")[0]) for a in node.names
                           if a.name.startswith("evaluator"))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and private(node.attr)
                and isinstance(node.value, ast.Name) and node.value.id in modules):
            found.append(f"{path.name}:{node.lineno} reads {node.value.id}.{node.attr}")
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "setattr"
              and len(node.args) >= 2 and isinstance(node.args[0], ast.Name)
              and node.args[0].id in modules and isinstance(node.args[1], ast.Constant)
              and isinstance(node.args[1].value, str) and private(node.args[1].value)):
            found.append(f"{path.name}:{node.lineno} patches {node.args[0].id}.{node.args[1].value}")
    return found


def test_the_private_name_finder_finds_each_kind_of_use(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text("from evaluator.reports import fonts\n"
                      "from evaluator.reports.build import _helper, public\n"
                      "fonts._cache\n"
                      "monkeypatch.setattr(fonts, '_found', None)\n"
                      "monkeypatch.setattr(fonts, 'found', None)\n"
                      "fonts.__name__\n")
    assert private_uses(sample) == ["test_sample.py:2 imports evaluator.reports.build._helper",
                                    "test_sample.py:3 reads fonts._cache",
                                    "test_sample.py:4 patches fonts._found"]


def test_tests_and_benches_use_only_public_names():
    root = PACKAGE.parent
    files = sorted([*(root / "tests").rglob("*.py"), *(root / "bench").glob("*.py")])
    assert files
    assert [use for path in files for use in private_uses(path)] == []


#: Lines a module may have: past this, split it by responsibility (as reports/ and fieldwork/ are).
MAX_LINES = 600


def test_no_module_of_the_package_is_over_600_lines():
    long = {str(path.relative_to(PACKAGE.parent)): n for path in modules().values()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_no_test_bench_or_script_file_is_over_600_lines():
    """The same limit for the tests, benches and static scripts (a long test module is split by
    subject, with shared helpers in tests/support)."""
    root = PACKAGE.parent
    files = [p for folder in ("tests", "bench") for p in (root / folder).rglob("*.py")]
    files += list((PACKAGE / "static" / "js").glob("*.js"))
    assert len(files) > 50
    long = {str(path.relative_to(root)): n for path in files
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
