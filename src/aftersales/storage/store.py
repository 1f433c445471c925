"""Durable cases: the facade an order service embeds.

Every accepted command writes the case row and its log rows (each with its feed position) in one
transaction, or nothing. Inside a caller's ``Session`` the store never commits: the caller
commits its own change and the case change together. The store reads a clock (injectable) only
to refuse a command stamped in the future; the workflow never reads one.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from ..results import ParkedTimer
from ..workflow.case import Case, Verdict
from ..workflow.errors import AftersalesError, Conflict, InvalidInput
from ..workflow.inputs import CaseFacts, Id, Policy, Strict, check_facts, parse, parse_time
from ..workflow.liability import Assessment
from ..workflow.record import Actor, EventRecord
from .cache import DEFAULT_SIZE, CaseCache, Entry
from .commitments import secret_key
from .engine import make_engine, savepoint, transaction
from .feed import FeedItem, read_feed
from .intents import IntentStore
from .lines import LineStore
from .links import LinkMethods
from .listeners import Listener
from .report import ReportMethods
from .repository import Repository, insert_refusal, not_found, row_values
from .schema import Schema
from .settings import check_backend
from .sweeper import Swept, parked_timers, sweep, unpark
from .tables import case_table, metadata, refused_table

if TYPE_CHECKING:
    from ..results import Verification
    from ..workflow.dispatch import Engine as RulesEngine

T = TypeVar("T")


def utc_now() -> datetime:
    """The wall clock, in UTC: the store's default clock."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Refusal:
    """A refused command, as kept: who tried what, when, and the error code."""

    id: int
    case_id: str
    event: str
    actor: Actor
    at: datetime | None
    code: str
    field: str | None
    state: str | None
    command_id: str | None
    origin: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Sent:
    """What one command did: its event or refusal, and the case as written."""

    result: EventRecord | AftersalesError
    entry: Entry


class _Recheck(Exception):
    """A command decided on a cache entry was refused: decide it again on the stored row."""


class _CaseId(Strict):
    case_id: Id


