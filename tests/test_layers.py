"""Dependencies point inward, module by module: every import between the package's parts is an
arrow the layer graph allows, no module outside ``storage`` imports a storage internal (the
``CaseStore`` facade and ``aftersales.storage``'s ``__all__`` are the way in) or reaches the
store's engine, the modules import one another without a cycle, the core parts import no
optional library, and the workflow never reads the wall clock."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

import aftersales

PACKAGE = Path(aftersales.__file__).parent
LAYERS: dict[str, set[str]] = {
    "extras": set(),
    "workflow": set(),
    "metrics": set(),
    "results": set(),
    "histories": {"workflow"},
    "scenarios": set(),
    "formats": {"workflow", "histories", "metrics", "results"},
    "storage": {"extras", "workflow", "histories", "metrics", "results"},
    "diagrams": {"extras", "workflow", "histories", "scenarios"},
    "wechat": {"extras", "workflow", "storage", "results"},
    "testing": {"workflow", "histories", "storage"},
    "cli": {
        "extras",
        "package",
        "workflow",
        "metrics",
        "results",
        "histories",
        "scenarios",
        "formats",
        "storage",
        "diagrams",
        "wechat",
    },
    "package": {"workflow"},
}
"""Each part of the package and the parts it may import (``package`` is ``__init__``)."""
OPTIONAL = {"sqlmodel", "sqlalchemy", "alembic", "psycopg", "graphviz", "typer", "click", "rich"}
LIBRARIES = {
    "workflow": OPTIONAL,
    "histories": OPTIONAL,
    "metrics": OPTIONAL,
    "results": OPTIONAL,
    "formats": OPTIONAL,
    "diagrams": {"sqlmodel", "sqlalchemy", "typer", "click", "psycopg", "alembic", "rich"},
}
"""Libraries a part may not import: the core install has none of them."""
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter"}
KNOWN_CYCLES: set[tuple[str, str]] = set()  # #20 item 3 removed the diagrams' cycles
"""Imports left out of the cycle check, each the import that closes a known cycle: none."""


def module_name(path: Path) -> str:
    """``aftersales.cli.replay`` for ``cli/replay.py``; a package by its ``__init__``."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    """Every module of the package (the Alembic migrations aside) by its name."""
    return {
        module_name(p): p
        for p in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in p.relative_to(PACKAGE).parts
    }


def part_of(module: str) -> str:
    """The top-level part a module belongs to: ``cli`` for ``aftersales.cli.replay``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "package"


def _base(module: str, is_package: bool, level: int) -> list[str]:
    parts = module.split(".") if is_package else module.split(".")[:-1]
    return parts[: len(parts) - (level - 1)]


def imports_of(path: Path, known: set[str]) -> tuple[set[str], set[str]]:
    """The package's modules and the outside libraries a module imports: at the top, inside a
    function or for annotations alone (``TYPE_CHECKING``), a dependency all the same.
    ``from .x import name`` imports the module ``x.name`` when there is one, else ``x``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = module_name(path)
    found: set[str] = set()
    libraries: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _base(me, path.name == "__init__.py", node.level)
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            names = [
                f"{target}.{alias.name}" if f"{target}.{alias.name}" in known else target
                for alias in node.names
            ]
        else:
            continue
        for name in names:
            if name.split(".")[0] == "aftersales":
                found.add(name)
            else:
                libraries.add(name.split(".")[0])
    return found - {me}, libraries


def module_graph() -> dict[str, set[str]]:
    """Each module and the package's modules it imports."""
    known = set(modules())
    return {name: imports_of(path, known)[0] for name, path in modules().items()}


def test_every_import_is_an_allowed_arrow():
    wrong = []
    for module, imported in module_graph().items():
        part = part_of(module)
        assert part in LAYERS, f"{module}: a new part of the package; give it a layer"
        for used in {part_of(name) for name in imported} - {part}:
            if used not in LAYERS[part]:
                wrong.append(f"{module} imports {used}")
    assert wrong == []


