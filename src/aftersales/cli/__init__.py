"""The ``aftersales`` command line: thin commands over the library, one module per group.

Each command builds the library object, calls it, and formats the result: JSON for machines
(``--json``), tables for people. The package imports nothing until asked: the console script
(:mod:`.command`) reports a missing ``cli`` extra in one line. ``app`` is the Typer application
(:mod:`.application`).
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "app":  # imported on first use: it needs the cli extra
        from .application import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
