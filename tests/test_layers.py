"""Dependencies point inward, for the whole package: every import between its parts is an
arrow the layer graph allows, none points outward, there is no cycle; the workflow imports no
storage, drawing or command-line library and never reads the wall clock."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import aftersales

PACKAGE = Path(aftersales.__file__).parent
LAYERS: dict[str, set[str]] = {
    "extras": set(),
    "workflow": set(),
    "histories": {"workflow"},
    "scenarios": set(),
    "storage": {"extras", "workflow", "histories"},
    "diagrams": {"extras", "workflow", "histories", "scenarios"},
    "wechat": {"extras", "workflow", "storage"},
    "metrics": {"workflow", "storage"},
    "pytest_plugin": {"workflow", "histories", "storage", "wechat"},
    "console": {"extras", "workflow", "histories", "storage"},
    "account": {"workflow", "histories", "console"},
    "report_view": {"metrics", "console"},
    "chart": {"extras", "metrics"},
    "formats": {"workflow", "histories", "metrics"},
    "reference": {"workflow", "wechat", "formats", "cli"},
    "demo": {"workflow", "histories", "scenarios", "storage", "console", "diagrams"},
    "cli": {
        "extras",
        "formats",
        "workflow",
        "histories",
        "storage",
        "diagrams",
        "wechat",
        "metrics",
        "console",
        "account",
        "report_view",
        "chart",
        "demo",
        "package",
    },
    "package": {"workflow"},
    "command": {"cli"},
}
"""Each part of the package and the parts it may import (``package`` is ``__init__``)."""
LIBRARIES = {
    "workflow": {
        "sqlmodel",
        "sqlalchemy",
        "graphviz",
        "typer",
        "click",
        "psycopg",
        "alembic",
        "rich",
    },
    "diagrams": {"sqlmodel", "sqlalchemy", "typer", "click", "psycopg", "alembic"},
    "histories": {"sqlmodel", "sqlalchemy", "graphviz", "typer", "rich"},
}
"""Libraries a part may not import."""
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter"}


def part_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    if relative.parts[0] == "__init__.py":
        return "package"
    return relative.parts[0].removesuffix(".py")


def _absolute(name: str, parts: set[str], libraries: set[str]) -> None:
    found = name.split(".")
    if found[0] == "aftersales":
        parts.add(found[1] if len(found) > 1 else "package")
    else:
        libraries.add(found[0])


def _relative(node: ast.ImportFrom, depth: int, parts: set[str]) -> None:
    if node.level <= depth:
        return  # within its own part
    module = (node.module or "").split(".")[0]
    if module:
        parts.add(module)
        return
    for alias in node.names:  # `from .. import x`: x is a module of the package, or a name of it
        is_part = (PACKAGE / f"{alias.name}.py").exists() or (PACKAGE / alias.name).is_dir()
        parts.add(alias.name if is_part else "package")


def imports_of(path: Path) -> tuple[set[str], set[str]]:
    """The package's parts and the outside libraries a module imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    depth = len(path.relative_to(PACKAGE).parts) - 1  # 0 for a top-level module
    parts: set[str] = set()
    libraries: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                _absolute(alias.name, parts, libraries)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            _absolute(node.module, parts, libraries)
        elif isinstance(node, ast.ImportFrom):
            _relative(node, depth, parts)
    return parts, libraries


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def test_every_import_is_an_allowed_arrow():
    wrong = []
    for path in modules():
        part = part_of(path)
        assert part in LAYERS, f"{path.name}: a new part of the package; give it a layer"
        parts, libraries = imports_of(path)
        for used in parts - {part}:
            if used not in LAYERS[part]:
                wrong.append(f"{path.relative_to(PACKAGE)} imports {used}")
        for library in libraries & LIBRARIES.get(part, set()):
            wrong.append(f"{path.relative_to(PACKAGE)} imports {library}")
    assert wrong == []


def test_the_layer_graph_has_no_cycle():
    try:
        order = list(TopologicalSorter(LAYERS).static_order())
    except CycleError as exc:  # pragma: no cover - the failure this test is for
        raise AssertionError(f"cycle: {exc.args[1]}") from exc
    assert order.index("workflow") < order.index("storage") < order.index("wechat")
    assert order.index("workflow") < order.index("diagrams")


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


def test_the_checks_would_catch_a_violation(tmp_path):
    bad = PACKAGE / "workflow" / "_probe_violation.py"
    try:
        bad.write_text(
            "import sqlmodel\nfrom datetime import datetime\nfrom ..storage import store\n"
            "x = datetime.now()\n"
        )
        parts, libraries = imports_of(bad)
        assert "storage" in parts and "sqlmodel" in libraries
        assert clock_reads(bad) == ["_probe_violation.py:4"]
    finally:
        bad.unlink()
