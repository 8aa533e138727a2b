"""The folders are the architecture: the packages form a stack, the core imports no edge, the
bottom imports nothing of nightvoice, and nothing imports in a circle (modules or packages)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "nightvoice"

# What the pure core may never import: the machine lives at the edges.
FORBIDDEN_IN_CORE = {"click", "pyttsx3", "termios", "tty", "subprocess", "time", "jeepney"}
# The stack, bottom first: a part imports only parts on a lower floor (and itself). session.py
# and boundary.py (one run; errors to exit codes) are a floor of their own: standby/ plays
# through the session, so it sits above it. The modules at the top (cli, __main__) are one part
# each, on the top floor, and may use each other.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("nightvoice", "nightvoice.base", "nightvoice.core"),  # `nightvoice`: its __version__
    ("nightvoice.sound", "nightvoice.console", "nightvoice.desktop"),
    ("nightvoice.user",),
    ("nightvoice.startup",),
    ("nightvoice.session", "nightvoice.boundary"),
    ("nightvoice.standby",),
)
PACKAGES = tuple(part for floor in FLOORS for part in floor if part != "nightvoice")
TOP_LEVEL = ("nightvoice.cli", "nightvoice.__main__")


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
            # `from nightvoice.base import paths` imports the module nightvoice.base.paths.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {
    name: {imported for imported in imports_of(path) if imported in MODULES and imported != name}
    for name, path in MODULES.items()
}


def part_of(module: str) -> str:
    """The package (or top-level module) a module belongs to: a node of the package graph."""
    for part in PACKAGES:
        if module == part or module.startswith(part + "."):
            return part
    return module  # a top-level module, or the package's own __init__ (`nightvoice`)


def floor_of(part: str) -> int:
    for number, floor in enumerate(FLOORS):
        if part in floor:
            return number
    return len(FLOORS)  # the top-level modules


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Which part imports which (imports inside a part left out)."""
    parts: dict[str, set[str]] = {}
    for module, imported in graph.items():
        mine = part_of(module)
        parts.setdefault(mine, set()).update(
            part_of(other) for other in imported if part_of(other) != mine
        )
    return parts


PARTS = package_graph(GRAPH)


def test_every_module_sits_in_a_part_of_the_design() -> None:
    """A new module goes into a package of the stack, or is one of the few at the top."""
    loose = {
        name
        for name in MODULES
        if part_of(name) == name and name not in {*TOP_LEVEL, "nightvoice", *PACKAGES}
    }
    assert loose == set()


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("nightvoice.core")))
def test_the_core_imports_no_edge(name: str) -> None:
    """Core modules import neither the machine (click, pyttsx3, termios, time...) nor an edge."""
    imported = imports_of(MODULES[name])
    machine = {m for m in imported if m.split(".")[0] in FORBIDDEN_IN_CORE}
    edges = {m for m in imported if m in MODULES and not m.startswith("nightvoice.core")}
    assert (machine, edges) == (set(), set())


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("nightvoice.base")))
def test_the_bottom_imports_nothing_else_of_nightvoice(name: str) -> None:
    """base/ (folders, reading and writing files, background jobs, the playing lock) is what
    every part uses, so it uses none of them."""
    others = {
        m for m in imports_of(MODULES[name]) if m in MODULES and not m.startswith("nightvoice.base")
    }
    assert others == set()


@pytest.mark.parametrize("part", sorted(PARTS))
def test_each_part_imports_only_parts_below_it(part: str) -> None:
    """The stack: base and core, then sound/console/desktop, then user, then startup, then the
    session, then standby, then the commands at the top. An arrow that runs up (user/ imported
    by sound/, the session importing standby) fails here."""
    upward = {other for other in PARTS[part] if floor_of(other) >= floor_of(part)}
    if floor_of(part) == len(FLOORS):  # the top-level modules may use each other
        upward = {other for other in upward if floor_of(other) > floor_of(part)}
    assert upward == set()


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle in the graph, as the list of nodes around it, or None."""
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


def test_no_two_packages_import_each_other_in_a_circle() -> None:
    """The same, a floor up: sound/ importing user/ while user/ imports sound/ is a cycle of
    packages even when no two modules form one."""
    assert find_cycle(PARTS) is None


def test_the_cycle_finders_find_a_cycle() -> None:
    """The checks above would notice one, of modules or of packages (sound/ and user/ used to
    import each other through paths.py and config.py)."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    modules = {
        "nightvoice.sound.lengths": {"nightvoice.user.paths"},
        "nightvoice.user.paths": set(),
        "nightvoice.user.config": {"nightvoice.sound.engines"},
        "nightvoice.sound.engines": set(),
    }
    assert find_cycle(modules) is None
    assert find_cycle(package_graph(modules)) == [
        "nightvoice.sound",
        "nightvoice.user",
        "nightvoice.sound",
    ]
