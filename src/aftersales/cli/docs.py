"""``aftersales docs``: where the documentation of the installed version is, and the case
histories that come with the package.

The wheel installs ``docs/`` (and the changelog) into the environment's ``share/doc/aftersales/``;
a source checkout (an editable install) has them in its own ``docs/``.
"""

from __future__ import annotations

from importlib import resources
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from .console import out, safe

INSTALLED = "share/doc/aftersales/README.md"
"""Where the wheel puts the docs' first page, below the environment's data folder."""


def docs_folder() -> Path | None:
    """The docs of the installed version: the wheel's ``share/doc/aftersales``, else a source
    checkout's ``docs/``; ``None`` if neither is there."""
    try:
        files = distribution("aftersales").files or []
    except PackageNotFoundError:  # pragma: no cover - run from sources never installed
        files = []
    for file in files:
        if file.as_posix().endswith(INSTALLED):
            page = Path(str(file.locate())).resolve()
            if page.is_file():
                return page.parent
    checkout = Path(__file__).resolve().parents[3] / "docs"  # src/aftersales/cli/docs.py
    return checkout if (checkout / "README.md").is_file() else None


def histories_folder() -> Path:
    """The seed scenarios' history files, installed with the package."""
    return Path(str(resources.files("aftersales.scenarios")))


def docs() -> None:
    """Show where the documentation of this version is, and the case histories that come with
    the package (the seed scenarios, ready to replay).

    Example: aftersales docs
    """
    folder = docs_folder()
    if folder is None:
        out.print(
            "docs: not installed here; they are in the sdist's docs/ "
            "(pip download --no-binary :all: --no-deps aftersales)"
        )
    else:
        out.print(f"docs: {safe(folder / 'README.md')}")
        out.print(
            "  beside it: concepts/, reference/ (every command, state, event and error code), "
            "schemas/ (the --json documents), examples/"
        )
        for changelog in (folder / "CHANGELOG.md", folder.parent / "CHANGELOG.md"):
            if changelog.is_file():
                out.print(f"changelog: {safe(changelog)}")
                break
    histories = histories_folder()
    out.print(f"histories: {safe(histories)}/*.jsonl (the seed scenarios)")
    out.print(f"  replay one: aftersales replay {safe(histories / 'fresh_direct_rejection.jsonl')}")
