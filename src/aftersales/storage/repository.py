"""Loading and saving cases: the case row and its log. No commits, no retries.

Every function runs on the caller's :class:`Connection`, inside a transaction, through
SQLAlchemy Core statements (compiled once and cached by SQLAlchemy).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..workflow.case import Case
from ..workflow.errors import AftersalesError, Conflict, NotFound, StorageUnavailable
from ..workflow.graph import machine_graph
from ..workflow.inputs import DEFAULT_POLICY, CaseFacts, Policy
from ..workflow.record import Actor, CaseRecord, EventRecord
from ..workflow.replay import replay
from .cache import Entry
from .codec import event_row, record_from_row
from .commitments import Commitments
from .listeners import Listener, announce
from .snapshot import SNAPSHOT_VERSION, Unreadable, from_snapshot, to_snapshot
from .statements import Statement
from .tables import case_table, event_table, refused_table

FACT_COLUMNS = tuple(CaseFacts.model_fields)
"""The facts, each kept in a case column (the amount requested at opening among them)."""

_case = case_table.c
_event = event_table.c
CASE_COLUMNS = (
    *[_case[name] for name in FACT_COLUMNS],
    _case.policy,
    _case.version,
    _case.digest,
    _case.snapshot,
    _case.snapshot_version,
)
"""What loading a case reads of its row."""
SELECT_CASE = Statement(sa.select(*CASE_COLUMNS).where(_case.case_id == sa.bindparam("b_case_id")))
SELECT_LOG = (
    sa.select(event_table).where(_event.case_id == sa.bindparam("b_case_id")).order_by(_event.seq)
)
SELECT_COMMAND = sa.select(event_table).where(
    _event.case_id == sa.bindparam("b_case_id"), _event.command_id == sa.bindparam("b_command_id")
)
SELECT_LINE = Statement(
    sa.select(
        sa.func.count().filter(_case.final.is_(False)).label("open_cases"),
        sa.func.coalesce(sa.func.sum(_case.applications), 0).label("applications"),
        sa.select(_case.case_id)
        .where(_case.case_id == sa.bindparam("b_case_id"))
        .scalar_subquery()
        .label("taken"),
    ).where(_case.order_id == sa.bindparam("b_order_id"), _case.sku_id == sa.bindparam("b_sku_id"))
)
"""For an opening, in one statement: the line's open cases and applications, and whether the
case id is taken."""
ALWAYS_WRITTEN = (
    "version",
    "digest",
    "snapshot",
    "snapshot_version",
    # The timer columns the sweeper writes (parking, repairing) without a new version: always
    # rewritten, so a write never keeps what it did not read.
    "due_at",
    "timer_kind",
    "timer_error",
    "seal",  # the keyed commitment to the row's head (#24), new with every version
)
"""The case row's columns every write sets."""
WRITTEN_IF_CHANGED = (
    "state",
    "final",
    "last_at",
    "liability",
    "refund_amount",
    "applications",
    "resolution_seconds",
)
"""The case row's columns a write sets only when their value changes: an unchanged column
is left alone, and so are the indexes over it (``final``: the one open case a line)."""
STATE_COLUMNS = (*WRITTEN_IF_CHANGED, *ALWAYS_WRITTEN)
_UPDATES: dict[tuple[str, ...], Statement] = {}


def update_case(columns: tuple[str, ...]) -> Statement:
    """The UPDATE of a case row still at its version and digest head (what the write was
    decided on: read now, or cached), setting ``columns`` (one statement for each set of
    columns, compiled once)."""
    found = _UPDATES.get(columns)
    if found is None:
        found = _UPDATES[columns] = Statement(
            case_table.update()
            .where(
                _case.case_id == sa.bindparam("b_case_id"),
                _case.version == sa.bindparam("b_version"),
                _case.digest == sa.bindparam("b_digest"),
            )
            .values({name: sa.bindparam(f"v_{name}", type_=_case[name].type) for name in columns})
        )
    return found


INSERT_CASE = Statement(
    case_table.insert().values(
        {column.name: sa.bindparam(column.name, type_=column.type) for column in case_table.c}
    )
)
_EVENT_VALUES = {
    column.name: sa.bindparam(column.name, type_=column.type)
    for column in event_table.c
    if column.name != "position"
}
INSERT_EVENT = Statement(event_table.insert().values(_EVENT_VALUES))
"""PostgreSQL: an event is inserted without its feed position (the feed's reader places it
once it is visible)."""
INSERT_EVENT_PLACED = Statement(
    event_table.insert().values(
        {
            **_EVENT_VALUES,
            "position": sa.select(
                sa.func.coalesce(sa.func.max(_event.position), 0) + 1
            ).scalar_subquery(),
        }
    )
)
"""SQLite: one writer at a time commits in the order it inserts, so an event is placed in the
feed as it is inserted (the largest position, read from its index, plus one)."""


