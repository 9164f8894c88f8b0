"""No import circles anywhere in samflow's packages: not between capabilities (import-linter
checks those) and not between two modules of one package either. A circle makes import
order matter, hides which module owns what, and defeats deferred imports.

The graph is grimp's (the one import-linter builds), so imports inside functions count too.

And no package folder holds more than twelve modules (issue 9): a folder that grows past it
gets a second level, grouped by capability (``scripts/restructure.py`` moves the modules).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grimp
import pytest

PACKAGES = ("engine", "api", "flows", "forms", "cli")
ROOT = Path(__file__).resolve().parents[1]
#: At most this many modules in one package folder, ``__init__.py`` not counted.
LIMIT = 12
#: Python files that are data: Alembic's revisions, one file per change of the schema.
NOT_COUNTED = {"engine/db/migrations/versions"}


def circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def imported(module: str) -> Iterator[str]:
        return iter(sorted(graph.find_modules_directly_imported_by(module)))

    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, imported(root))]
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
                    work.append((child, imported(child)))
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


def _example(edges: list[tuple[str, str]]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for importer, imported in edges:
        graph.add_import(importer=importer, imported=imported)
    return graph


def test_the_finder_sees_a_circle_and_nothing_else() -> None:
    graph = _example([("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")])
    assert circles(graph) == [["p.a", "p.b", "p.c"]]
    assert circles(_example([("p.a", "p.b"), ("p.b", "p.c"), ("p.a", "p.c")])) == []


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def test_no_import_circles(graph: grimp.ImportGraph) -> None:
    found = circles(graph)
    assert not found, "import circles:\n" + "\n".join(" <-> ".join(c) for c in found)


def crowded(root: Path, tops: tuple[str, ...], limit: int = LIMIT) -> dict[str, int]:
    """Every package folder (one with an ``__init__.py``) under ``tops`` holding more than
    ``limit`` modules, with its count."""
    found = {}
    for top in tops:
        for init in sorted((root / top).rglob("__init__.py")):
            folder = init.parent
            name = folder.relative_to(root).as_posix()
            if "__pycache__" in folder.parts or name in NOT_COUNTED:
                continue
            count = sum(1 for p in folder.glob("*.py") if p.name != "__init__.py")
            if count > limit:
                found[name] = count
    return found


def test_the_counter_sees_a_crowded_folder(tmp_path: Path) -> None:
    def package(name: str, modules: int) -> None:
        folder = tmp_path / name
        folder.mkdir(parents=True)
        (folder / "__init__.py").write_text("")
        for i in range(modules):
            (folder / f"m{i}.py").write_text("")

    package("p", 12)
    package("p/q", 13)
    package("p/r", 3)
    (tmp_path / "p" / "data").mkdir()  # no __init__: not a package, not counted
    for i in range(20):
        (tmp_path / "p" / "data" / f"d{i}.py").write_text("")
    assert crowded(tmp_path, ("p",)) == {"p/q": 13}
    assert crowded(tmp_path, ("p",), limit=11) == {"p": 12, "p/q": 13}


def test_no_folder_holds_more_than_twelve_modules() -> None:
    found = crowded(ROOT, PACKAGES)
    assert not found, (
        f"package folders with more than {LIMIT} modules (group them: add the modules to "
        "MOVES in scripts/restructure.py and run it): "
        + ", ".join(f"{k}/ {v}" for k, v in found.items())
    )