def test_the_layer_graph_has_no_cycle():
    try:
        order = list(TopologicalSorter(LAYERS).static_order())
    except CycleError as exc:  # pragma: no cover - the failure this test is for
        raise AssertionError(f"cycle: {exc.args[1]}") from exc
    assert order.index("workflow") < order.index("storage") < order.index("wechat")
    assert order.index("storage") < order.index("cli") and order.index("metrics") < order.index(
        "storage"
    )
    assert order.index("workflow") < order.index("diagrams")


def cycle_in(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph``, if it has one."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        return list(exc.args[1])
    return None


def test_the_modules_import_one_another_without_a_cycle():
    graph = {
        module: {name for name in imported if (module, name) not in KNOWN_CYCLES}
        for module, imported in module_graph().items()
    }
    assert cycle_in(graph) is None


def test_the_known_cycles_are_still_imports():
    graph = module_graph()
    assert {(a, b) for a, b in KNOWN_CYCLES if b not in graph.get(a, set())} == set()


def storage_internals(module: str, imported: set[str]) -> set[str]:
    """The storage modules (other than ``aftersales.storage`` itself) a module imports from
    outside storage."""
    if part_of(module) == "storage":
        return set()
    return {name for name in imported if name.startswith("aftersales.storage.")}


def test_only_storage_imports_its_internals():
    found = {
        module: sorted(storage_internals(module, imported))
        for module, imported in module_graph().items()
    }
    assert {module: names for module, names in found.items() if names} == {}


def engine_reaches(path: Path) -> list[str]:
    """``store.engine`` and ``store.repository`` (on anything named like a store)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in {"engine", "repository"}:
            owner = node.value
            owner_name = getattr(owner, "id", getattr(owner, "attr", ""))
            if owner_name.endswith("store"):
                found.append(f"{path.name}:{node.lineno}")
    return found


def test_nothing_outside_storage_reaches_the_engine():
    found = [
        hit
        for module, path in modules().items()
        if part_of(module) != "storage"
        for hit in engine_reaches(path)
    ]
    assert found == []


def test_the_core_parts_import_no_optional_library():
    known = set(modules())
    wrong = []
    for module, path in modules().items():
        libraries = imports_of(path, known)[1]
        for library in sorted(libraries & LIBRARIES.get(part_of(module), set())):
            wrong.append(f"{module} imports {library}")
    assert wrong == []


def clock_reads(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            owner_name = getattr(owner, "id", getattr(owner, "attr", ""))
            if node.func.attr in CLOCK_CALLS and owner_name in {"datetime", "date", "time"}:
                found.append(f"{path.name}:{node.lineno}")
    return found


def test_workflow_never_reads_the_clock():
    assert [hit for path in (PACKAGE / "workflow").glob("*.py") for hit in clock_reads(path)] == []


@pytest.fixture
def probe():
    path = PACKAGE / "workflow" / "_probe_violation.py"
    yield path
    path.unlink(missing_ok=True)


def test_the_checks_would_catch_a_violation(probe):
    probe.write_text(
        "import sqlmodel\nfrom datetime import datetime\nfrom ..storage.tables import case_table\n"
        "from . import case\n"
        "def f():\n    from ..cli import app\n"
        "x = datetime.now()\ny = store.engine\n"
    )
    imported, libraries = imports_of(probe, set(modules()))
    assert imported == {"aftersales.storage.tables", "aftersales.workflow.case", "aftersales.cli"}
    assert "sqlmodel" in libraries
    assert storage_internals("aftersales.workflow._probe_violation", imported) == {
        "aftersales.storage.tables"
    }
    assert clock_reads(probe) == ["_probe_violation.py:7"]
    assert engine_reaches(probe) == ["_probe_violation.py:8"]
    assert cycle_in({"a": {"b"}, "b": {"c"}, "c": {"a"}}) is not None
    assert cycle_in({"a": {"b"}, "b": {"c"}, "c": set()}) is None
