"""Integrity check: every stored case agrees with its log, and its log with the rules.

For each case, in bounded memory (a batch of cases at a time): the log's sequence and digest
chain hold (a keyed MAC when the store has a secret), the log replays through a fresh case,
field for field, under the contract version the case was opened with, and everything the case
row stores is what the replay recomputes: state, version, final, liability, refund amount,
applications, resolution time, the running timer, the facts and the snapshot. A parked timer
must be one that still cannot fire.

Over the whole store: no log row, refusal or divergence belongs to a case that does not exist,
and (on SQLite, which places each event as it is written) every event has its feed position.
With the store's secret, each case's seals hold and the store commitment equals what the cases,
events and refusals found add up to (see :mod:`.commitments`; ``docs/concepts/integrity.md``
says what this proves and what it cannot).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any, Final, Protocol

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine as SqlEngine
from sqlalchemy.orm import Session

from ..results import STORE, CaseDivergence, Verification
from ..workflow.dispatch import Engine
from ..workflow.inputs import Policy
from ..workflow.replay import replay
from .codec import digest, record_from_row
from .commitments import (
    MODULUS,
    SLOTS,
    case_seal,
    event_term,
    link_seal,
    refusal_term,
    slot_of,
    start,
)
from .engine import transaction
from .intents import INTENT_TIMEOUT, Intent
from .repository import FACT_COLUMNS, Repository, facts_of
from .snapshot import SNAPSHOT_VERSION, Unreadable, from_snapshot
from .tables import (
    case_table,
    commitment_table,
    divergence_table,
    event_table,
    refused_table,
)


class StoreParts(Protocol):
    """What verification reads of the store (which calls it: :meth:`CaseStore.verify`)."""

    engine: SqlEngine
    repository: Repository

    def open_intents(
        self,
        case_id: str | None = None,
        *,
        older_than: timedelta | None = None,
        session: Session | None = None,
    ) -> list[Intent]: ...


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

    Checking every case also checks the store as a whole; with a secret, the store commitment
    is checked when no keyed write happened meanwhile (otherwise a note says so). Inside a
    caller's ``session`` everything is read in its transaction."""
    key = store.repository.key
    found: list[CaseDivergence] = []
    notes: list[str] = []
    checked = 0
    sums: dict[int, int] = {}
    before = None if case_id is not None or key is None else _commitment(store, session)
    for rows, events, refusals in _batches(store, case_id, batch, session):
        for row in rows:
            log = events.get(row.case_id, [])
            found += check_case(store, row, log, engine)
            if key is not None and not unsealed(row):  # the unsealed were never counted
                _add(sums, key, row.case_id, log, refusals.get(row.case_id, []))
        checked += len(rows)
        if progress is not None:
            progress(len(rows))
    if case_id is None:
        found += _store_problems(store, session)
    if before is not None and key is not None:
        if _commitment(store, session) != before:
            notes.append(
                "the store commitment was not checked: the store was written to while it was "
                "verified; verify again when it is quiet"
            )
        else:
            found += _commitment_problems(key, before, sums, checked)
    notes += _stale_intents(store, case_id, session)
    return Verification(checked, tuple(found), tuple(notes))


def _stale_intents(store: StoreParts, case_id: str | None, session: Session | None) -> list[str]:
    """Outbound intents nobody completed within ``INTENT_TIMEOUT``: WeChat may or
    may not have acted; a fetch and sync settles each. Information, not a divergence."""
    return [
        f"{intent.case_id}: {intent.event} ({intent.api}, command {intent.command_id}) sent to "
        f"WeChat at {intent.at.isoformat()} was never confirmed: fetch the after-sale order "
        "and sync it, or retry with the same command_id"
        for intent in store.open_intents(case_id, older_than=INTENT_TIMEOUT, session=session)
    ]


def _batches(
    store: StoreParts, case_id: str | None, size: int, session: Session | None
) -> Iterator[tuple[Sequence[Any], dict[str, list[Any]], dict[str, list[Any]]]]:
    after = ""
    while True:
        with transaction(store.engine, session) as conn:
            query = sa.select(case_table).order_by(case_table.c.case_id).limit(size)
            if case_id is not None:
                query = query.where(case_table.c.case_id == case_id)
            else:
                query = query.where(case_table.c.case_id > after)
            rows = conn.execute(query).all()
            ids = [row.case_id for row in rows]
            events = _by_case(conn, event_table, ids, event_table.c.seq)
            refusals = _by_case(conn, refused_table, ids, refused_table.c.id)
        if rows:
            yield rows, events, refusals
        if case_id is not None or len(rows) < size:
            return
        after = rows[-1].case_id


def _by_case(
    conn: Connection, table: sa.Table, case_ids: list[str], order: Any
) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {case_id: [] for case_id in case_ids}
    if not case_ids:
        return found
    query = sa.select(table).where(table.c.case_id.in_(case_ids)).order_by(table.c.case_id, order)
    for row in conn.execute(query):
        found[row.case_id].append(row)
    return found


def _add(
    sums: dict[int, int], key: bytes, case_id: str, log: list[Any], refused: list[Any]
) -> None:
    slot = slot_of(case_id)
    total = sums.get(slot, 0)
    for event in log:
        total += event_term(key, case_id, event.seq, event.digest)
    for refusal in refused:
        total += refusal_term(key, refusal._mapping)
    sums[slot] = total % MODULUS


def _commitment(store: StoreParts, session: Session | None) -> dict[int, int]:
    with transaction(store.engine, session) as conn:
        rows = conn.execute(sa.select(commitment_table.c.slot, commitment_table.c.acc)).all()
    return {int(row.slot): int(row.acc) for row in rows}