class CaseStore(IntentStore, LineStore, LinkMethods, ReportMethods):
    """Cases in a database: open, send, ask, read, sweep timers, follow the feed; verify, report,
    keep WeChat's links; ``schema`` migrates (the only way in: nothing outside ``storage``
    touches the engine).

    ``db`` is a database URL (``sqlite:///cases.db``, ``postgresql://...``), a plain path to a
    SQLite file, or an :class:`Engine`. ``secret`` (bytes, or text taken as UTF-8) makes the
    log's digest chain a keyed MAC and keeps the keyed commitments ``verify`` checks (see
    :mod:`aftersales.storage.commitments`); text that is not UTF-8 is ``invalid_input``.
    A command stamped more than ``max_skew`` after ``clock()`` is refused; ``clock`` must
    return timezone-aware datetimes (it is called once here to check). ``listeners`` are
    called inside the transaction of every event the store records (see :meth:`on_event`).

    ``cache_size`` bounds the verified case cache (see :mod:`aftersales.storage.cache`): the
    cases this store wrote last, at most that many (least recently used out; 0: none), so a
    command on one skips reading its row; the write still checks the row's version and digest
    head, and a stale entry only costs a fresh load.
    """

    def __init__(
        self,
        db: str | Engine,
        *,
        secret: bytes | str | None = None,
        clock: Callable[[], datetime] = utc_now,
        max_skew: timedelta = timedelta(minutes=5),
        retries: int = 2,
        listeners: Iterable[Listener] = (),
        cache_size: int = DEFAULT_SIZE,
    ) -> None:
        if isinstance(db, Engine):
            self.engine = db
        elif isinstance(db, str) and db.strip():
            self.engine = make_engine(db)
        else:
            raise InvalidInput(
                "A store needs a database URL, a file path or an Engine.",
                "需要提供数据库地址、文件路径或 Engine。",
                "db",
            )
        check_backend(self.engine.dialect.name)
        self.repository = Repository(secret_key(secret))
        self.repository.listeners.extend(listeners)
        self.clock = _checked(clock)
        self.max_skew = max_skew
        self.retries = retries
        try:
            self.cache = CaseCache(cache_size)
        except ValueError:
            raise InvalidInput(
                "cache_size is a count of cases (0: no cache).",
                "cache_size 须为售后单数量(0 表示不缓存)。",
                "cache_size",
            ) from None
        self.schema = Schema(self.engine)
        """The database's schema: migrations, revision, emptying a test database."""

    def dispose(self) -> None:
        """Close the store's pooled connections (the store opens new ones if used again)."""
        self.engine.dispose()

    def verify(
        self,
        case_id: str | None = None,
        *,
        engine: RulesEngine = "compiled",
        batch: int = 500,
        progress: Callable[[int], object] | None = None,
        session: Session | None = None,
    ) -> Verification:
        """Check one case or every case against its log (see :mod:`aftersales.storage.verify`);
        ``progress(n)`` is called after each batch of ``n`` cases; inside ``session``, in the
        caller's transaction."""
        from .verify import verify

        return verify(self, case_id, engine=engine, batch=batch, progress=progress, session=session)

    def on_event(self, listener: Listener) -> Listener:
        """Call ``listener(conn, case, event)`` for every event the store records from now on
        (commands, timers the sweeper fires, syncs), inside the event's transaction, after its
        rows are written: the host's writes on ``conn`` commit with it or not at all, and a
        listener that raises rolls the whole write back. A write retried after a lost race
        calls it again (the first call's writes were rolled back). Returns ``listener``, so it
        can decorate."""
        self.repository.listeners.append(listener)
        return listener

    def create_schema(self, *, session: Session | None = None) -> None:
        """Create the tables directly and stamp the schema's Alembic head (tests, demos, a first
        install); ``aftersales db upgrade`` then has nothing to do."""
        from .migrate import ensure_schema, stamp_head

        with transaction(self.engine, session) as conn:
            ensure_schema(conn)
            metadata.create_all(conn)
            stamp_head(conn)

    # -- commands --------------------------------------------------------------------------
    def open_case(
        self,
        facts: CaseFacts | Mapping[str, Any],
        *,
        policy: Policy | Mapping[str, Any] | None = None,
        command_id: str | None = None,
        origin: str = "local",
        session: Session | None = None,
    ) -> Case:
        """Open and store a case.

        A taken ``case_id`` is ``conflict`` unless it is the same opening retried under its
        ``command_id``; another case of the same product line (``order_id`` and ``sku_id``) still
        open is ``conflict``; the line's applications beyond ``max_applications`` are
        ``limit_reached``.
        """
        if not isinstance(facts, CaseFacts):
            facts = parse(CaseFacts, facts)
        check_facts(facts)
        self._check_clock(facts.opened_at, "opened_at")

        written: list[Entry] = []

        def attempt(conn: Connection) -> Case:
            written.clear()
            taken, open_cases, applications = self.repository.line(conn, facts)
            if taken:
                return self._reopened(conn, facts, policy, command_id, origin)
            if open_cases:
                raise Conflict(
                    f"Another case of order {facts.order_id} line {facts.sku_id!r} is still open.",
                    f"订单 {facts.order_id} 的商品 {facts.sku_id!r} 已有进行中的售后单。",
                    "order_id",
                )
            case = Case.open(
                facts,
                policy=policy,
                command_id=command_id,
                origin=origin,
                prior_applications=applications,
            )
            if session is None:
                digest = self.repository.insert(conn, case)  # a duplicate fails the try: retried
                record = copy.copy(case.record)  # the caller holds the case and may change it
                written.append(Entry(record, case.version, digest, row_values(record)))
                return case
            try:
                with savepoint(conn):  # the caller's transaction goes on
                    self.repository.insert(conn, case)
            except sa.exc.IntegrityError:
                if self.repository.find(conn, facts.case_id) is None:
                    raise
                return self._reopened(conn, facts, policy, command_id, origin)
            return case

        case = self._run(attempt, session, retry=True)
        self._remember(case.case_id, written[0] if written else None, session)
        return case

    def _reopened(
        self,
        conn: Connection,
        facts: CaseFacts,
        policy: Policy | Mapping[str, Any] | None,
        command_id: str | None,
        origin: str,
    ) -> Case:
        existing = self.repository.case(conn, facts.case_id)
        opening = existing.events[0]
        if command_id is None or opening.command_id != command_id:
            raise Conflict(
                f"Case {facts.case_id} exists already.",
                f"售后单 {facts.case_id} 已存在。",
                "case_id",
            )
        again = Case.open(facts, policy=policy, command_id=command_id, origin=origin).record
        first = existing.record
        if (again.facts, again.policy) != (first.facts, first.policy):
            raise Conflict(
                f"command_id {command_id!r} opened case {facts.case_id} with other facts.",
                f"command_id {command_id!r} 已用其他事实开立售后单 {facts.case_id}。",
                "command_id",
            )
        return existing

    def send(
        self,
        case_id: str,
        event: str,
        *,
        actor: Actor,
        at: datetime | str,
        data: Mapping[str, Any] | None = None,
        command_id: str | None = None,
        origin: str = "local",
        inferred: bool = False,
        expected_version: int | None = None,
        session: Session | None = None,
    ) -> EventRecord:
        """Apply one command to a stored case; see :meth:`Case.send`.

        ``expected_version`` (the number of events the caller saw) makes the command fail with
        ``conflict`` if another writer got there first. Without it, a lost race is retried on
        the fresh case, when the store owns the transaction. A refused command is kept in the
        refusal log; timers that fell due before it have fired and stand. Inside your
        ``session`` both are written in your transaction: if you roll it back, call
        :meth:`keep_refusal_of` with the error to keep the refusal all the same.
        """
        if not (type(case_id) is str and case_id in self.cache):  # a cached id was checked
            _check_case_id(case_id)
        when = _time_or_none(at)
        if when is not None:
            self._check_clock(when, "at")

        def attempt(conn: Connection, cached: Entry | None = None) -> Sent:
            if cached is not None:
                loaded = self.repository.cached(conn, case_id, cached)
            else:
                loaded = self.repository.load(conn, case_id)
            if expected_version is not None and loaded.version != expected_version:
                raise Conflict(
                    f"Case {case_id} is at version {loaded.version}, not {expected_version}.",
                    f"售后单 {case_id} 已被修改(版本 {loaded.version},期望 {expected_version})。",
                    "expected_version",
                )
            case = loaded.case
            result: EventRecord | AftersalesError
            try:
                result = case.send(
                    event,
                    actor=actor,
                    at=at if when is None else when,  # parsed once
                    data=data,
                    command_id=command_id,
                    origin=origin,
                    inferred=inferred,
                )
            except AftersalesError as err:
                if cached is not None:
                    raise _Recheck from err  # decided on the entry: decide again on the row
                result = err
                row = self.repository.refusal(
                    conn, case, event, actor, at, command_id, origin, data, err
                )
                err.refusal = _refusal(row)
            [digest] = self.repository.append(conn, [loaded])
            return Sent(result, Entry(case.record, case.version, digest, row_values(case.record)))

        sent = self._cached_send(case_id, attempt, expected_version, session)
        if sent is None:
            sent = self._run(attempt, session, retry=expected_version is None)
        self._remember(case_id, sent.entry, session)
        if isinstance(sent.result, AftersalesError):
            raise sent.result
        return sent.result

    def _cached_send(
        self,
        case_id: str,
        attempt: Callable[[Connection, Entry | None], Sent],
        expected_version: int | None,
        session: Session | None,
    ) -> Sent | None:
        """The command decided on the case's cache entry, if the store owns the transaction,
        the case is cached (at ``expected_version``, when given) and the row still is as the
        entry says; ``None`` otherwise (the entry is then dropped)."""
        if session is not None:
            return None
        entry = self.cache.get(case_id)
        if entry is None or expected_version not in (None, entry.version):
            return None
        try:
            with transaction(self.engine) as conn:
                return attempt(conn, entry)
        except (_Recheck, Conflict):
            self.cache.drop(case_id)
            return None

    def _remember(self, case_id: str, entry: Entry | None, session: Session | None) -> None:
        """After a write: keep the case as written (the store's own transaction committed), or
        forget it (inside a caller's session, which may yet roll back)."""
        if session is None and entry is not None:
            self.cache.put(case_id, entry)
        else:
            self.cache.drop(case_id)

    def keep_refusal(
        self,
        case_id: str,
        event: str,
        *,
        actor: Actor,
        at: datetime | str,
        data: Mapping[str, Any] | None,
        error: AftersalesError,
        origin: str = "local",
        session: Session | None = None,
    ) -> None:
        """Keep a command refused outside the store (WeChat refused the call, say) in the
        refusal log, beside the store's own refusals."""
        _check_case_id(case_id)
        with transaction(self.engine, session) as conn:
            case = self.repository.load(conn, case_id).case
            self.repository.refusal(conn, case, event, actor, at, None, origin, data, error)

    def keep_refusal_of(self, error: AftersalesError, *, session: Session | None = None) -> bool:
        """Keep the refusal ``error`` carries (a command :meth:`send` refused inside your
        transaction, which you then rolled back) in the refused-command log; whether it was
        written now (``False``: it is kept already, as when your transaction committed).

        Call it once your transaction is over: on SQLite your open transaction holds the write
        lock this call needs.
        """
        refusal = error.refusal
        if not isinstance(refusal, Refusal):
            raise InvalidInput(
                "This error carries no refusal: only a command CaseStore.send refused can be "
                "kept with keep_refusal_of.",
                "该错误不含被拒指令:只有 CaseStore.send 拒绝的指令可以用 keep_refusal_of 保存。",
                "error",
            )
        row = _row(refusal)
        with transaction(self.engine, session) as conn:
            kept = conn.execute(sa.select(refused_table).where(refused_table.c.id == refusal.id))
            found = kept.mappings().first()
            # SQLite gives a rolled-back row's id again: the id alone does not say it is ours.
            if found is not None and {k: found[k] for k in row} == row:
                return False
            new_id = insert_refusal(conn, row)
            self.repository.commitments.refusal(conn, row)
        error.refusal = replace(refusal, id=new_id)
        return True

    def fire_due_timers(
        self,
        at: datetime | str,
        *,
        batch: int = 1000,
        case_id: str | None = None,
        session: Session | None = None,
    ) -> Swept:
        """Fire every timer due at or before ``at`` (of at most ``batch`` cases); the events.

        A linked case opened under contract version 3 whose platform-owned timer fell due is not
        moved: it is listed in the result's ``due_for_fetch`` (at most ``batch`` of them, soonest
        due first), for the caller to fetch its after-sale order and ``sync`` it. Such cases
        never take a place in the batch of cases to fire, however many are waiting.

        On PostgreSQL due cases are claimed with ``FOR UPDATE SKIP LOCKED``, so sweepers running
        side by side never fire the same timer twice. A case whose expiry fails is parked with
        its error (see :meth:`parked_timers`) while every other due timer fires.
        """
        when = parse_time(at, "at")
        self._check_clock(when, "at")
        if case_id is not None:
            _check_case_id(case_id)
        touched: set[str] = set()
        try:
            with transaction(self.engine, session) as conn:
                return sweep(conn, self.repository, when, batch, case_id, touched)
        finally:
            self.cache.drop(*touched)

    def parked_timers(self, *, session: Session | None = None) -> list[ParkedTimer]:
        """Cases whose due timer could not fire, with the error; the sweeper skips them."""
        with transaction(self.engine, session) as conn:
            return parked_timers(conn)

    def unpark_timer(self, case_id: str, *, session: Session | None = None) -> bool:
        """Let the sweeper try a parked case's timer again (once its cause is mended); whether
        the case had a parked timer."""
        _check_case_id(case_id)
        with transaction(self.engine, session) as conn:
            released = unpark(conn, self.repository, case_id)
        if released is None:
            raise not_found(case_id)
        return released

    # -- reading ---------------------------------------------------------------------------
    def get(self, case_id: str, *, session: Session | None = None) -> Case:
        """The case as it stands, with its whole log; ``not_found`` if there is none."""
        _check_case_id(case_id)
        with transaction(self.engine, session) as conn:
            return self.repository.case(conn, case_id)

    def history(self, case_id: str, *, session: Session | None = None) -> list[EventRecord]:
        """The case's log, read from the append-only event rows."""
        _check_case_id(case_id)
        with transaction(self.engine, session) as conn:
            events = self.repository.log(conn, case_id)
        if not events:
            raise not_found(case_id)
        return events

    def recorded(
        self, case_id: str, command_id: str, *, session: Session | None = None
    ) -> EventRecord | None:
        """The event recorded under ``command_id`` in the case, if any."""
        _check_case_id(case_id)
        with transaction(self.engine, session) as conn:
            return self.repository.recorded(conn, case_id, command_id)

    def would(
        self,
        case_id: str,
        event: str,
        actor: Actor,
        *,
        at: datetime | str | None = None,
        data: Mapping[str, Any] | None = None,
        session: Session | None = None,
    ) -> Verdict:
        """What one event would do now; see :meth:`Case.would`."""
        return self.get(case_id, session=session).would(event, actor, at=at, data=data)

    def allowed(
        self,
        case_id: str,
        actor: Actor,
        *,
        at: datetime | str | None = None,
        data: Mapping[str, Any] | None = None,
        session: Session | None = None,
    ) -> dict[str, Verdict]:
        """What every event would do now for ``actor``; see :meth:`Case.allowed`."""
        return self.get(case_id, session=session).allowed(actor, at=at, data=data)

    def assess(self, case_id: str, *, session: Session | None = None) -> Assessment:
        """The liability assessment of a stored case."""
        return self.get(case_id, session=session).assess()

    def case_ids(self, *, batch: int = 1000, session: Session | None = None) -> Iterator[str]:
        """Every stored case id, in id order, read a batch at a time."""
        after = ""
        while True:
            with transaction(self.engine, session) as conn:
                query = (
                    sa.select(case_table.c.case_id)
                    .where(case_table.c.case_id > after)
                    .order_by(case_table.c.case_id)
                    .limit(batch)
                )
                found = list(conn.execute(query).scalars())
            yield from found
            if len(found) < batch:
                return
            after = found[-1]

    def count_cases(self, *, session: Session | None = None) -> int:
        """How many cases are stored."""
        with transaction(self.engine, session) as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(case_table)).scalar_one()
            )

    def events_since(
        self, cursor: int = 0, *, limit: int = 1000, session: Session | None = None
    ) -> list[FeedItem]:
        """Events after position ``cursor`` in the global feed, oldest first.

        A position, once read, never gets an event before it: reading from the last position
        seen loses nothing. On PostgreSQL the events committed since the last read are given
        their positions first, one reader at a time (so the read writes: not on a replica).
        """
        return read_feed(self.engine, cursor, limit, session)

    def refusals(
        self, case_id: str | None = None, *, session: Session | None = None
    ) -> list[Refusal]:
        """Refused commands, oldest first, for one case or all."""
        query = sa.select(refused_table).order_by(refused_table.c.id)
        if case_id is not None:
            query = query.where(refused_table.c.case_id == case_id)
        with transaction(self.engine, session) as conn:
            return [_refusal(row) for row in conn.execute(query).mappings()]

    def check_time(self, when: datetime, field: str = "at") -> None:
        """Refuse a time more than ``max_skew`` ahead of the store's clock (``invalid_input``),
        as every command is: for callers that must check before acting elsewhere."""
        self._check_clock(when, field)

    # -- internals -------------------------------------------------------------------------
    def _check_clock(self, when: datetime, field: str) -> None:
        limit = self.clock() + self.max_skew
        if when > limit:
            raise InvalidInput(
                f"{field} {when.isoformat()} lies ahead of the store's clock by more than "
                f"{self.max_skew}: stamp a command with the time the actor acted.",
                f"{field} {when.isoformat()} 超前于存储时钟 {self.max_skew} 以上:"
                "请以操作发生的时间为指令盖时间戳。",
                field,
            )

    def _run(self, attempt: Callable[[Connection], T], session: Session | None, retry: bool) -> T:
        tries = 1 + (self.retries if retry and session is None else 0)
        for left in range(tries - 1, -1, -1):
            try:
                with transaction(self.engine, session) as conn:
                    return attempt(conn)
            except Conflict:
                if left == 0:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover


