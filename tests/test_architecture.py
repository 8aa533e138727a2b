"""The folders are the architecture: the core imports no edge, and no modules import in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "nightvoice"

# What the pure core may never import: the machine lives at the edges.
FORBIDDEN_IN_CORE = {"click", "pyttsx3", "termios", "tty", "subprocess", "time", "jeepney"}
EDGES = (
    "nightvoice.sound",
    "nightvoice.console",
    "nightvoice.desktop",
    "nightvoice.user",
    "nightvoice.cli",
)
TOP_LEVEL = (
    "nightvoice.session",
    "nightvoice.boundary",
    "nightvoice.firstwords",
    "nightvoice.earlyvoice",
    "nightvoice.__main__",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function (lazy imports count too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            # `from nightvoice.user import paths` imports the module nightvoice.user.paths.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {
    name: {imported for imported in imports_of(path) if imported in MODULES and imported != name}
    for name, path in MODULES.items()
}


def test_every_module_sits_in_a_part_of_the_design() -> None:
    """A new module goes into core/, sound/, console/, desktop/ or user/, or one of the few at the top."""
    loose = {
        name
        for name in MODULES
        if name.count(".") == 1
        and name not in {"nightvoice.cli", "nightvoice.__init__", *TOP_LEVEL}
        and not name.endswith(("core", "sound", "console", "desktop", "user"))
    }
    assert loose == set()


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("nightvoice.core")))
def test_the_core_imports_no_edge(name: str) -> None:
    """Core modules import neither the machine (click, pyttsx3, termios, time...) nor an edge."""
    imported = imports_of(MODULES[name])
    machine = {m for m in imported if m.split(".")[0] in FORBIDDEN_IN_CORE}
    edges = {m for m in imported if m.startswith(EDGES + TOP_LEVEL)}
    assert (machine, edges) == (set(), set())


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle in the graph, as the list of modules around it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_two_modules_import_each_other_in_a_circle() -> None:
    """Walks every import of every module (lazy ones included): no cycle anywhere."""
    assert find_cycle(GRAPH) is None


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The check above would notice one (audio.py and aplay.py used to import each other)."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