def _commitment_problems(
    key: bytes, stored: dict[int, int], sums: dict[int, int], cases: int
) -> Iterator[CaseDivergence]:
    def problem(text: str) -> CaseDivergence:
        return CaseDivergence(STORE, None, text)

    if not stored:
        if cases:
            yield problem(
                "no commitment: the store has no store commitment (written without the secret,"
                " or it was deleted)"
            )
        return
    missing = sorted(set(range(SLOTS)) - set(stored))
    if missing:
        yield problem(f"the store commitment lacks slots {missing}: its rows were deleted")
    for slot in sorted(stored):
        if (start(key, slot) + sums.get(slot, 0)) % MODULUS != stored[slot]:
            yield problem(
                f"the store commitment of slot {slot} differs from the cases, events and "
                "refusals found: one was deleted, added, altered or put back as it was"
            )


def _store_problems(store: StoreParts, session: Session | None) -> list[CaseDivergence]:
    """Rows of cases that do not exist, and (SQLite) events without a feed position."""
    found: list[CaseDivergence] = []
    with transaction(store.engine, session) as conn:
        for table, what in (
            (event_table, "log rows"),
            (refused_table, "refusals"),
            (divergence_table, "divergences"),
        ):
            for case_id in conn.execute(_orphans(table)).scalars():
                found.append(CaseDivergence(case_id, None, f"{what} of a case that does not exist"))
        if conn.dialect.name == "sqlite":  # PostgreSQL's reader places events after commit
            for row in conn.execute(UNPLACED):
                found.append(
                    CaseDivergence(row.case_id, row.seq, "an event without a feed position")
                )
    return found


def _orphans(table: sa.Table) -> sa.Select[Any]:
    exists = sa.select(case_table.c.case_id).where(case_table.c.case_id == table.c.case_id)
    return (
        sa.select(table.c.case_id)
        .where(table.c.case_id.is_not(None), ~exists.exists())
        .distinct()
        .order_by(table.c.case_id)
    )


UNPLACED = (
    sa.select(event_table.c.case_id, event_table.c.seq)
    .where(event_table.c.position.is_(None))
    .order_by(event_table.c.case_id, event_table.c.seq)
)
"""Events without a feed position: on SQLite, which places each event as it is written, an
event an outbox would never see. (Each event carries its one position, unique across the log,
so no event can have two, nor a position point at another event.)"""


def check_case(
    store: StoreParts, row: Any, rows: list[Any], engine: Engine
) -> list[CaseDivergence]:
    """Every difference between one case row and its log.

    With a secret, a case without seals is reported once as "no commitment" (and its chain
    checked as a plain one): it was written before the store had its secret, or its seals
    were removed."""
    case_id = row.case_id
    key = store.repository.key
    if key is not None and unsealed(row):
        found = [CaseDivergence(case_id, None, NO_COMMITMENT)]
        return found + _checked(store, row, rows, engine, None)
    return _checked(store, row, rows, engine, key)


NO_COMMITMENT: Final = (
    "no commitment: the case has no seals (written before the store had its secret, or its "
    "seals were removed); nothing proves its log complete"
)


def unsealed(row: Any) -> bool:
    """Whether a case row carries no seal (kept only by a store with a secret)."""
    return row.seal is None and row.link_seal is None


def _checked(
    store: StoreParts, row: Any, rows: list[Any], engine: Engine, key: bytes | None
) -> list[CaseDivergence]:
    case_id = row.case_id

    def problem(seq: int | None, text: str) -> CaseDivergence:
        return CaseDivergence(case_id, seq, text)

    if not rows:
        return [problem(None, "no events")]
    prev = ""
    for number, event in enumerate(rows, start=1):
        if event.seq != number:
            return [problem(event.seq, f"sequence gap: expected {number}")]
        if digest(event._mapping, prev, key) != event.digest:
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
    found += [problem(None, text) for text in _parked_differences(row, case)]
    if key is not None:
        found += [problem(None, text) for text in _seal_differences(key, row)]
    return found


def _seal_differences(key: bytes, row: Any) -> Iterator[str]:
    if row.seal != case_seal(key, row.case_id, row.version, row.digest, row.timer_error):
        yield (
            "the seal does not hold: the event count, the last digest or the parked error was "
            "changed without the secret (a log cut short, say)"
        )
    if row.link_seal != link_seal(key, row.case_id, row.platform_id, row.complaint_id):
        yield (
            "the link seal does not hold: platform_id or complaint_id was changed without "
            "the secret"
        )


def _parked_differences(row: Any, case: Any) -> Iterator[str]:
    """A parked timer (``timer_error``) is one that still cannot fire."""
    if row.timer_error is None:
        return
    timer = case.timer
    if timer is None:
        yield f"timer_error is {row.timer_error!r:.80}, but the log says no timer runs"
        return
    try:
        fired = case.copy().fire_due_timers(timer.due)
    except Exception:  # the reason it was parked: the park is explained
        return
    if fired:
        yield (
            f"timer_error is {row.timer_error!r:.80}, but the timer fires: the park is not "
            "explained (if its cause was mended, unpark it)"
        )


def _row_differences(row: Any, case: Any, last_digest: str) -> Iterator[str]:
    record = case.record
    timer = record.timer
    resolved = case.last_at - record.facts.opened_at if case.final else None
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
        "resolution_seconds": None if resolved is None else int(resolved.total_seconds()),
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
