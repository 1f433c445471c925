"""The tables, declared with SQLModel on a registry of the package's own.

Nothing is added to ``SQLModel.metadata``: the host application's ``create_all`` never creates
these tables and ``CaseStore.create_schema`` never creates the host's. Table names start with
``AFTERSALES_TABLE_PREFIX`` (default ``aftersales_``) and, on PostgreSQL, live in the schema
``AFTERSALES_DB_SCHEMA`` when set; both are read once, when this module is imported, and
checked (:mod:`aftersales.storage.settings`).

- ``case``: one row per case: its facts, where it stands, its running timer (``due_at``, the
  durable timer the sweeper claims) and a versioned snapshot of what the rules need. Updated
  under an optimistic version check.
- ``event``: the append-only log, primary key ``(case_id, seq)``; a second writer with the same
  ``seq`` fails on the key. Each row carries a digest chained to the previous row's.
- ``refused``: refused commands, kept apart; they never affect state.
  Its ``position`` places it in the global feed (a monotonic cursor over every event, for
  outboxes).
- ``divergence``: where WeChat and a case disagree and no event explains it (written by
  :mod:`aftersales.wechat`).
- ``intent``: an outbound command written before WeChat is called, closed
  when WeChat's reply or its echo completes or fails it.
- ``commitment``: with a secret, the keyed store commitment that ``verify`` checks the set of
  cases, events and refusals against (:mod:`aftersales.storage.commitments`).

Which query needs each index is said beside it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from .settings import PREFIX as PREFIX
from .settings import SCHEMA as SCHEMA


def name(table: str) -> str:
    """The full name of one of the package's tables (``case`` -> ``aftersales_case``)."""
    return f"{PREFIX}{table}"


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


JSON_TYPE = sa.JSON().with_variant(JSONB(), "postgresql")
"""JSON: ``JSONB`` on PostgreSQL, text on SQLite."""