@dataclass(frozen=True)
class Loaded:
    """A case read inside a transaction, with what the optimistic write checks against.

    The case holds no stored events, only those its commands and timers add now.
    """

    case: Case
    version: int
    """The version the case row must still have."""
    digest: str
    """The digest of the case's last stored event."""
    stored: dict[str, Any] | None = None
    """The case row's columns that change, as stored (see :func:`row_values`); ``None`` when
    not known (the case was rebuilt from its log): the write then sets every column."""


class Repository:
    """Reads and writes the case rows and the log of one store."""

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key
        self.commitments = Commitments(key)
        self.listeners: list[Listener] = []
        """Called for every new event inside the write's transaction (see ``listeners``)."""

    # -- reading ---------------------------------------------------------------------------
    def find(self, conn: Connection, case_id: str) -> Loaded | None:
        """The case for a command, or ``None``; its snapshot, or its log when the snapshot is
        missing, old or unreadable."""
        found = SELECT_CASE.rows(conn, {"b_case_id": case_id})
        if not found:
            return None
        return self.loaded(conn, SimpleNamespace(**found[0]))

    def loaded(self, conn: Connection, row: Any) -> Loaded:
        """The case of a row read with :data:`CASE_COLUMNS`, ready for a command."""
        record, from_snapshot = self._record(conn, row)
        case_id = row.case_id
        case = Case(record, lookup=lambda command_id: self.recorded(conn, case_id, command_id))
        stored = row_values(record) if from_snapshot else None
        return Loaded(case, row.version, row.digest, stored)

    def cached(self, conn: Connection, case_id: str, entry: Entry) -> Loaded:
        """The case of a cache entry, ready for a command (its write checks the row is still
        at the entry's version and digest head)."""
        case = Case(
            entry.record, lookup=lambda command_id: self.recorded(conn, case_id, command_id)
        )
        return Loaded(case, entry.version, entry.digest, entry.stored)

    def load(self, conn: Connection, case_id: str) -> Loaded:
        """As :meth:`find`; ``not_found`` if there is no such case."""
        loaded = self.find(conn, case_id)
        if loaded is None:
            raise not_found(case_id)
        return loaded

    def case(self, conn: Connection, case_id: str) -> Case:
        """The case with its whole log, for reading."""
        found = SELECT_CASE.rows(conn, {"b_case_id": case_id})
        if not found:
            raise not_found(case_id)
        row = SimpleNamespace(**found[0])
        events = self.log(conn, case_id)
        return Case(self.record_of(conn, row, events), events)

    def log(self, conn: Connection, case_id: str) -> list[EventRecord]:
        """The case's log, oldest first."""
        rows = conn.execute(SELECT_LOG, {"b_case_id": case_id})
        return [record_from_row(row) for row in rows]

    def recorded(self, conn: Connection, case_id: str, command_id: str) -> EventRecord | None:
        """The event recorded under ``command_id`` in the case, if any."""
        row = conn.execute(SELECT_COMMAND, {"b_case_id": case_id, "b_command_id": command_id})
        found = row.first()
        return None if found is None else record_from_row(found)

    def line(self, conn: Connection, facts: CaseFacts) -> tuple[bool, int, int]:
        """For a case to open: whether its id is taken, and of its product line (order and
        sku), the cases not yet final and the applications made."""
        params = {
            "b_case_id": facts.case_id,
            "b_order_id": facts.order_id,
            "b_sku_id": facts.sku_id,
        }
        [row] = SELECT_LINE.rows(conn, params)
        return row["taken"] is not None, int(row["open_cases"]), int(row["applications"])

    def record_of(
        self, conn: Connection, row: Any, events: list[EventRecord] | None = None
    ) -> CaseRecord:
        """The record of a case row read with :data:`CASE_COLUMNS`: from its snapshot, or
        rebuilt from its log (``events``, or read now)."""
        return self._record(conn, row, events)[0]

    def _record(
        self, conn: Connection, row: Any, events: list[EventRecord] | None = None
    ) -> tuple[CaseRecord, bool]:
        facts = facts_of(row)
        policy = DEFAULT_POLICY if row.policy is None else Policy.model_validate(row.policy)
        if row.snapshot is not None and row.snapshot_version == SNAPSHOT_VERSION:
            try:
                return from_snapshot(row.snapshot, facts, policy), True
            except Unreadable:
                pass
        log = events if events is not None else self.log(conn, row.case_id)
        return rebuilt(facts.case_id, log), False

    # -- writing ---------------------------------------------------------------------------
    def insert(self, conn: Connection, case: Case) -> str:
        """Store a newly opened case: its row and its log. Returns the last digest."""
        record = case.record
        row = {
            **{name: getattr(record.facts, name) for name in FACT_COLUMNS},
            "policy": None
            if record.policy == DEFAULT_POLICY
            else record.policy.model_dump(mode="json", exclude_defaults=True),
            "workflow_version": record.workflow_version,
        }
        events, last = self._log_rows(case, "")
        values = {column.name: None for column in case_table.c}
        seals = self.commitments.seals(case.case_id, record.seq, last, record.facts.platform_id)
        INSERT_CASE.execute(conn, {**values, **row, **state_values(case, last, prefix=""), **seals})
        self._write_log(conn, events, [case])
        return last

    def append(self, conn: Connection, batch: Sequence[Loaded]) -> list[str]:
        """Write the new events of many cases: the case rows (each if still at its version),
        then their log rows, each statement once for the batch. Returns each case's last
        digest; a case row no longer at its version fails the batch with ``conflict``.

        This is the one place a stored case changes: its row and its events, together."""
        digests: list[str] = []
        updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        events: list[dict[str, Any]] = []
        for item in batch:
            rows, last = self._log_rows(item.case, item.digest)
            digests.append(last)
            if rows:
                events += rows
                values = state_values(item.case, last, prefix="")
                values["seal"] = self.commitments.head(item.case.case_id, item.case.version, last)
                columns = changed_columns(values, item.stored)
                updates.setdefault(columns, []).append(
                    {
                        "b_case_id": item.case.case_id,
                        "b_version": item.version,
                        "b_digest": item.digest,
                        **{f"v_{name}": values[name] for name in columns},
                    }
                )
        for columns, params in updates.items():
            changed = update_case(columns).executemany(conn, params)
            if changed != len(params) and changed >= 0:
                raise lost_race(*(p["b_case_id"] for p in params))
        self._write_log(conn, events, [item.case for item in batch])
        return digests

    def _log_rows(self, case: Case, prev: str) -> tuple[list[dict[str, Any]], str]:
        rows = []
        for record in case.events:
            row = event_row(case.case_id, record, prev, self.key)
            rows.append(row)
            prev = row["digest"]
        return rows, prev

    def _write_log(
        self, conn: Connection, events: list[dict[str, Any]], cases: Sequence[Case]
    ) -> None:
        placed = INSERT_EVENT_PLACED if conn.dialect.name == "sqlite" else INSERT_EVENT
        try:
            placed.executemany(conn, events)
        except sa.exc.IntegrityError as exc:
            raise lost_race(*{row["case_id"] for row in events}) from exc
        self.commitments.log(conn, events)
        announce(conn, self.listeners, cases)  # the host's rows, in this very transaction

    def refusal(
        self,
        conn: Connection,
        case: Case,
        event: object,
        actor: object,
        at: object,
        command_id: object,
        origin: object,
        data: object,
        err: AftersalesError,
    ) -> dict[str, Any]:
        """Keep a refused command: who tried what, when, and why (bounded and cleaned, since
        a refused command's input is untrusted); the row as written, with its ``id``."""
        role, actor_id = _actor_parts(actor)
        row = {
            "case_id": case.case_id,
            "event": safe_text(event, 64),
            "actor_role": role,
            "actor_id": actor_id,
            "at": at if isinstance(at, datetime) and at.tzinfo is not None else None,
            "code": err.code,
            "field": safe_text(err.field, 128) if err.field else None,
            "state": case.state,
            "command_id": safe_text(command_id, 128) if command_id is not None else None,
            "origin": origin if origin in ("local", "platform") else "local",
            "data": _as_object(safe_json(data)),
        }
        refusal_id = insert_refusal(conn, row)
        self.commitments.refusal(conn, row)
        return {"id": refusal_id, **row}


