"""Replaying a recorded log through a fresh case: the integrity check (docs/concepts/integrity.md).

Each recorded event is sent again, as the command it was (a fired timer as time passing, a
platform's early expiry as its command), to a case reopened from the log's first event, under
the contract version that case was opened with. The result must match the record field for
field: event, actor, time, data, states, note and timer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .case import Case
from .dispatch import Engine
from .errors import AftersalesError
from .record import EventRecord


@dataclass(frozen=True)
class Mismatch:
    """The first place where a log and its replay disagree."""

    seq: int
    problem: str


def replay(
    records: Sequence[EventRecord], *, engine: Engine = "compiled"
) -> tuple[Case | None, Mismatch | None]:
    """Replay ``records`` (a whole log, oldest first); the case and the first mismatch."""
    if not records:
        return None, Mismatch(0, "the log is empty")
    first = records[0]
    if first.event != "open":
        return None, Mismatch(first.seq, "the log does not start with open")
    try:
        case = Case.reopen(first, engine=engine)
    except AftersalesError as err:
        return None, Mismatch(first.seq, f"the current rules refuse the opening: {err.code}")
    problem = _differs(case.events[0], first)
    if problem:
        return case, Mismatch(first.seq, problem)
    for record in records[1:]:
        found = _apply(case, record)
        if isinstance(found, Mismatch):
            return case, found
    return case, None


def _apply(case: Case, record: EventRecord) -> Mismatch | None:
    try:
        if record.event == "expire" and record.origin == "local":
            fired = case.fire_due_timers(record.at)
            if not fired:
                return Mismatch(record.seq, "a timer expired that was not due")
            mine = fired[-1]
        else:
            mine = case.send(
                record.event,
                actor=record.actor,
                at=record.at,
                data=record.data,
                command_id=record.command_id,
                origin=record.origin,
                inferred=bool(record.note.get("inferred", False)),
            )
    except AftersalesError as err:
        return Mismatch(record.seq, f"the current rules refuse {record.event}: {err.code}")
    problem = _differs(mine, record)
    return Mismatch(record.seq, problem) if problem else None


FIELDS = ("seq", "event", "actor", "at", "data", "state_before", "state_after", "command_id")
MORE = ("origin", "note", "timer", "entered")


def _differs(mine: EventRecord, recorded: EventRecord) -> str | None:
    for name in (*FIELDS, *MORE):
        ours, theirs = getattr(mine, name), getattr(recorded, name)
        if ours != theirs:
            return f"recorded {name} {theirs!r:.120}, replayed {ours!r:.120}"
    return None
