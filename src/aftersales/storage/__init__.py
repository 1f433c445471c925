"""Durable cases: SQLModel tables, the append-only event log, timers, verification and feed."""

from ..extras import require

require("aftersales.storage", "db", "sqlalchemy", "sqlmodel", "alembic", "orjson", "msgspec")

from .autogenerate import include_name, include_object
from .commitments import secret_from_environ
from .engine import make_engine
from .feed import FeedItem
from .store import CaseStore, Refusal
from .sweeper import ParkedTimer

__all__ = [
    "CaseStore",
    "FeedItem",
    "ParkedTimer",
    "Refusal",
    "include_name",
    "include_object",
    "make_engine",
    "secret_from_environ",
]
