"""The global feed: every event in one order, for outboxes.

An event row carries its feed ``position``. A position only grows, and an event gets it only
once its transaction has committed, after every position already given, so a reader past
position ``p`` never sees an event appear at or below ``p``. SQLite's one writer places each
event on insert; PostgreSQL writers commit side by side in any order, so there the reader places
the events that became visible (each case's in order), one reader at a time (an advisory lock).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..workflow.record import EventRecord
from .codec import record_from_row
from .engine import transaction
from .tables import event_table

FEED_LOCK = 0x61667465_72666565
"""PostgreSQL advisory lock key taken while feed positions are given (ASCII "afterfee")."""


@dataclass(frozen=True)
class FeedItem:
    """One event in the global feed."""

    position: int
    case_id: str
    event: EventRecord


_event = event_table.c
_unplaced = (
    sa.select(
        _event.case_id,
        _event.seq,
        sa.func.row_number().over(order_by=(_event.case_id, _event.seq)).label("n"),
    )
    .where(_event.position.is_(None))
    .cte("unplaced")
)
PLACE_FEED = (
    event_table.update()
    .where(_event.case_id == _unplaced.c.case_id, _event.seq == _unplaced.c.seq)
    .values(
        position=sa.select(sa.func.coalesce(sa.func.max(_event.position), 0)).scalar_subquery()
        + _unplaced.c.n
    )
)
"""Give every visible event without a position the next positions, each case's in order."""
READ_FEED = (
    sa.select(event_table)
    .where(_event.position > sa.bindparam("cursor"))
    .order_by(_event.position)
    .limit(sa.bindparam("limit"))
)


def read_feed(engine: Engine, cursor: int, limit: int, session: Session | None) -> list[FeedItem]:
    """Events after position ``cursor``, oldest first (placing the visible ones first on
    PostgreSQL)."""
    if engine.dialect.name == "postgresql":
        # READ COMMITTED whatever the engine's default: the placing statement, run once the
        # lock is held, must see the positions the reader before it gave.
        placing = engine.execution_options(isolation_level="READ COMMITTED")
        with transaction(placing, session) as conn:
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(FEED_LOCK)))
            conn.execute(PLACE_FEED)
    with transaction(engine, session) as conn:
        rows = conn.execute(READ_FEED, {"cursor": cursor, "limit": limit}).all()
    return [FeedItem(row.position, row.case_id, record_from_row(row)) for row in rows]
