"""The package's layers: each imports only the layers below it, and no modules import in a cycle.

An AST walk of ``src/crossorigin`` finds every import: module-level ones, those under
``if TYPE_CHECKING:`` and those inside functions (a lazy import is still a dependency). Each
module belongs to a layer (its subpackage, or a row of ``TOP_LEVEL``); an import is allowed when
its target's layer is the importer's own or one the importer's row of ``MAY_IMPORT`` lists.
Within a layer, imports must not form a cycle either.
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

import crossorigin

PACKAGE = "crossorigin"
ROOT = Path(crossorigin.__file__).resolve().parent

VOCABULARY = "vocabulary"
PUBLIC = "public"

TOP_LEVEL = {
    "_types": VOCABULARY,
    "_errors": VOCABULARY,
    "__init__": PUBLIC,
    "testing": PUBLIC,
    "wsgi": PUBLIC,
    # ``python -m crossorigin`` is the command: it runs the CLI's dispatcher.
    "__main__": "_cli",
}
"""Layer of each module directly in the package; a subpackage is a layer of its own name."""

_SERVER = (VOCABULARY, "_grammar", "_config", "_policy", "_store")

MAY_IMPORT: dict[str, frozenset[str]] = {
    VOCABULARY: frozenset(),
    "_grammar": frozenset({VOCABULARY}),
    "_config": frozenset({VOCABULARY, "_grammar"}),
    "_policy": frozenset({VOCABULARY, "_grammar", "_config"}),
    "_store": frozenset({VOCABULARY, "_grammar", "_config", "_policy"}),
    # The two edges are peers: the same policy behind ASGI and behind WSGI.
    "_asgi": frozenset(_SERVER),
    "_wsgi": frozenset(_SERVER),
    # The browser's side of Fetch imports nothing of the server side, on purpose: the
    # differential tests compare the middleware against it.
    "_browser": frozenset({VOCABULARY}),
    "_cli": frozenset({*_SERVER, "_asgi", "_wsgi", "_browser"}),
    PUBLIC: frozenset({*_SERVER, "_asgi", "_wsgi", "_browser"}),
}
"""The layers each layer may import, besides its own."""

PERMITTED = {
    # ``crossorigin.check`` and ``crossorigin.Report`` need httpx (the [cli] extra): the public
    # package exports them lazily from the CLI's core, in ``__getattr__`` and for type checkers.
    ("crossorigin", "crossorigin._cli.check"),
    # The WSGI edge reports to the same observer and emits the same Decision records as the
    # ASGI edge; that module never touches ``send`` (it belongs below both edges).
    ("crossorigin._wsgi.middleware", "crossorigin._asgi.decisions"),
    # ... and logs its denials with the same one-line rendering (``_asgi.log`` never sends).
    ("crossorigin._wsgi.middleware", "crossorigin._asgi.log"),
}
"""The only imports allowed against the table: (importer, imported module)."""


def module_name(path: Path, root: Path) -> tuple[str, bool]:
    """Dotted name of the module at *path* under the package directory *root*; is it a package?"""
    parts = [PACKAGE, *path.relative_to(root).with_suffix("").parts]
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def imports_of(name: str, is_package: bool, source: str, modules: Iterable[str]) -> set[str]:
    """Every module of the package that the module *name* imports, wherever the import is.

    ``from crossorigin._grammar import headers`` imports ``crossorigin._grammar.headers`` when
    that is a module, and ``crossorigin._grammar`` otherwise (a name defined there).
    """
    known = set(modules)
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name if is_package else name.rpartition(".")[0]
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            if target == PACKAGE or target.startswith(PACKAGE + "."):
                # ``import crossorigin._grammar.origins`` depends on the module, not on parents.
                while target not in known and "." in target:
                    target = target.rpartition(".")[0]
                found.add(target)
    found.discard(name)
    return found


def import_graph(sources: Mapping[str, tuple[bool, str]]) -> dict[str, set[str]]:
    """Module -> modules it imports, for *sources*: module name -> (is a package, source)."""
    return {
        name: imports_of(name, is_package, source, sources)
        for name, (is_package, source) in sources.items()
    }


def read_package(root: Path) -> dict[str, tuple[bool, str]]:
    sources: dict[str, tuple[bool, str]] = {}
    for path in sorted(root.rglob("*.py")):
        name, is_package = module_name(path, root)
        sources[name] = (is_package, path.read_text(encoding="utf-8"))
    return sources


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return PUBLIC
    if len(parts) == 2 and parts[1] in TOP_LEVEL:
        return TOP_LEVEL[parts[1]]
    layer = parts[1]
    if layer not in MAY_IMPORT:
        raise LookupError(f"{module} is in no layer: add it to the layer table")
    return layer


def upward_imports(graph: Mapping[str, set[str]]) -> list[str]:
    """One line per import that the layer table does not allow."""
    bad = []
    for importer, targets in sorted(graph.items()):
        own = layer_of(importer)
        for target in sorted(targets):
            layer = layer_of(target)
            if layer == own or layer in MAY_IMPORT[own] or (importer, target) in PERMITTED:
                continue
            bad.append(f"{importer} ({own}) imports {target} ({layer})")
    return bad


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The import cycles of *graph* (its strongly connected components with more than one
    module), the permitted imports left out. Tarjan's algorithm."""
    edges = {
        importer: sorted(t for t in targets if (importer, t) not in PERMITTED and t in graph)
        for importer, targets in graph.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(read_package(ROOT))


def test_every_module_is_in_a_layer(graph: dict[str, set[str]]) -> None:
    """A new module or subpackage must be placed in the table before it can import anything."""
    for module in graph:
        layer_of(module)


def test_no_upward_imports(graph: dict[str, set[str]]) -> None:
    """Each layer imports only the layers below it (lazy and TYPE_CHECKING imports included)."""
    assert upward_imports(graph) == []


def test_no_import_cycles(graph: dict[str, set[str]]) -> None:
    """No modules import each other, even through type-only imports."""
    assert cycles(graph) == []


def test_the_walk_sees_the_middleware_imports(graph: dict[str, set[str]]) -> None:
    """The walk is not vacuous: the middleware's known imports are found."""
    assert {"crossorigin._policy.policy", "crossorigin._types"} <= graph[
        "crossorigin._asgi.middleware"
    ]
    assert "crossorigin._cli.check" in graph["crossorigin"]


def test_subpackage_inits_hold_only_a_docstring() -> None:
    """Each layer's ``__init__.py`` says what the layer owns and may import, and nothing more."""
    inits = sorted(ROOT.glob("*/__init__.py"))
    assert {init.parent.name for init in inits} >= {"_grammar", "_config", "_policy", "_asgi"}
    for init in inits:
        body = ast.parse(init.read_text(encoding="utf-8")).body
        doc = ast.get_docstring(ast.Module(body=body, type_ignores=[]))
        assert doc is not None, init
        assert "May import" in doc, init
        assert body[1:] == [], init


def test_console_script_names_the_dispatcher() -> None:
    """pyproject's ``crossorigin`` script points at a function that exists in the new layout."""
    # Python 3.10 has no tomllib; pytest itself depends on tomli there.
    tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    pyproject = tomllib.loads((ROOT.parent.parent / "pyproject.toml").read_text(encoding="utf-8"))
    target = pyproject["project"]["scripts"]["crossorigin"]
    assert target == "crossorigin._cli.dispatch:main"
    module, _, name = target.partition(":")
    assert callable(getattr(importlib.import_module(module), name))


def _synthetic(extra: Mapping[str, str]) -> dict[str, tuple[bool, str]]:
    sources = read_package(ROOT)
    sources.update({name: (False, source) for name, source in extra.items()})
    return sources


UPWARD = {
    "module level": "from crossorigin._asgi.middleware import CORSMiddleware\n",
    "type checking only": (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from crossorigin._asgi import middleware\n"
    ),
    "inside a function": "def f():\n    import crossorigin._asgi.middleware\n",
    "relative": "from .._asgi.middleware import CORSMiddleware\n",
    "the package itself": "from crossorigin import CORSMiddleware\n",
}


@pytest.mark.parametrize("source", UPWARD.values(), ids=UPWARD.keys())
def test_an_upward_import_fails(source: str) -> None:
    """A grammar module that imports the ASGI edge (or the public package) is reported."""
    graph = import_graph(_synthetic({"crossorigin._grammar.upward": source}))
    bad = upward_imports(graph)
    assert len(bad) == 1
    assert bad[0].startswith("crossorigin._grammar.upward (_grammar) imports crossorigin")


def test_the_browser_model_may_not_import_the_grammar() -> None:
    """The Fetch model shares no rule with the server side, not even the grammar."""
    source = "from crossorigin._grammar.origins import parse_origin\n"
    graph = import_graph(_synthetic({"crossorigin._browser.shared": source}))
    assert upward_imports(graph) == [
        "crossorigin._browser.shared (_browser) imports crossorigin._grammar.origins (_grammar)"
    ]


def test_peers_may_not_import_each_other() -> None:
    graph = import_graph(
        _synthetic({"crossorigin._wsgi.adapter": "from crossorigin._asgi import middleware\n"})
    )
    assert upward_imports(graph) == [
        "crossorigin._wsgi.adapter (_wsgi) imports crossorigin._asgi.middleware (_asgi)"
    ]


def test_a_cycle_fails() -> None:
    """Two modules of one layer that import each other (one of them only for typing) form a cycle."""
    graph = import_graph(
        _synthetic(
            {
                "crossorigin._grammar.a": "from crossorigin._grammar import b\n",
                "crossorigin._grammar.b": (
                    "from typing import TYPE_CHECKING\n"
                    "if TYPE_CHECKING:\n"
                    "    from crossorigin._grammar.a import X\n"
                ),
            }
        )
    )
    assert ["crossorigin._grammar.a", "crossorigin._grammar.b"] in cycles(graph)


def test_an_unknown_layer_fails() -> None:
    with pytest.raises(LookupError, match=r"crossorigin\._somewhere\.x is in no layer"):
        layer_of("crossorigin._somewhere.x")
