"""The write path of the store: log, feed, timer and refusal rows for the events of a case.

Each function runs inside the caller's transaction (:class:`Tx`) and writes nothing on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def append_events(
    conn: Tx,
    case: Case,
    new: list[EventRecord],
    prev_digest: str,
    version: int,
    timer: Timer | None,
) -> str:
    """Write the new events of ``case``: the case row (if still at ``version``), then log,
    feed and timer rows. ``timer`` is the one running before the events. Returns the digest
    of the last event."""
    if not new:
        return prev_digest
    rows = []
    for record in new:
        rows.append(event_row(case.case_id, record, prev_digest))
        prev_digest = rows[-1]["digest"]
    columns = _case_columns(case)
    done = UPDATE_CASE.execute(
        conn,
        {
            "p_case_id": case.case_id,
            "p_version": version,
            "p_new_version": case.version,
            "p_digest": prev_digest,
            "p_snapshot": dump_record(case.record),
            **{f"p_{name}": value for name, value in columns.items()},
        },
    )
    if done.rowcount != 1:
        raise lost_race(case.case_id)
    try:
        INSERT_EVENT.executemany(conn, rows)
    except integrity_error(conn) as exc:
        raise lost_race(case.case_id) from exc
    INSERT_FEED.executemany(conn, [{"p_case_id": case.case_id, "p_seq": r.seq} for r in new])
    write_timers(conn, case.case_id, new, timer)
    return prev_digest


def write_timers(conn: Tx, case_id: str, new: list[EventRecord], current: Timer | None) -> None:
    for record in new:
        if _same_timer(record.timer, current):
            continue
        if current is not None:
            fired = record.event == "expire"
            CLOSE_TIMER.execute(
                conn,
                {
                    "p_case_id": case_id,
                    "p_status": "fired" if fired else "cancelled",
                    "p_ended_seq": record.seq,
                    "p_fired_at": record.at if fired else None,
                },
            )
        if record.timer is not None:
            INSERT_TIMER.execute(
                conn,
                {
                    "p_case_id": case_id,
                    "p_kind": record.timer.kind,
                    "p_state": record.timer.state,
                    "p_due_at": record.timer.due,
                    "p_status": "running",
                    "p_started_seq": record.seq,
                },
            )
        current = record.timer


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


def lost_race(case_id: str) -> Conflict:
    return Conflict(
        f"Case {case_id} was changed by another writer; read it again.",
        f"售后单 {case_id} 已被其他操作修改,请重新读取。",
        "case_id",
    )
