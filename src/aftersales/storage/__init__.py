"""Durable cases: SQLModel tables, the append-only event log, timers, verification and feed."""

from ..extras import require

require("aftersales.storage", "db", "sqlalchemy", "sqlmodel", "alembic")

from .autogenerate import include_name, include_object
from .commitments import secret_from_environ
from .engine import make_engine
from .feed import FeedItem
from .listeners import Listener
from .relay import Cursor, FileCursor, Relayed, relay
from .store import CaseStore, Refusal
from .sweeper import ParkedTimer

__all__ = [
    "CaseStore",
    "Cursor",
    "FeedItem",
    "FileCursor",
    "Listener",
    "ParkedTimer",
    "Refusal",
    "Relayed",
    "include_name",
    "include_object",
    "make_engine",
    "relay",
    "secret_from_environ",
]