def _time(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


def _json(**kwargs: Any) -> Any:
    return Field(sa_type=JSON_TYPE, **kwargs)


def _big(**kwargs: Any) -> Any:
    return Field(sa_type=sa.BigInteger, **kwargs)


class AftersalesModel(SQLModel, registry=registry()):
    """Base of the package's tables: their own registry and ``MetaData``."""


metadata = AftersalesModel.metadata


class CaseRow(AftersalesModel, table=True):
    """One after-sales case: its facts, where it stands, its timer and its snapshot."""

    __tablename__ = name("case")
    __table_args__ = (
        # The report: one shop's cases opened in a period.
        sa.Index(f"ix_{PREFIX}case_shop_opened", "shop_id", "opened_at"),
        # The report over every shop.
        sa.Index(f"ix_{PREFIX}case_opened", "opened_at"),
        # Applications of a product line: counting them, and one open case a line.
        sa.Index(f"ix_{PREFIX}case_line", "order_id", "sku_id"),
        sa.Index(
            f"uq_{PREFIX}case_open_line",
            "order_id",
            "sku_id",
            unique=True,
            sqlite_where=sa.text("final = 0"),
            postgresql_where=sa.text("NOT final"),
        ),
        # WeChat's notifications and fetched orders find their case by its platform id.
        sa.Index(f"uq_{PREFIX}case_platform", "platform_id", unique=True),
        # The sweeper: cases whose timer is due, soonest first.
        sa.Index(
            f"ix_{PREFIX}case_due",
            "due_at",
            sqlite_where=sa.text("due_at IS NOT NULL"),
            postgresql_where=sa.text("due_at IS NOT NULL"),
        ),
        {"schema": SCHEMA},
    )

    case_id: str = Field(primary_key=True)
    order_id: str
    shop_id: str
    buyer_id: str
    sku_id: str = ""
    count: int = 1
    type: str
    category: str
    seven_day_return: str
    paid_amount: int = _big()
    requested_amount: int = _big()
    buyer_reason: str
    shipped: bool
    received: bool = False
    used: bool = False
    platform_id: str | None = None
    """WeChat's after-sale order id: notifications and fetched orders find their case by it."""
    complaint_id: str | None = None
    """WeChat's dispute (纠纷单) id, once there is one."""
    opened_at: datetime = _time()
    policy: dict[str, Any] | None = _json(default=None)
    """The case's own policy overrides, ``None`` for the defaults."""
    workflow_version: int = 1
    state: str
    final: bool = False
    version: int
    due_at: datetime | None = _time(default=None)
    """When the running timer fires: the durable timer."""
    timer_kind: str | None = None
    timer_error: str | None = None
    """Why the sweeper parked this case's timer (its expiry failed); ``None`` normally."""
    last_at: datetime = _time()
    liability: str | None = None
    refund_amount: int | None = _big(default=None)
    applications: int = 1
    resolution_seconds: int | None = _big(default=None)
    """From opening to the final state, once final: for the median time to resolution."""
    digest: str
    snapshot: dict[str, Any] | None = _json(default=None)
    """What the rules need, in the documented shape of ``snapshot_version``; disposable."""
    snapshot_version: int | None = None
    seal: str | None = None
    """With a secret: the keyed seal of the event count, head digest and parked error."""
    link_seal: str | None = None
    """With a secret: the keyed seal of ``platform_id`` and ``complaint_id``."""


class EventRow(AftersalesModel, table=True):
    """One accepted event. Never updated or deleted."""

    __tablename__ = name("event")
    __table_args__ = (
        # Idempotency: a command id names one event of its case.
        sa.UniqueConstraint("case_id", "command_id", name=f"uq_{PREFIX}event_command"),
        # The report: events of a kind, joined to their cases.
        sa.Index(f"ix_{PREFIX}event_event_case", "event", "case_id"),
        # The report: events learned from the platform (the rest are counted from the cases'
        # versions); partial, so only those events pay for it.
        sa.Index(
            f"ix_{PREFIX}event_platform",
            "case_id",
            sqlite_where=sa.text("origin = 'platform'"),
            postgresql_where=sa.text("origin = 'platform'"),
        ),
        # The feed: events after a position, in order; on PostgreSQL also the rows not placed
        # yet (``position IS NULL``), which the feed's reader places.
        sa.Index(f"uq_{PREFIX}event_position", "position", unique=True),
        {"schema": SCHEMA},
    )

    case_id: str = Field(primary_key=True)
    seq: int = Field(primary_key=True)
    event: str
    actor_role: str
    actor_id: str | None = None
    at: datetime = _time()
    data: dict[str, Any] = _json()
    note: dict[str, Any] = _json()
    state_before: str | None = None
    state_after: str
    command_id: str | None = None
    origin: str = "local"
    schema_version: int = 1
    digest: str
    position: int | None = Field(default=None, sa_type=sa.BigInteger)
    """The event's place in the global feed, for outboxes. It only grows, and an event gets it
    only once its transaction has committed, after every position already given, so a reader
    past position ``p`` never sees an event appear at or below ``p``. SQLite, with one writer at
    a time, gives it on insert; PostgreSQL writers commit side by side in any order, so there
    events are inserted without a position and placed by the feed's reader (see
    ``CaseStore.events_since``) once their transactions are over."""


class RefusedRow(AftersalesModel, table=True):
    """A refused command: who tried what, when, and the error code."""

    __tablename__ = name("refused")
    __table_args__ = (
        # A case's refusals; the report's blocked direct rejections.
        sa.Index(f"ix_{PREFIX}refused_case", "case_id"),
        {"schema": SCHEMA},
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: str
    event: str
    actor_role: str
    actor_id: str | None = None
    at: datetime | None = _time(default=None)
    code: str
    field: str | None = None
    state: str | None = None
    command_id: str | None = None
    origin: str = "local"
    data: dict[str, Any] = _json()


class DivergenceRow(AftersalesModel, table=True):
    """WeChat says something no sequence of events explains: kept once, never applied."""

    __tablename__ = name("divergence")
    __table_args__ = (
        # A case's divergences.
        sa.Index(f"ix_{PREFIX}divergence_case", "case_id"),
        {"schema": SCHEMA},
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: str | None = None
    """``None`` when no case could be found or opened for the platform id."""
    platform_id: str
    platform_status: str
    """The raw status (or complaint status) WeChat sent."""
    our_state: str | None = None
    key: str = Field(unique=True)
    """Identifies the message, so one pushed again is kept once."""
    reason: str
    at: datetime = _time()
    resolved_at: datetime | None = _time(default=None, nullable=True)
    """When a later message of WeChat's was followed and the case agreed with it: the
    divergence is explained and no longer open. ``None`` while it is open."""
    resolved_seq: int | None = None
    """The case's event that stood when it was resolved: the last one the explaining sync
    recorded, or the case's last event if the case already agreed."""


class IntentRow(AftersalesModel, table=True):
    """A merchant command on its way to WeChat: written before the call, then closed."""

    __tablename__ = name("intent")
    __table_args__ = (
        # A retried command finds its intent by the case and its command id.
        sa.UniqueConstraint("case_id", "command_id", name=f"uq_{PREFIX}intent_command"),
        # The echo and the sync look for a case's open intents; verify lists the old ones.
        sa.Index(f"ix_{PREFIX}intent_open", "status", "case_id"),
        {"schema": SCHEMA},
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: str
    command_id: str
    event: str
    actor_role: str
    actor_id: str | None = None
    data: dict[str, Any] = _json()
    at: datetime = _time()
    api: str
    """The WeChat API called, and (``body``) what it was sent."""
    body: dict[str, Any] = _json()
    status: str = "open"
    """``open`` (sent, or about to be, and not yet known), ``done`` or ``failed``."""
    error: str | None = None
    """Why it failed: our error code and WeChat's errcode."""
    seq: int | None = None
    """The event that recorded it, once done."""
    written_at: datetime = _time()
    """The store's clock when the intent was written: the age ``verify`` judges by."""
    closed_at: datetime | None = _time(default=None)


class CommitmentRow(AftersalesModel, table=True):
    """With a secret: one slot of the store commitment (see :mod:`.commitments`)."""

    __tablename__ = name("commitment")
    __table_args__ = ({"schema": SCHEMA},)

    slot: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    acc: int = _big()


case_table: sa.Table = CaseRow.__table__  # type: ignore[attr-defined]
event_table: sa.Table = EventRow.__table__  # type: ignore[attr-defined]
refused_table: sa.Table = RefusedRow.__table__  # type: ignore[attr-defined]
divergence_table: sa.Table = DivergenceRow.__table__  # type: ignore[attr-defined]
intent_table: sa.Table = IntentRow.__table__  # type: ignore[attr-defined]
commitment_table: sa.Table = CommitmentRow.__table__  # type: ignore[attr-defined]
