"""Durable cases: SQLModel tables, the append-only event log, timers, verification and feed.

:class:`CaseStore` is the facade: nothing outside this package imports its modules (tables,
engine, repository, ...) or speaks SQL; everything it needs is in ``__all__``.
"""

from ..extras import require

require("aftersales.storage", "db", "sqlalchemy", "sqlmodel", "alembic", "orjson", "msgspec")

from ..results import CaseDivergence, ParkedTimer, PlatformDivergence, Verification
from .autogenerate import include_name, include_object
from .commitments import secret_from_environ
from .engine import database_url, make_engine, shown
from .feed import FeedItem
from .intents import Intent
from .listeners import Listener
from .relay import Cursor, FileCursor, Relayed, relay
from .replay import StoreTarget
from .schema import Schema, holds_only_package_tables
from .store import CaseStore, Refusal
from .sweeper import DueForFetch, Swept

__all__ = [
    "CaseDivergence",
    "CaseStore",
    "Cursor",
    "DueForFetch",
    "FeedItem",
    "FileCursor",
    "Intent",
    "Listener",
    "ParkedTimer",
    "PlatformDivergence",
    "Refusal",
    "Relayed",
    "Schema",
    "StoreTarget",
    "Swept",
    "Verification",
    "database_url",
    "holds_only_package_tables",
    "include_name",
    "include_object",
    "make_engine",
    "relay",
    "secret_from_environ",
    "shown",
]