def insert_refusal(conn: Connection, row: dict[str, Any]) -> int:
    """Write one refused-command row; its id."""
    key = conn.execute(refused_table.insert(), row).inserted_primary_key
    assert key is not None
    return int(key[0])


def facts_of(row: Any) -> CaseFacts:
    """The case facts of a case row (validated when the case was opened)."""
    return CaseFacts.model_construct(**{name: getattr(row, name) for name in FACT_COLUMNS})


def rebuilt(case_id: str, events: list[EventRecord]) -> CaseRecord:
    """A case's record rebuilt from its log (its snapshot was missing, old or unreadable)."""
    case, mismatch = replay(events)
    if case is None or mismatch is not None:
        problem = mismatch.problem if mismatch else "no log"
        raise StorageUnavailable(
            f"Case {case_id} cannot be rebuilt from its log ({problem}); run `aftersales verify`.",
            f"售后单 {case_id} 无法由日志重建({problem}),请运行 aftersales verify。",
            "case_id",
        )
    return case.record


def row_values(record: CaseRecord) -> dict[str, Any]:
    """The case row's columns of :data:`WRITTEN_IF_CHANGED` for ``record``, as a write sets
    them."""
    final = record.state in machine_graph().final
    resolved = record.last_at - record.facts.opened_at if final and record.last_at else None
    return {
        "state": record.state,
        "final": final,
        "last_at": record.last_at,
        "liability": record.liability,
        "refund_amount": record.refund_amount,
        "applications": record.applications,
        "resolution_seconds": int(resolved.total_seconds()) if resolved is not None else None,
    }


