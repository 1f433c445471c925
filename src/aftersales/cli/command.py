"""The ``aftersales`` console script: the command line, or one line saying why it cannot run (a
missing extra, exit 3; a bad ``AFTERSALES_TABLE_PREFIX`` or ``AFTERSALES_DB_SCHEMA``, exit 2)."""

from __future__ import annotations

import sys

from ..workflow.errors import AftersalesError

BAD_INPUT, UNAVAILABLE = 2, 3  # as in .console, which needs the cli extra


def main() -> None:
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
        raise SystemExit(UNAVAILABLE) from None
    except AftersalesError as exc:  # the settings read when aftersales.storage is imported
        sys.stderr.write(f"error: {exc.code}: {exc.message_en}\n")
        raise SystemExit(BAD_INPUT) from None
    app()  # pragma: no cover - the console script