def _checked(clock: Callable[[], datetime]) -> Callable[[], datetime]:
    """``clock``, once it has given a timezone-aware datetime (``datetime.now`` gives a naive
    one, which cannot be compared with a command's time)."""
    now = clock()
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise InvalidInput(
            f"The store's clock must return a timezone-aware datetime (datetime.now(UTC), not "
            f"datetime.now); it returned {now!r}.",
            f"存储时钟必须返回带时区的 datetime(用 datetime.now(UTC),而非 datetime.now);"
            f"它返回了 {now!r}。",
            "clock",
        )
    return clock


def _refusal(row: Mapping[Any, Any]) -> Refusal:
    """A refused-command row as a :class:`Refusal`."""
    return Refusal(
        id=row["id"],
        case_id=row["case_id"],
        event=row["event"],
        actor=Actor(row["actor_role"], row["actor_id"]),
        at=row["at"],
        code=row["code"],
        field=row["field"],
        state=row["state"],
        command_id=row["command_id"],
        origin=row["origin"],
        data=dict(row["data"]),
    )


def _row(refusal: Refusal) -> dict[str, Any]:
    """The refused-command row of a :class:`Refusal`, without its id."""
    return {
        "case_id": refusal.case_id,
        "event": refusal.event,
        "actor_role": refusal.actor.role,
        "actor_id": refusal.actor.id,
        "at": refusal.at,
        "code": refusal.code,
        "field": refusal.field,
        "state": refusal.state,
        "command_id": refusal.command_id,
        "origin": refusal.origin,
        "data": refusal.data,
    }


def _check_case_id(case_id: object) -> None:
    parse(_CaseId, {"case_id": case_id})


def _time_or_none(at: object) -> datetime | None:
    try:
        return parse_time(at)
    except AftersalesError:
        return None  # the case refuses it, and keeps the refusal
