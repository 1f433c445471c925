"""Integrity check: the digest chain holds and the log replays through a fresh machine to the
states it recorded."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Any

import sqlalchemy as sa

from ..workflow.case import Case
from ..workflow.errors import AftersalesError
from ..workflow.record import EventRecord
from .codec import digest, record_from_row
from .engine import transaction
from .store import CaseStore
from .tables import case_table, event_table


@dataclass(frozen=True)
class Divergence:
    """The first place where a stored case disagrees with its log or with the rules."""

    case_id: str
    seq: int | None
    problem: str

    def __str__(self) -> str:
        where = f"event {self.seq}" if self.seq is not None else "case row"
        return f"{self.case_id} {where}: {self.problem}"


def verify_case(store: CaseStore, case_id: str) -> Divergence | None:
    """Check one case; ``None`` when it is sound."""
    with transaction(store.engine) as conn:
        rows = conn.execute(
            sa.select(event_table).where(event_table.c.case_id == case_id).order_by("seq")
        ).all()
        head = conn.execute(
            sa.select(case_table.c.state, case_table.c.version).where(
                case_table.c.case_id == case_id
            )
        ).first()
    return _check(case_id, list(rows), None if head is None else (head.state, head.version))


def verify_all(store: CaseStore) -> list[Divergence]:
    """Check every stored case in one pass over the log; the divergences found."""
    with transaction(store.engine) as conn:
        heads = {
            row.case_id: (row.state, row.version)
            for row in conn.execute(
                sa.select(case_table.c.case_id, case_table.c.state, case_table.c.version)
            )
        }
        rows = conn.execute(
            sa.select(event_table).order_by(event_table.c.case_id, event_table.c.seq)
        ).all()
    found = []
    for case_id, group in groupby(rows, key=lambda row: row.case_id):
        problem = _check(case_id, list(group), heads.pop(case_id, None))
        if problem is not None:
            found.append(problem)
    found += [Divergence(case_id, None, "no events") for case_id in heads]
    return sorted(found, key=lambda d: d.case_id)


def _check(case_id: str, rows: list[Any], head: tuple[str, int] | None) -> Divergence | None:
    if head is None or not rows:
        return Divergence(case_id, None, "no such case or no events")
    prev = ""
    for number, row in enumerate(rows, start=1):
        if row.seq != number:
            return Divergence(case_id, row.seq, f"sequence gap: expected {number}")
        if digest(dict(row._mapping), prev) != row.digest:
            return Divergence(case_id, row.seq, "digest mismatch: the row was altered")
        prev = row.digest
    records = [record_from_row(row) for row in rows]
    case, problem = _replay(records)
    if problem is not None:
        return Divergence(case_id, problem[0], problem[1])
    assert case is not None
    if head != (case.state, len(case.events)):
        return Divergence(
            case_id,
            None,
            f"case row says {head[0]} v{head[1]}, log replays to {case.state} v{len(case.events)}",
        )
    return None


def _replay(records: list[EventRecord]) -> tuple[Case | None, tuple[int, str] | None]:
    first = records[0]
    if first.event != "open":
        return None, (first.seq, "the log does not start with open")
    case = Case.reopen(first)
    for record in records[1:]:
        try:
            if record.event == "expire":
                replayed = case.fire_due_timers(record.at)
                if not replayed:
                    return case, (record.seq, "a timer expired that was not due")
            else:
                case.send(
                    record.event,
                    actor=record.actor,
                    at=record.at,
                    command_id=record.command_id,
                    **record.data,
                )
        except AftersalesError as err:
            return case, (record.seq, f"the current rules refuse {record.event}: {err.code}")
        mine = case.events[-1]
        if (mine.seq, mine.event, mine.state_after) != (
            record.seq,
            record.event,
            record.state_after,
        ):
            return case, (
                record.seq,
                f"recorded {record.event} -> {record.state_after}, "
                f"replayed {mine.event} -> {mine.state_after} as event {mine.seq}",
            )
    return case, None
