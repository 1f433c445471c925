"""The ``eventsourcing`` library: one Aggregate per case, an Application on its SQLite recorder.

Each step: the repository rebuilds the case from its stored events (no cache, no snapshots), the
command method checks the guards and triggers one event, and ``save`` inserts it. The optimistic
lock is the events table's primary key (originator_id, originator_version): a second writer of
the same version gets ``IntegrityError``. There is no current-state row: that is the design.

Pragmas: ``eventsourcing.sqlite`` sets ``journal_mode=WAL`` itself and takes the busy timeout from
``SQLITE_LOCK_TIMEOUT`` (seconds), but leaves ``synchronous`` at SQLite's default FULL (2).
``PERSISTENCE_MODULE`` accepts a factory class as well as a module, so ``TunedSQLiteFactory``
below (the library's ``SQLiteFactory`` with a pool that also sets ``synchronous=NORMAL`` on each
new connection) is used to match the other peers. ``library_default_pragmas`` shows the stock one.

On PostgreSQL (``setup_postgres``) it is the stock ``eventsourcing.postgres`` module (psycopg 3
and its pool), configured only through its documented environment variables (``POSTGRES_DBNAME``,
``POSTGRES_HOST``, ``POSTGRES_PORT``, ``POSTGRES_USER``, ``POSTGRES_PASSWORD``), everything else
at its defaults: a pool of 5, events inserted in one pipelined transaction that takes the events
table's lock (``LOCK TABLE ... IN EXCLUSIVE MODE``, its way of keeping notification ids in commit
order), and no database functions (``POSTGRES_ENABLE_DB_FUNCTIONS``: that path skips the lock).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool, SQLiteFactory
from eventsourcing.utils import EnvType, get_topic
from sqlalchemy.engine import make_url

from . import (
    BUYER,
    OPEN_FOR_MERCHANT,
    Actor,
    Refused,
    Step,
    checked_pg_settings,
    checked_pragmas,
    drive,
    facts,
    negotiation_refusal,
)


class TunedPool(SQLiteConnectionPool):
    """The library's pool, plus ``synchronous=NORMAL`` on every connection it makes."""

    def _create_connection(self) -> SQLiteConnection:
        conn = super()._create_connection()
        with conn.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=NORMAL")
        return conn


class TunedSQLiteFactory(SQLiteFactory):
    def __init__(self, env: Any) -> None:
        super().__init__(env)
        stock = self.datastore.pool
        self.datastore.pool = TunedPool(db_name=stock.db_name, lock_timeout=stock.lock_timeout)
        stock.close()


class Case(Aggregate):
    """One after-sales case; every event keeps who, when, its data and the states around it."""

    @staticmethod
    def create_id(case_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, "aftersales-case/" + case_id)

    @event("Opened")
    def __init__(self, case_id: str, facts: dict[str, Any], actor_role: str, actor_id: str):
        self.case_id = case_id
        self.type: str = facts["type"]
        self.requested_amount: int = facts["requested_amount"]
        self.state = "requested"
        self.negotiation_type: str | None = None
        self.tracking_no: str | None = None
        self.refund_amount: int | None = None

    # -- commands: the guards, then one event -------------------------------------------------

    def negotiate(self, actor: Actor, at: datetime, **data: Any) -> None:
        self._require(actor, "merchant", OPEN_FOR_MERCHANT, "negotiate")
        if (why := negotiation_refusal(data)) is not None:
            raise Refused(why)
        self._negotiated(*actor, at, data, self.state, "negotiating")

    def accept(self, actor: Actor, at: datetime, **data: Any) -> None:
        self._require(actor, "buyer", ("negotiating",), "accept")
        if self.negotiation_type == "request_evidence":
            raise Refused("accept: an evidence request is answered with evidence")
        if self.negotiation_type == "invite_cancel":
            after = "cancelled"
        else:
            after = "refunding" if self.type == "refund" else "awaiting_return"
        self._accepted(*actor, at, data, self.state, after)

    def agree(self, actor: Actor, at: datetime, **data: Any) -> None:
        self._require(actor, "merchant", OPEN_FOR_MERCHANT, "agree")
        after = "awaiting_return" if self.type == "return_refund" else "refunding"
        self._agreed(*actor, at, data, self.state, after)

    def ship_return(self, actor: Actor, at: datetime, **data: Any) -> None:
        self._require(actor, "buyer", ("awaiting_return",), "ship_return")
        if not data.get("tracking"):
            raise Refused("ship_return needs a tracking number")
        self._return_shipped(*actor, at, data, self.state, "awaiting_receipt")

    def confirm_receipt(self, actor: Actor, at: datetime, **data: Any) -> None:
        self._require(actor, "merchant", ("awaiting_receipt",), "confirm_receipt")
        self._receipt_confirmed(*actor, at, data, self.state, "refunding")

    def refund_succeeded(self, actor: Actor, at: datetime, **data: Any) -> None:
        self._require(actor, "system", ("refunding",), "refund_succeeded")
        self._refunded(*actor, at, data, self.state, "refunded")

    def _require(self, actor: Actor, role: str, sources: tuple[str, ...], name: str) -> None:
        if actor.role != role:
            raise Refused(f"{name}: only the {role} may send it, not the {actor.role}")
        if self.state not in sources:
            raise Refused(f"{name}: not allowed from {self.state}")

    # -- events: applied when triggered and again whenever the case is rebuilt ----------------

    @event("Negotiated")
    def _negotiated(
        self, role: str, by: str, at: datetime, data: Mapping[str, Any], before: str, after: str
    ) -> None:
        self.state, self.negotiation_type = after, data["negotiation_type"]

    @event("Accepted")
    def _accepted(
        self, role: str, by: str, at: datetime, data: Mapping[str, Any], before: str, after: str
    ) -> None:
        self.state = after

    @event("Agreed")
    def _agreed(
        self, role: str, by: str, at: datetime, data: Mapping[str, Any], before: str, after: str
    ) -> None:
        self.state = after

    @event("ReturnShipped")
    def _return_shipped(
        self, role: str, by: str, at: datetime, data: Mapping[str, Any], before: str, after: str
    ) -> None:
        self.state, self.tracking_no = after, data["tracking"]

    @event("ReceiptConfirmed")
    def _receipt_confirmed(
        self, role: str, by: str, at: datetime, data: Mapping[str, Any], before: str, after: str
    ) -> None:
        self.state = after

    @event("RefundSucceeded")
    def _refunded(
        self, role: str, by: str, at: datetime, data: Mapping[str, Any], before: str, after: str
    ) -> None:
        self.state, self.refund_amount = after, self.requested_amount


