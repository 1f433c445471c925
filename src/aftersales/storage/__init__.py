"""Durable cases: SQLModel tables, the append-only event log, timers, verification and feed.

:class:`CaseStore` is the facade: nothing outside this package imports its modules (tables,
engine, repository, ...) or speaks SQL; everything it needs is in ``__all__``.
"""

from ..extras import require

require("aftersales.storage", "db", "sqlalchemy", "sqlmodel", "alembic")

from .engine import database_url, make_engine, shown
from .feed import FeedItem
from .links import PlatformDivergence
from .replay import StoreTarget
from .schema import Schema, holds_only_package_tables
from .store import CaseStore, Refusal
from .sweeper import ParkedTimer
from .verify import Divergence, Report

__all__ = [
    "CaseStore",
    "Divergence",
    "FeedItem",
    "ParkedTimer",
    "PlatformDivergence",
    "Refusal",
    "Report",
    "Schema",
    "StoreTarget",
    "database_url",
    "holds_only_package_tables",
    "make_engine",
    "shown",
]
