"""The ``aftersales`` console script: the command line, or one line naming the missing extra."""

from __future__ import annotations

import sys


def main() -> None:  # pragma: no cover - the console script
    """Run the command line (it needs the ``cli`` extra)."""
    try:
        from .application import app
    except ImportError as exc:
        if exc.name is None:  # extras.require named the extra already
            sys.stderr.write(f"error: {exc}\n")
        else:
            sys.stderr.write(
                f"error: the aftersales command needs the 'cli' extra ({exc.name} is missing):"
                " pip install 'aftersales[cli]'\n"
            )
        raise SystemExit(2) from None
    app()
