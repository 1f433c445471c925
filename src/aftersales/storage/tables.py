"""The tables, declared with SQLModel. The hot paths use their SQLAlchemy Core ``__table__``.

- ``aftersales_case``: one row per case; current state and a snapshot of the case for queries
  and fast loading. Updated under an optimistic version check.
- ``aftersales_event``: the append-only log, primary key ``(case_id, seq)``; a second writer with
  the same ``seq`` fails on the key. Each row carries a digest chained to the previous row's.
- ``aftersales_timer``: durable deadlines: running, fired or cancelled.
- ``aftersales_refused``: refused commands, kept apart; they never affect state.
- ``aftersales_feed``: a global, monotonic cursor over every event, for outboxes; a position
  never appears behind a reader's cursor.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC; SQLite keeps no offset, so it is restored here."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime cannot be stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _time(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


class CaseRow(SQLModel, table=True):
    """One after-sales case: its facts, where it stands, and its snapshot."""

    __tablename__ = "aftersales_case"
    __table_args__ = (sa.Index("ix_case_shop_opened", "shop_id", "opened_at"),)

    case_id: str = Field(primary_key=True)
    order_id: str = Field(index=True)
    shop_id: str = Field(index=True)
    buyer_id: str = Field(index=True)
    type: str
    category: str
    seven_day_return: str
    paid_amount: int
    requested_amount: int
    buyer_reason: str
    shipped: bool
    opened_at: datetime = _time(index=True)
    state: str = Field(index=True)
    version: int
    due_at: datetime | None = _time(default=None, index=True)
    last_at: datetime = _time()
    liability: str | None = None
    refund_amount: int | None = None
    platform_id: str | None = Field(default=None, index=True)
    resolution_seconds: int | None = None
    """From opening to the final state, once final: for the median time to resolution."""
    digest: str
    snapshot: str = Field(sa_type=sa.Text)


class EventRow(SQLModel, table=True):
    """One accepted event. Never updated or deleted."""

    __tablename__ = "aftersales_event"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "command_id", name="uq_event_command"),
        sa.Index("ix_event_event_case", "event", "case_id"),
    )

    case_id: str = Field(primary_key=True)
    seq: int = Field(primary_key=True)
    event: str
    actor_role: str
    actor_id: str | None = None
    at: datetime = _time()
    data: str = Field(sa_type=sa.Text)
    note: str = Field(sa_type=sa.Text)
    state_before: str | None = None
    state_after: str
    command_id: str | None = None
    schema_version: int = 1
    digest: str


class TimerRow(SQLModel, table=True):
    """A deadline of a case: ``running`` until it is ``fired`` or ``cancelled``."""

    __tablename__ = "aftersales_timer"
    __table_args__ = (sa.Index("ix_timer_status_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(index=True)
    kind: str
    state: str
    due_at: datetime = _time()
    status: str = "running"
    started_seq: int
    ended_seq: int | None = None
    fired_at: datetime | None = _time(default=None)


class RefusedRow(SQLModel, table=True):
    """A refused command: who tried what, when, and the error code."""

    __tablename__ = "aftersales_refused"

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(index=True)
    event: str = Field(index=True)
    actor_role: str
    actor_id: str | None = None
    at: datetime | None = _time(default=None)
    code: str = Field(index=True)
    field: str | None = None
    state: str | None = None
    command_id: str | None = None
    data: str = Field(sa_type=sa.Text)


class DivergenceRow(SQLModel, table=True):
    """Our case and the platform disagree: a notification no single event explains."""

    __tablename__ = "aftersales_divergence"

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(index=True)
    platform_id: str
    platform_status: str
    our_state: str
    key: str = Field(unique=True)
    at: datetime = _time()


class FeedRow(SQLModel, table=True):
    """The global order of events, for outboxes.

    ``position`` only grows, and a row gets it only once its transaction has committed, after
    every position already given, so a reader past position ``p`` never sees a new row appear
    at or below ``p``. SQLite, with one
    writer at a time, gives it on insert; PostgreSQL writers commit side by side in any order,
    so there rows are inserted without a position and placed in ``id`` order by the reader
    (see ``CaseStore.events_since``) once their transactions are over.
    """

    __tablename__ = "aftersales_feed"

    id: int | None = Field(default=None, primary_key=True)
    position: int | None = Field(default=None, unique=True)
    case_id: str
    seq: int


case_table: sa.Table = CaseRow.__table__  # type: ignore[attr-defined]
event_table: sa.Table = EventRow.__table__  # type: ignore[attr-defined]
timer_table: sa.Table = TimerRow.__table__  # type: ignore[attr-defined]
refused_table: sa.Table = RefusedRow.__table__  # type: ignore[attr-defined]
feed_table: sa.Table = FeedRow.__table__  # type: ignore[attr-defined]
divergence_table: sa.Table = DivergenceRow.__table__  # type: ignore[attr-defined]
metadata = SQLModel.metadata
