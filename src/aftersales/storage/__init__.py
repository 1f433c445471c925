"""Durable cases: SQLModel tables, the append-only event log, timers, verification and feed."""

from .engine import DEFAULT_URL, make_engine
from .store import CaseStore, FeedItem

__all__ = ["DEFAULT_URL", "CaseStore", "FeedItem", "make_engine"]
