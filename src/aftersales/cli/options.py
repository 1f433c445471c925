"""What the commands share: the ``--db`` and ``--json`` options and the store they open."""

from __future__ import annotations

from typing import Annotated

import typer

from ..storage import CaseStore, secret_from_environ
from .console import db_option_value, existing_sqlite_file

Db = Annotated[
    str | None,
    typer.Option("--db", help="Database URL, or a path to a SQLite file (or AFTERSALES_DB)."),
]
Json = Annotated[bool, typer.Option("--json", help="JSON on stdout, for machines.")]


def open_store(db: str | None, *, create: bool = False) -> CaseStore:
    """The store of ``--db`` (or ``AFTERSALES_DB``), keyed by ``AFTERSALES_SECRET`` if set (read
    by the storage layer); a SQLite file must exist unless ``create``."""
    url = db_option_value(db)
    if not create:
        existing_sqlite_file(url)
    return CaseStore(url, secret=secret_from_environ())  # not UTF-8: invalid_input, exit 2