def changed_columns(values: dict[str, Any], stored: dict[str, Any] | None) -> tuple[str, ...]:
    """The columns a write sets: those always written, and those whose value changed (every
    one when what is stored is not known)."""
    if stored is None:
        return STATE_COLUMNS
    changed = tuple(name for name in WRITTEN_IF_CHANGED if values[name] != stored[name])
    return (*changed, *ALWAYS_WRITTEN)


def state_values(case: Case, digest: str, prefix: str) -> dict[str, Any]:
    """The case row's changing columns after the case's events (``prefix`` names the binds)."""
    record = case.record
    resolved = case.last_at - record.facts.opened_at if case.final else None
    values = {
        "state": record.state,
        "final": case.final,
        "version": record.seq,
        "due_at": record.timer.due if record.timer else None,
        "timer_kind": record.timer.kind if record.timer else None,
        "timer_error": None,
        "last_at": case.last_at,
        "liability": record.liability,
        "refund_amount": record.refund_amount,
        "applications": record.applications,
        "resolution_seconds": int(resolved.total_seconds()) if resolved is not None else None,
        "digest": digest,
        "snapshot": to_snapshot(record),
        "snapshot_version": SNAPSHOT_VERSION,
    }
    return {f"{prefix}{name}": value for name, value in values.items()}


def not_found(case_id: str) -> NotFound:
    return NotFound(f"No case {case_id!r:.140}.", f"没有售后单 {case_id!r:.140}。", "case_id")


def lost_race(*case_ids: str) -> AftersalesError:
    """A case row no longer at the version read: one case, or one of a batch."""
    if len(case_ids) == 1:
        return Conflict(
            f"Case {case_ids[0]} was changed by another writer; read it again.",
            f"售后单 {case_ids[0]} 已被其他操作修改,请重新读取。",
            "case_id",
        )
    named = ", ".join(case_ids[:3]) + (f" (+{len(case_ids) - 3})" if len(case_ids) > 3 else "")
    return Conflict(
        f"One of cases {named} was changed by another writer; read them again.",
        f"售后单 {named} 中有单据已被其他操作修改,请重新读取。",
        "case_id",
    )


def safe_text(value: object, limit: int) -> str:
    """Text fit to store whatever it was: lone surrogates, NUL and controls replaced, bounded."""
    text = value if isinstance(value, str) else repr(value)
    cleaned = "".join(
        "\ufffd" if ("\ud800" <= ch <= "\udfff" or ch == "\x00") else ch for ch in text[:limit]
    )
    return cleaned


def safe_json(value: object, depth: int = 0) -> Any:
    """JSON-ready data fit to store whatever a caller sent: strings cleaned and bounded, at most
    a few levels and items deep."""
    if depth > 4:
        return "…"
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, int):
        return value if abs(value) < 2**53 else str(value)[:40]
    if isinstance(value, str):
        return safe_text(value, 500)
    if isinstance(value, dict):
        items = list(value.items())[:50]
        return {safe_text(k, 64): safe_json(v, depth + 1) for k, v in items}
    if isinstance(value, list | tuple):
        return [safe_json(v, depth + 1) for v in list(value)[:50]]
    return safe_text(value, 200)


def _as_object(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    return value if isinstance(value, dict) else {"value": value}


def _actor_parts(actor: object) -> tuple[str, str | None]:
    if isinstance(actor, Actor):
        role = safe_text(actor.role, 32)
        return role, safe_text(actor.id, 128) if actor.id is not None else None
    return "unknown", None
