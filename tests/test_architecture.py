"""The house: the import graph of ``qindex/`` has no circle, the top of a file says what it depends on, no
private name crosses a module, and the public face documents every name it offers.

The graph is read from the source with ``ast`` (what a reader sees), not from ``sys.modules``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

import qindex

PACKAGE = Path(qindex.__file__).parent
#: Function-local imports of qindex modules allowed, and why: the command line imports each command's
#: modules only when that command runs, so ``qindex validate`` does not pay for papermill, Dask or plotting.
LOCAL_IMPORTS_ALLOWED = {"qindex.cli"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path):
    """(imported qindex module, is it inside a function, the names imported) for every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                for alias in child.names:
                    full = f"{base}.{alias.name}"
                    target = full if full in MODULES else base
                    if target in MODULES and target != name:
                        yield target, in_function, alias.name
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name in MODULES:
                        yield alias.name, in_function, alias.name
            yield from visit(child, inside)

    yield from visit(tree, False)


def _graph() -> dict[str, set[str]]:
    return {name: {t for t, _, _ in _imports(name, path)} for name, path in MODULES.items()}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def connect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            connect(v)
    return out


def test_the_circle_finder_finds_a_circle():
    # hand-made graph: a -> b -> c -> a is one circle, d -> a is not part of it
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_the_import_graph_has_no_circle():
    assert _circles(_graph()) == []


def test_the_graph_reads_the_imports_a_reader_sees():
    graph = _graph()
    # spot checks against the files themselves: the panel stands on both readers, the reports on the computation
    assert {"qindex.observations", "qindex.office", "qindex.precedence"} <= graph["qindex.panel"]
    assert "qindex.plan_assessment" in graph["qindex.reports.plan"]
    assert "qindex.runner.params" in graph["qindex.runner.execute"]


def test_the_top_of_a_file_names_what_it_depends_on():
    local = sorted(
        f"{name} imports {target} inside a function"
        for name, path in MODULES.items()
        if name not in LOCAL_IMPORTS_ALLOWED
        for target, in_function, _ in _imports(name, path)
        if in_function
    )
    assert local == []


def test_no_private_name_crosses_a_module():
    crossing = sorted(
        f"{name} imports {alias} from {target}"
        for name, path in MODULES.items()
        for target, _, alias in _imports(name, path)
        if alias.startswith("_") and not alias.startswith("__")
    )
    assert crossing == []


def test_layers_point_down():
    """The lower floors never import the higher ones: input < panel < computation < reports < command line."""
    graph = _graph()
    floors = [
        {"qindex.paths", "qindex.errors", "qindex.schema", "qindex.units", "qindex.sources"},
        {"qindex.trend"},
        {"qindex.checks", "qindex.sheets", "qindex.store", "qindex.tables"},
        {
            "qindex.catalog",
            "qindex.observations",
            "qindex.office",
            "qindex.precedence",
            "qindex.scheme",
        },
        {"qindex.panel"},
        {
            "qindex.progress",
            "qindex.plan_assessment",
            "qindex.year_assessment",
            "qindex.comparison",
            "qindex.scorecard",
            "qindex.statements",
        },
        {m for m in MODULES if m.startswith("qindex.reports")},
        {"qindex.cli"},
    ]
    floor_of = {m: i for i, names in enumerate(floors) for m in names}
    upward = sorted(
        f"{a} (floor {floor_of[a]}) imports {b} (floor {floor_of[b]})"
        for a, targets in graph.items()
        for b in targets
        if a in floor_of and b in floor_of and floor_of[b] > floor_of[a]
    )
    assert upward == []
    composite = {m for m in MODULES if m.startswith("qindex.composite")}
    outside = {t for m in composite for t in graph[m]} - composite
    assert outside <= {"qindex.errors", "qindex.checks", "qindex.parallel"}  # a pure toolkit


@pytest.mark.parametrize("name", [n for n in qindex.__all__ if n != "QIndexError"])
def test_every_public_name_is_documented_with_its_returns_and_an_example(name):
    obj = getattr(qindex, name)
    doc = inspect.getdoc(obj) or ""
    assert "Parameters\n" in doc and "Returns\n" in doc and ">>> " in doc, name
    # it is the function of the module the face names
    module = importlib.import_module(qindex._WHERE[name])
    assert getattr(module, name) is obj


def test_the_public_face_is_what_dir_shows():
    assert set(qindex.__all__) <= set(dir(qindex))
    assert len(qindex.__all__) == 1 + sum(len(v) for v in qindex.FACE.values())