class Cases(Application[UUID]):
    def open(self, case_id: str, kind: str) -> None:
        values = facts(case_id, kind)
        self.save(Case(case_id=case_id, facts=values, actor_role=BUYER.role, actor_id=BUYER.id))

    def send(self, case_id: str, step: Step) -> None:
        case: Case = self.repository.get(Case.create_id(case_id))
        getattr(case, step.event)(step.actor, step.at, **step.data)
        self.save(case)

    def state_of(self, case_id: str) -> str:
        case: Case = self.repository.get(Case.create_id(case_id))
        return case.state


def environment(path: Path, module: str) -> EnvType:
    return {
        "PERSISTENCE_MODULE": module,
        "SQLITE_DBNAME": str(path),
        "SQLITE_LOCK_TIMEOUT": "30",  # seconds: busy_timeout 30000 ms
        "AGGREGATE_CACHE_MAXSIZE": "",  # no aggregate cache: every step reads the events
        "IS_SNAPSHOTTING_ENABLED": "no",
    }


def postgres_environment(url: str) -> EnvType:
    """The documented variables of ``eventsourcing.postgres`` for a SQLAlchemy URL."""
    parsed = make_url(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parsed.database or "",
        "POSTGRES_HOST": parsed.host or "127.0.0.1",
        "POSTGRES_PORT": str(parsed.port or 5432),
        "POSTGRES_USER": parsed.username or "postgres",
        "POSTGRES_PASSWORD": parsed.password or "",
        "AGGREGATE_CACHE_MAXSIZE": "",  # no aggregate cache: every step reads the events
        "IS_SNAPSHOTTING_ENABLED": "no",
    }


def read_settings(app: Application[UUID]) -> dict[str, str]:
    """``PG_SETTINGS`` read back on a connection of the application's own pool."""
    datastore = app.factory.datastore  # type: ignore[attr-defined]
    with datastore.transaction(commit=False) as cursor:
        got = {}
        for name in ("synchronous_commit", "fsync", "default_transaction_isolation"):
            cursor.execute(f"SHOW {name}")
            got[name] = str(next(iter(cursor.fetchone().values())))
    return got


def read_pragmas(app: Application[UUID]) -> dict[str, str]:
    datastore = app.factory.datastore  # type: ignore[attr-defined]
    with datastore.transaction(commit=False) as cursor:
        got = {}
        for name in ("journal_mode", "synchronous", "busy_timeout"):
            cursor.execute(f"PRAGMA {name}")
            got[name] = str(cursor.fetchone()[0]).lower()
    return got


def library_default_pragmas(path: Path) -> dict[str, str]:
    """What the stock ``eventsourcing.sqlite`` recorder leaves in effect (for the record)."""
    app = Cases(env=environment(path, "eventsourcing.sqlite"))
    try:
        return read_pragmas(app)
    finally:
        app.close()


class Peer:
    name = "eventsourcing"

    def setup(self, path: Path) -> None:
        self.app = Cases(env=environment(path, get_topic(TunedSQLiteFactory)))
        got = read_pragmas(self.app)
        self._pragmas = checked_pragmas(lambda sql: got[sql.removeprefix("PRAGMA ")])

    def setup_postgres(self, url: str) -> None:
        self.app = Cases(env=postgres_environment(url))
        got = read_settings(self.app)
        self._pragmas = checked_pg_settings(lambda sql: got[sql.removeprefix("SHOW ")])

    def pragmas(self) -> dict[str, str]:
        return self._pragmas

    def open(self, case_id: str, kind: str) -> None:
        self.app.open(case_id, kind)

    def step(self, case_id: str, step: Step) -> None:
        self.app.send(case_id, step)

    def run(self, case_ids: list[str], kind: str) -> None:
        drive(self, case_ids, kind)

    def replay(self, case_ids: list[str]) -> int:
        """The repository's get: each case rebuilt from its events (no state row to compare)."""
        for case_id in case_ids:
            case: Case = self.app.repository.get(Case.create_id(case_id))
            if case.case_id != case_id:
                raise AssertionError(f"{case_id}: rebuilt {case.case_id}")
        return len(case_ids)

    def final_states(self, case_ids: list[str]) -> dict[str, str]:
        return {case_id: self.app.state_of(case_id) for case_id in case_ids}

    def close(self) -> None:
        self.app.close()
