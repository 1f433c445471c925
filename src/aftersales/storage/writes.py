"""The write path of the store: log, feed, timer and refusal rows for the events of a case.

Each function runs inside the caller's transaction (:class:`Tx`) and writes nothing on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from ..workflow.case import Case
from ..workflow.errors import AftersalesError, Conflict
from ..workflow.record import Actor, EventRecord, Timer
from .codec import canonical, dump_record, event_row, record_from_row
from .engine import Tx
from .prepared import integrity_error
from .statements import (
    CLOSE_TIMER,
    INSERT_CASE,
    INSERT_EVENT,
    INSERT_FEED,
    INSERT_FEED_PLACED,
    INSERT_REFUSED,
    INSERT_TIMER,
    SELECT_EVENT,
    UPDATE_CASE,
)
from .tables import UTCDateTime, case_table, event_table


def logged(conn: Tx, case_id: str, seq: int) -> EventRecord:
    """A recorded event read back from the log: a retried command's first result."""
    row = SELECT_EVENT.execute(conn, {"p_case_id": case_id, "p_seq": seq}).fetchone()
    values = dict(zip([c.name for c in event_table.columns], row, strict=True))
    values["at"] = UTCDateTime().process_result_value(_as_datetime(values["at"]), conn.dialect)
    return record_from_row(SimpleNamespace(**values))


def insert_case(conn: Tx, case: Case) -> None:
    row = {
        **{c.name: None for c in case_table.columns},
        **case.record.facts.model_dump(),
        **_case_columns(case),
        "version": 0,
        "digest": "",
        "snapshot": "",
    }
    try:
        INSERT_CASE.execute(conn, row)
    except integrity_error(conn) as exc:
        raise Conflict(
            f"Case {case.case_id} exists already.", f"售后单 {case.case_id} 已存在。", "case_id"
        ) from exc


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
    timer: Timer | None
    """The timer running as stored, before any new command acts."""


def append_events(conn: Tx, loaded: Loaded) -> str:
    """Write the new events of one case: the case row (if still at its version), then log,
    feed and timer rows. Returns the digest of the last event."""
    return append_batch(conn, [loaded])[0]


def append_batch(conn: Tx, batch: Sequence[Loaded]) -> list[str]:
    """Write the new events of many cases, each statement once for the whole batch.

    Rows of different cases never touch each other, so only each case's own order is kept:
    its log and feed rows in sequence, its timer rows closed and started in turn. Returns the
    digest of each case's last event; a case row no longer at its version fails the batch.
    """
    digests, updates, events, feed = [], [], [], []
    for item in batch:
        prev = item.digest
        for record in item.case.events:
            row = event_row(item.case.case_id, record, prev)
            events.append(row)
            feed.append({"p_case_id": item.case.case_id, "p_seq": record.seq})
            prev = row["digest"]
        digests.append(prev)
        if item.case.events:
            updates.append(_case_update(item, prev))
    if not updates:
        return digests
    if UPDATE_CASE.executemany(conn, updates) != len(updates):
        raise lost_race(*(item.case.case_id for item in batch if item.case.events))
    try:
        INSERT_EVENT.executemany(conn, events)
    except integrity_error(conn) as exc:
        raise lost_race(*(item.case.case_id for item in batch if item.case.events)) from exc
    (INSERT_FEED_PLACED if conn.dialect.name == "sqlite" else INSERT_FEED).executemany(conn, feed)
    write_timers(conn, batch)
    return digests


def _case_update(item: Loaded, digest: str) -> dict[str, Any]:
    case = item.case
    return {
        "p_case_id": case.case_id,
        "p_version": item.version,
        "p_new_version": case.version,
        "p_digest": digest,
        "p_snapshot": dump_record(case.record),
        **{f"p_{name}": value for name, value in _case_columns(case).items()},
    }


def write_timers(conn: Tx, batch: Sequence[Loaded]) -> None:
    """Close and start timer rows as the events did. Each case's timer changes run in turn,
    one per round; within a round the changes of different cases are independent."""
    rounds: defaultdict[int, tuple[list[dict[str, Any]], list[dict[str, Any]]]]
    rounds = defaultdict(lambda: ([], []))
    for item in batch:
        step, current = 0, item.timer
        for record in item.case.events:
            if _same_timer(record.timer, current):
                continue
            closes, starts = rounds[step]
            if current is not None:
                fired = record.event == "expire"
                closes.append(
                    {
                        "p_case_id": item.case.case_id,
                        "p_status": "fired" if fired else "cancelled",
                        "p_ended_seq": record.seq,
                        "p_fired_at": record.at if fired else None,
                    }
                )
            if record.timer is not None:
                starts.append(
                    {
                        "p_case_id": item.case.case_id,
                        "p_kind": record.timer.kind,
                        "p_state": record.timer.state,
                        "p_due_at": record.timer.due,
                        "p_status": "running",
                        "p_started_seq": record.seq,
                    }
                )
            step, current = step + 1, record.timer
    for step in sorted(rounds):
        closes, starts = rounds[step]
        if closes:
            CLOSE_TIMER.executemany(conn, closes)
        if starts:
            INSERT_TIMER.executemany(conn, starts)


def log_refusal(
    conn: Tx,
    case: Case,
    event: str,
    actor: Actor,
    at: datetime | str,
    command_id: str | None,
    data: Mapping[str, Any],
    err: AftersalesError,
) -> None:
    when = at if isinstance(at, datetime) and at.tzinfo is not None else None
    INSERT_REFUSED.execute(
        conn,
        {
            "p_case_id": case.case_id,
            "p_event": event,
            "p_actor_role": actor.role,
            "p_actor_id": actor.id,
            "p_at": when,
            "p_code": err.code,
            "p_field": err.field,
            "p_state": case.state,
            "p_command_id": command_id,
            "p_data": canonical(dict(data)),
        },
    )


def _case_columns(case: Case) -> dict[str, Any]:
    record = case.record
    resolved = case.last_at - record.facts.opened_at if case.final else None
    return {
        "state": record.state,
        "due_at": record.timer.due if record.timer else None,
        "last_at": case.last_at,
        "liability": record.liability,
        "refund_amount": record.refund_amount,
        "resolution_seconds": int(resolved.total_seconds()) if resolved is not None else None,
    }


def _as_datetime(value: Any) -> datetime:
    # SQLite hands back its text form; PostgreSQL a datetime already.
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _same_timer(a: Timer | None, b: Timer | None) -> bool:
    if a is None or b is None:
        return a is b
    return (a.kind, a.state, a.due) == (b.kind, b.state, b.due)


def lost_race(*case_ids: str) -> Conflict:
    """A case row no longer at the version read: one case, or one of a sweep's batch."""
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
