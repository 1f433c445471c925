"""Diagrams draw, training teaches, imports run one way: the training subpackage imports the
pictures, no picture imports training, and no module of ``diagrams`` imports itself back through
another (function-level imports count: a cycle there is a cycle still)."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import aftersales.diagrams

FOLDER = Path(aftersales.diagrams.__file__).parent
PACKAGE = "aftersales.diagrams"


def module_name(path: Path) -> str:
    parts = path.relative_to(FOLDER).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


def imports(path: Path, modules: set[str]) -> set[str]:
    """The modules of ``diagrams`` that ``path`` imports, anywhere in its body."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        found |= {target for target in targets if target in modules}
    return found - {name}


def graph() -> dict[str, set[str]]:
    paths = sorted(FOLDER.rglob("*.py"))
    modules = {module_name(path) for path in paths}
    return {module_name(path): imports(path, modules) for path in paths}


def test_the_graph_is_read():
    found = graph()
    assert f"{PACKAGE}.render" in found[f"{PACKAGE}.training.page"]
    assert f"{PACKAGE}.overview" in found[f"{PACKAGE}.render"]


def test_pictures_never_import_training():
    training = f"{PACKAGE}.training"
    wrong = {
        module: sorted(target for target in targets if target.startswith(training))
        for module, targets in graph().items()
        if not module.startswith(training)
    }
    assert {module: found for module, found in wrong.items() if found} == {}


def test_no_module_of_diagrams_imports_itself_back():
    found = graph()
    # A package's __init__ re-exporting its modules is not an arrow back from them.
    for module in found:
        found[module] -= {m for m in found if module.startswith(m + ".")}
    try:
        tuple(TopologicalSorter(found).static_order())
    except CycleError as error:
        raise AssertionError(f"import cycle: {error.args[1]}") from None
