"""Integrity check: every stored case agrees with its log, and its log with the rules.

For each case, in bounded memory (a batch of cases at a time): the log's sequence and digest
chain hold (a keyed MAC when the store has a secret), the log replays through a fresh case,
field for field, under the contract version the case was opened with, and everything the case
row stores is what the replay recomputes: state, version, final, liability, refund amount,
applications, the running timer, the facts and the snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine as SqlEngine
from sqlalchemy.orm import Session

from ..results import CaseDivergence, Verification
from ..workflow.dispatch import Engine
from ..workflow.inputs import Policy
from ..workflow.replay import replay
from .codec import digest, record_from_row
from .engine import transaction
from .repository import FACT_COLUMNS, Repository, facts_of
from .snapshot import SNAPSHOT_VERSION, Unreadable, from_snapshot
from .tables import case_table, event_table


class StoreParts(Protocol):
    """What verification reads of the store (which calls it: :meth:`CaseStore.verify`)."""

    engine: SqlEngine
    repository: Repository


def verify(
    store: StoreParts,
    case_id: str | None = None,
    *,
    engine: Engine = "compiled",
    batch: int = 500,
    progress: Any = None,
    session: Session | None = None,
) -> Verification:
    """Check one case or every case; ``progress(n)`` is called after each batch of ``n``.
    Inside a caller's ``session`` every batch is read in its transaction."""
    found: list[CaseDivergence] = []
    checked = 0
    for rows, events in _batches(store, case_id, batch, session):
        for row in rows:
            found += check_case(store, row, events.get(row.case_id, []), engine)
        checked += len(rows)
        if progress is not None:
            progress(len(rows))
    return Verification(checked, tuple(found))


def _batches(
    store: StoreParts, case_id: str | None, size: int, session: Session | None
) -> Iterator[tuple[Sequence[Any], dict[str, list[Any]]]]:
    after = ""
    while True:
        with transaction(store.engine, session) as conn:
            query = sa.select(case_table).order_by(case_table.c.case_id).limit(size)
            if case_id is not None:
                query = query.where(case_table.c.case_id == case_id)
            else:
                query = query.where(case_table.c.case_id > after)
            rows = conn.execute(query).all()
            events = _logs(conn, [row.case_id for row in rows])
        if rows:
            yield rows, events
        if case_id is not None or len(rows) < size:
            return
        after = rows[-1].case_id


def _logs(conn: Connection, case_ids: list[str]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {case_id: [] for case_id in case_ids}
    if not case_ids:
        return found
    query = (
        sa.select(event_table)
        .where(event_table.c.case_id.in_(case_ids))
        .order_by(event_table.c.case_id, event_table.c.seq)
    )
    for row in conn.execute(query):
        found[row.case_id].append(row)
    return found


def check_case(
    store: StoreParts, row: Any, rows: list[Any], engine: Engine
) -> list[CaseDivergence]:
    """Every difference between one case row and its log."""
    case_id = row.case_id

    def problem(seq: int | None, text: str) -> CaseDivergence:
        return CaseDivergence(case_id, seq, text)

    if not rows:
        return [problem(None, "no events")]
    prev = ""
    for number, event in enumerate(rows, start=1):
        if event.seq != number:
            return [problem(event.seq, f"sequence gap: expected {number}")]
        if digest(event._mapping, prev, store.repository.key) != event.digest:
            return [problem(event.seq, "digest mismatch: the row was altered or the key differs")]
        prev = event.digest
    try:
        records = [record_from_row(event) for event in rows]
    except (KeyError, TypeError, ValueError) as exc:
        return [problem(None, f"a log row cannot be read: {exc}")]
    case, mismatch = replay(records, engine=engine)
    if mismatch is not None or case is None:
        assert mismatch is not None
        return [problem(mismatch.seq, mismatch.problem)]
    found = [problem(None, text) for text in _row_differences(row, case, prev)]
    return found


def _row_differences(row: Any, case: Any, last_digest: str) -> Iterator[str]:
    record = case.record
    timer = record.timer
    expected = {
        "state": record.state,
        "version": record.seq,
        "final": case.final,
        "liability": record.liability,
        "refund_amount": record.refund_amount,
        "applications": record.applications,
        "workflow_version": record.workflow_version,
        "due_at": None if timer is None else timer.due,
        "timer_kind": None if timer is None else timer.kind,
        "last_at": record.last_at,
        "digest": last_digest,
    }
    for column, value in expected.items():
        stored = getattr(row, column)
        if stored != value:
            yield f"{column} is {stored!r}, the log says {value!r}"
    yield from _fact_differences(row, record)


def _fact_differences(row: Any, record: Any) -> Iterator[str]:
    facts = facts_of(row)
    for name in FACT_COLUMNS:
        if name == "platform_id":
            continue  # a link to WeChat's order, which may be made after the opening
        stored, opened = getattr(facts, name), getattr(record.facts, name)
        if stored != opened:
            yield f"{name} is {stored!r}, the opening says {opened!r}"
    try:
        policy = Policy() if row.policy is None else Policy.model_validate(row.policy)
    except ValidationError:
        policy = None
    if policy != record.policy:
        yield f"policy is {row.policy!r}, the opening says {record.policy!r}"
    if row.snapshot is not None and row.snapshot_version == SNAPSHOT_VERSION:
        try:
            if from_snapshot(row.snapshot, record.facts, record.policy) != record:
                yield "the snapshot differs from what the log replays to"
        except Unreadable as exc:
            yield f"the snapshot cannot be read ({exc}); it will be rebuilt from the log"
