"""What the commands share: the ``--db`` and ``--json`` options and the store they open."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from ..storage import CaseStore, secret_from_environ
from ..workflow.inputs import MAX_YEAR, MIN_YEAR
from .console import db_option_value, existing_sqlite_file, fail

Db = Annotated[
    str | None,
    typer.Option("--db", help="Database URL, or a path to a SQLite file (or AFTERSALES_DB)."),
]
Json = Annotated[bool, typer.Option("--json", help="JSON on stdout, for machines.")]
Tz = Annotated[str, typer.Option(help="Time zone of the day boundaries.")]


def zone_option(tz: str) -> ZoneInfo:
    """The time zone ``--tz`` names, or exit 2."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a folder of zones
        fail(f"unknown time zone {tz!r}", "use an IANA name such as Asia/Shanghai")


def moment_option(value: str | None, name: str, zone: ZoneInfo) -> datetime | None:
    """An ISO date or time option: a date is midnight in ``zone``, a time without an offset is
    in ``zone``; exit 2 if it is neither."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--{name} must be a date like 2026-03-01 (or an ISO 8601 time)")
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        fail(f"--{name} must lie in the years {MIN_YEAR} to {MAX_YEAR}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def open_store(db: str | None, *, create: bool = False) -> CaseStore:
    """The store of ``--db`` (or ``AFTERSALES_DB``), keyed by ``AFTERSALES_SECRET`` if set (read
    by the storage layer); a SQLite file must exist unless ``create``."""
    url = db_option_value(db)
    if not create:
        existing_sqlite_file(url)
    return CaseStore(url, secret=secret_from_environ())  # not UTF-8: invalid_input, exit 2
