"""Between the workflow's records and table rows: snapshots, log rows and their digest chain."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, timedelta
from typing import Any

from pydantic import TypeAdapter

from ..workflow.record import Actor, CaseRecord, EventRecord, Timer

SCHEMA_VERSION = 1
"""Version of the event payloads written now; older rows are upgraded by :data:`UPGRADES`."""

UPGRADES: dict[int, Any] = {}
"""Functions upgrading a stored payload from version N to N + 1 (none yet: 1 is the first)."""

_ZERO = timedelta(0)
_RECORD = TypeAdapter(CaseRecord)
_TIMER = TypeAdapter(Timer | None)


def dump_record(record: CaseRecord) -> str:
    """The snapshot of a case as JSON text, without its events: the log holds those."""
    return _RECORD.dump_json(record, exclude={"events"}).decode()


def load_record(text: str | bytes) -> CaseRecord:
    """A case record from its snapshot."""
    return _RECORD.validate_json(text)


def canonical(value: Any) -> str:
    """Stable JSON: sorted keys, no spaces, UTF-8 kept; anything else JSON lacks as text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


DIGESTED = (
    "case_id",
    "seq",
    "event",
    "actor_role",
    "actor_id",
    "at",
    "data",
    "note",
    "state_before",
    "state_after",
    "command_id",
    "schema_version",
)
"""The columns a row's digest covers, in order."""


def event_row(case_id: str, record: EventRecord, prev_digest: str) -> dict[str, Any]:
    """The log row of one event, its digest chained to ``prev_digest``."""
    timer = None if record.timer is None else _TIMER.dump_python(record.timer, mode="json")
    row = {
        "case_id": case_id,
        "seq": record.seq,
        "event": record.event,
        "actor_role": record.actor.role,
        "actor_id": record.actor.id,
        "at": record.at.astimezone(UTC),
        "data": canonical(record.data),
        "note": canonical({**record.note, "timer": timer}),
        "state_before": record.state_before,
        "state_after": record.state_after,
        "command_id": record.command_id,
        "schema_version": SCHEMA_VERSION,
    }
    row["digest"] = digest(row, prev_digest)
    return row


def digest(row: dict[str, Any], prev_digest: str) -> str:
    """SHA-256 over the previous row's digest and this row's digested columns."""
    parts = [prev_digest]
    for name in DIGESTED:
        value = row[name]
        if name == "at":
            value = (value if value.utcoffset() == _ZERO else value.astimezone(UTC)).isoformat()
        parts.append("" if value is None else str(value))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def record_from_row(row: Any) -> EventRecord:
    """An event record from a stored log row (upgrading old payload versions)."""
    data = json.loads(row.data)
    note = json.loads(row.note)
    version = row.schema_version
    while version < SCHEMA_VERSION:
        data, note = UPGRADES[version](data, note)
        version += 1
    timer = _TIMER.validate_python(note.pop("timer", None))
    return EventRecord(
        seq=row.seq,
        event=row.event,
        actor=Actor(row.actor_role, row.actor_id),
        at=row.at,
        data=data,
        state_before=row.state_before,
        state_after=row.state_after,
        command_id=row.command_id,
        note=note,
        timer=timer,
    )
