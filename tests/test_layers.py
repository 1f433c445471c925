"""Dependencies point inward: the workflow imports no storage, drawing or CLI library, and never
reads the wall clock."""

from __future__ import annotations

import ast
from pathlib import Path

import aftersales

PACKAGE = Path(aftersales.__file__).parent
FORBIDDEN = {"sqlmodel", "sqlalchemy", "graphviz", "typer", "click", "psycopg", "alembic"}
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level >= 2:
            names.add("aftersales." + (node.module or "").split(".")[0])
    return names


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


def workflow_files() -> list[Path]:
    return sorted((PACKAGE / "workflow").glob("*.py"))


def test_workflow_imports_no_outer_layer():
    for path in workflow_files():
        bad = imports_of(path) & (FORBIDDEN | {"aftersales.storage", "aftersales.diagrams"})
        assert not bad, f"{path.name} imports {bad}"


def test_workflow_never_reads_the_clock():
    assert [hit for path in workflow_files() for hit in clock_reads(path)] == []


def test_the_checks_would_catch_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlmodel\nfrom datetime import datetime\nx = datetime.now()\n")
    assert "sqlmodel" in imports_of(bad)
    assert clock_reads(bad) == ["bad.py:3"]


def test_diagrams_read_only_the_workflow():
    for path in sorted((PACKAGE / "diagrams").glob("*.py")):
        bad = imports_of(path) & {"sqlmodel", "sqlalchemy", "typer", "aftersales.storage"}
        assert not bad, f"{path.name} imports {bad}"
