"""Durable cases: the facade an order service embeds.

Every accepted command writes the case row, its log rows, feed rows and timer rows in one
transaction, or nothing. Inside a caller's ``Session`` the facade never commits: the caller
commits its own change and the case change together.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..workflow.case import Case, Verdict
from ..workflow.errors import AftersalesError, Conflict, NotFound
from ..workflow.inputs import CaseFacts, Policy, parse_time
from ..workflow.liability import Assessment
from ..workflow.record import Actor, CaseRecord, EventRecord
from .codec import load_record, record_from_row
from .engine import DEFAULT_URL, Tx, make_engine, raw_transaction, transaction
from .statements import DUE_CASE, DUE_CASES, PLACE_FEED, SELECT_CASE
from .tables import (
    case_table,
    divergence_table,
    event_table,
    feed_table,
    metadata,
    refused_table,
    timer_table,
)
from .writes import Loaded, append_batch, append_events, insert_case, log_refusal, logged

T = TypeVar("T")

FEED_LOCK = 0x61667465_72666565
"""PostgreSQL advisory lock key taken while feed positions are given (ASCII "afterfee")."""


@dataclass(frozen=True)
class FeedItem:
    """One event in the global feed."""

    position: int
    case_id: str
    event: EventRecord


class CaseStore:
    """Cases in a database: open, send, ask, read, sweep timers, verify, follow the feed."""

    def __init__(
        self, db: str | Engine = DEFAULT_URL, *, retries: int = 1, cache_size: int = 10_000
    ) -> None:
        self.engine = db if isinstance(db, Engine) else make_engine(db)
        self.retries = retries
        self.cache_size = cache_size
        # Records this store committed, by case id, with the digest of their last event. A
        # command whose row still carries that digest skips parsing the snapshot; any other
        # writer changes the digest, so a stale record is never used.
        self._cache: OrderedDict[str, tuple[str, CaseRecord]] = OrderedDict()

    def create_schema(self) -> None:
        """Create the tables directly (tests, demos). Production runs ``aftersales db upgrade``."""
        metadata.create_all(self.engine)

    # -- commands --------------------------------------------------------------------------
    def open_case(
        self,
        facts: CaseFacts | Mapping[str, Any],
        *,
        policy: Policy | Mapping[str, Any] | None = None,
        command_id: str | None = None,
        session: Session | None = None,
    ) -> Case:
        """Open and store a case; a taken ``case_id`` is ``conflict`` unless it is a retry."""
        case = Case.open(facts, policy=policy, command_id=command_id)
        with raw_transaction(self.engine, session) as conn:
            existing = self._find(conn, case.case_id)
            if existing is None:
                insert_case(conn, case)
                append_events(conn, Loaded(case, 0, "", None))
                return case
        if command_id is not None and existing.case.record.commands.get(command_id) == 1:
            return self.get(case.case_id, session=session)
        raise Conflict(
            f"Case {case.case_id} exists already.", f"售后单 {case.case_id} 已存在。", "case_id"
        )

    def send(
        self,
        case_id: str,
        event: str,
        *,
        actor: Actor,
        at: datetime | str,
        command_id: str | None = None,
        expected_version: int | None = None,
        session: Session | None = None,
        **data: Any,
    ) -> EventRecord:
        """Apply one command to a stored case; see :meth:`Case.send`.

        ``expected_version`` (the number of events the caller saw) makes the command fail with
        ``conflict`` if another writer got there first. Without it, a lost race is retried
        ``retries`` times on the fresh case, when the facade owns the transaction.
        """

        def attempt(conn: Tx) -> EventRecord | AftersalesError:
            loaded = self._load(conn, case_id)
            if expected_version is not None and loaded.version != expected_version:
                raise Conflict(
                    f"Case {case_id} is at version {loaded.version}, not {expected_version}.",
                    f"售后单 {case_id} 已被修改(版本 {loaded.version},期望 {expected_version})。",
                    "expected_version",
                )
            case = loaded.case
            seen = case.record.commands.get(command_id) if command_id is not None else None
            if seen is not None:
                return logged(conn, case_id, seen)
            try:
                result: EventRecord | AftersalesError = case.send(
                    event, actor=actor, at=at, command_id=command_id, **data
                )
            except AftersalesError as err:
                result = err
                log_refusal(conn, case, event, actor, at, command_id, data, err)
            # Timers that fell due before a refused command have fired and stand.
            digest = append_events(conn, loaded)
            done.append((case, digest))
            return result

        done: list[tuple[Case, str]] = []
        result = self._run(attempt, session, retry=expected_version is None)
        if session is None and done:
            self._remember(*done[-1])
        if isinstance(result, AftersalesError):
            raise result
        return result

    def fire_due_timers(
        self, now: datetime | str, limit: int = 1000, *, case_id: str | None = None
    ) -> int:
        """Fire every timer due at or before ``now`` (at most ``limit`` cases); count the events.

        On PostgreSQL due rows are claimed with ``FOR UPDATE SKIP LOCKED``, so sweepers running
        side by side never fire the same timer twice. ``case_id`` limits the sweep to one case.
        """
        now = parse_time(now, "now")
        with raw_transaction(self.engine) as conn:
            if case_id is None:
                found = DUE_CASES.execute(conn, {"p_now": now, "p_limit": limit})
            else:
                found = DUE_CASE.execute(conn, {"p_now": now, "p_case_id": case_id})
            # One running timer per case makes one row per case; a second would be ignored.
            rows = {row[0]: row for row in found.fetchall()}
            batch = []
            for due_case, snapshot, version, digest in rows.values():
                loaded = self._loaded(due_case, snapshot, version, digest)
                loaded.case.fire_due_timers(now)
                batch.append(loaded)
            append_batch(conn, batch)
        return sum(len(item.case.events) for item in batch)

    # -- reading ---------------------------------------------------------------------------
    def get(self, case_id: str, *, session: Session | None = None) -> Case:
        """The case as it stands, with its whole log; ``not_found`` if there is none."""
        with transaction(self.engine, session) as conn:
            snapshot = conn.execute(
                sa.select(case_table.c.snapshot).where(case_table.c.case_id == case_id)
            ).scalar()
            rows = conn.execute(
                sa.select(event_table)
                .where(event_table.c.case_id == case_id)
                .order_by(event_table.c.seq)
            ).all()
        if snapshot is None:
            raise _not_found(case_id)
        record = load_record(snapshot)
        record.events = [record_from_row(row) for row in rows]
        return Case(record)

    def allowed(
        self,
        case_id: str,
        actor: Actor,
        *,
        at: datetime | str | None = None,
        session: Session | None = None,
        **data: Any,
    ) -> dict[str, Verdict]:
        """What every event would do now for ``actor``; see :meth:`Case.allowed`."""
        return self.get(case_id, session=session).allowed(actor, at=at, **data)

    def assess(self, case_id: str, *, session: Session | None = None) -> Assessment:
        """The liability assessment of a stored case."""
        return self.get(case_id, session=session).assess()

    def history(self, case_id: str, *, session: Session | None = None) -> list[EventRecord]:
        """The case's log, read from the append-only event rows."""
        with transaction(self.engine, session) as conn:
            rows = conn.execute(
                sa.select(event_table)
                .where(event_table.c.case_id == case_id)
                .order_by(event_table.c.seq)
            ).all()
        if not rows:
            raise _not_found(case_id)
        return [record_from_row(row) for row in rows]

    def case_ids(self) -> list[str]:
        """Every stored case id, in opening order."""
        with transaction(self.engine) as conn:
            query = sa.select(case_table.c.case_id).order_by(
                case_table.c.opened_at, case_table.c.case_id
            )
            return list(conn.execute(query).scalars())

    def events_since(self, cursor: int = 0, limit: int = 1000) -> list[FeedItem]:
        """Events after position ``cursor`` in the global feed, oldest first.

        A position, once read, never gets an event before it: reading from the last position
        seen loses nothing. On PostgreSQL the events committed since the last read are given
        their positions first, one reader at a time.
        """
        if self.engine.dialect.name == "postgresql":
            # READ COMMITTED whatever the engine's default: the placing statement, run once the
            # lock is held, must see the positions the reader before it gave.
            placing = self.engine.execution_options(isolation_level="READ COMMITTED")
            with transaction(placing) as conn:
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(FEED_LOCK)))
                conn.execute(PLACE_FEED)
        with transaction(self.engine) as conn:
            rows = conn.execute(
                sa.select(feed_table.c.position, event_table)
                .join(
                    event_table,
                    sa.and_(
                        event_table.c.case_id == feed_table.c.case_id,
                        event_table.c.seq == feed_table.c.seq,
                    ),
                )
                .where(feed_table.c.position > cursor)
                .order_by(feed_table.c.position)
                .limit(limit)
            ).all()
        return [FeedItem(row.position, row.case_id, record_from_row(row)) for row in rows]

    def refusals(self, case_id: str | None = None) -> list[dict[str, Any]]:
        """Refused commands, oldest first, for one case or all."""
        query = sa.select(refused_table).order_by(refused_table.c.id)
        if case_id is not None:
            query = query.where(refused_table.c.case_id == case_id)
        with transaction(self.engine) as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    # -- platform ids and divergences (WeChat Shop interop) -----------------------------------
    def link_platform_id(
        self, case_id: str, platform_id: str, *, session: Session | None = None
    ) -> None:
        """Store WeChat's ``after_sale_order_id`` beside our case id (a re-application may
        reuse it or bring a new one: the latest link wins)."""
        with transaction(self.engine, session) as conn:
            done = conn.execute(
                case_table.update()
                .where(case_table.c.case_id == case_id)
                .values(platform_id=platform_id)
            )
        if done.rowcount != 1:
            raise _not_found(case_id)

    def case_for_platform_id(self, platform_id: str) -> str:
        """Our case id for WeChat's ``after_sale_order_id``; ``not_found`` if none is linked."""
        with transaction(self.engine) as conn:
            case_id = conn.execute(
                sa.select(case_table.c.case_id)
                .where(case_table.c.platform_id == platform_id)
                .order_by(case_table.c.opened_at.desc())
            ).scalar()
        if case_id is None:
            raise NotFound(
                f"No case is linked to WeChat after-sale {platform_id!r}.",
                f"没有售后单关联到微信售后单 {platform_id!r}。",
                "after_sale_order_id",
            )
        return str(case_id)

    def record_divergence(
        self, case_id: str, platform_id: str, status: str, our_state: str, key: str, at: datetime
    ) -> bool:
        """Keep a disagreement with the platform once per notification; whether it was new."""
        try:
            with transaction(self.engine) as conn:
                conn.execute(
                    divergence_table.insert().values(
                        case_id=case_id,
                        platform_id=platform_id,
                        platform_status=status,
                        our_state=our_state,
                        key=key,
                        at=at,
                    )
                )
        except sa.exc.IntegrityError:
            return False
        return True

    def divergences(self) -> list[dict[str, Any]]:
        """Every recorded disagreement with the platform, oldest first."""
        with transaction(self.engine) as conn:
            rows = conn.execute(sa.select(divergence_table).order_by(divergence_table.c.id))
            return [dict(row._mapping) for row in rows]

    def timers(self, case_id: str) -> list[dict[str, Any]]:
        """The case's timer rows, in the order they started."""
        with transaction(self.engine) as conn:
            rows = conn.execute(
                sa.select(timer_table)
                .where(timer_table.c.case_id == case_id)
                .order_by(timer_table.c.id)
            )
            return [dict(row._mapping) for row in rows]

    # -- internals -------------------------------------------------------------------------
    def _run(self, attempt: Callable[[Tx], T], session: Session | None, retry: bool) -> T:
        tries = 1 + (self.retries if retry and session is None else 0)
        for left in range(tries - 1, -1, -1):
            try:
                with raw_transaction(self.engine, session) as conn:
                    return attempt(conn)
            except Conflict:
                if left == 0 or not retry:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _load(self, conn: Tx, case_id: str) -> Loaded:
        loaded = self._find(conn, case_id)
        if loaded is None:
            raise _not_found(case_id)
        return loaded

    def _find(self, conn: Tx, case_id: str) -> Loaded | None:
        row = SELECT_CASE.execute(conn, {"p_case_id": case_id}).fetchone()
        return None if row is None else self._loaded(case_id, *row)

    def _loaded(self, case_id: str, snapshot: str, version: int, digest: str) -> Loaded:
        cached = self._cache.pop(case_id, None)
        record = cached[1] if cached is not None and cached[0] == digest else load_record(snapshot)
        return Loaded(Case(record), version, digest, record.timer)

    def _remember(self, case: Case, digest: str) -> None:
        """Keep a committed case for the next command on it."""
        if self.cache_size <= 0:
            return
        case.record.events = []  # the log keeps them; the cache holds what a snapshot holds
        self._cache[case.case_id] = (digest, case.record)
        while len(self._cache) > self.cache_size:
            with suppress(KeyError):
                self._cache.popitem(last=False)


def _not_found(case_id: str) -> NotFound:
    return NotFound(f"No case {case_id!r}.", f"没有售后单 {case_id!r}。", "case_id")
