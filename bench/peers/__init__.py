"""Benchmark peers: the after-sales workload on what a Python team would otherwise pick.

Every peer runs the same workload with the same guarantees as ``aftersales``: each step is its own
transaction that reads the case's state from the database, checks the transition is allowed from
that state for that actor's role, changes the state and appends one log row atomically under an
optimistic lock. All use a file SQLite database with the same pragmas, read back after connecting,
or (``setup_postgres``, for ``p8_postgres.py``) a PostgreSQL database of their own with the same
settings (``PG_SETTINGS``), read back the same way.

Peers (import them one by one: each pulls in its own library, Django configures itself):

* ``peers.django_fsm``: django-fsm-2 + django-fsm-log on the Django ORM.
* ``peers.transitions_sa``: ``transitions`` Machine + SQLAlchemy 2 ORM.
* ``peers.eventsourcing_peer``: ``eventsourcing`` Aggregate + Application, SQLite recorder.
* ``peers.raw_sqlite``: plain ``sqlite3`` and hand-written SQL: a floor, not a peer.

The workload, two kinds of case run to their final state:

* ``cancel``: open (refund) -> merchant negotiates invite_cancel/agreed_cancel -> buyer accepts,
  which resolves at once to ``cancelled``.
* ``return``: open (return_refund) -> merchant agrees -> buyer ships the return -> merchant
  confirms receipt -> the payment system reports the refund succeeded: ``refunded``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple, Protocol

PRAGMA_STATEMENTS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=30000",
)
"""What every peer sets on each SQLite connection (or has its library set)."""
PRAGMAS = {"journal_mode": "wal", "synchronous": "1", "busy_timeout": "30000"}
"""What every peer must read back (synchronous 1 is NORMAL)."""
PG_SETTINGS = {
    "synchronous_commit": "on",
    "fsync": "on",
    "default_transaction_isolation": "read committed",
}
"""What every contender must read back on its own PostgreSQL connection: PostgreSQL's defaults,
a commit durable when it returns, each transaction at READ COMMITTED unless it says otherwise."""

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 1, 10, tzinfo=CST)
KINDS = ("cancel", "return")
FINAL = {"cancel": "cancelled", "return": "refunded"}
CASE_TYPE = {"cancel": "refund", "return": "return_refund"}

OPEN_FOR_MERCHANT = ("requested", "buyer_declined", "buyer_timed_out", "evidence_supplied")
"""The states the merchant may agree or negotiate from (as in ``aftersales``)."""
NEGOTIATION_TYPES = frozenset({"invite_cancel", "request_evidence", "modify_request"})


class Actor(NamedTuple):
    role: str
    id: str


BUYER, MERCHANT, SYSTEM = Actor("buyer", "B1"), Actor("merchant", "S1"), Actor("system", "pay")


@dataclass(frozen=True)
class Step:
    """One command after opening: the event, who sends it, when, and its data."""

    event: str
    actor: Actor
    at: datetime
    data: Mapping[str, Any]


STEPS: dict[str, tuple[Step, ...]] = {
    "cancel": (
        Step(
            "negotiate",
            MERCHANT,
            T0 + timedelta(hours=1),
            {
                "negotiation_type": "invite_cancel",
                "reason": "agreed_cancel",
                "evidence": [{"kind": "chat_record", "ref": "m-1"}],
                "message": "We have agreed with you to cancel this after-sales request; "
                "please cancel it.",
            },
        ),
        Step("accept", BUYER, T0 + timedelta(hours=2), {}),
    ),
    "return": (
        Step("agree", MERCHANT, T0 + timedelta(hours=1), {}),
        Step("ship_return", BUYER, T0 + timedelta(hours=2), {"tracking": "SF123"}),
        Step("confirm_receipt", MERCHANT, T0 + timedelta(hours=3), {}),
        Step("refund_succeeded", SYSTEM, T0 + timedelta(hours=4), {}),
    ),
}
"""The steps after opening, per kind; each ends in ``FINAL[kind]``."""


class Refused(Exception):
    """A step the case's state, the actor's role or the step's data does not allow."""


class Peer(Protocol):
    """What every peer module's ``Peer`` class offers.

    ``open`` and ``step`` are the single transactions ``run`` is made of; they are public so that
    the self-check can send a step that must be refused.
    """

    name: str

    def setup(self, path: Path) -> None:
        """Create the database file and its schema, connect, and check the pragmas."""

    def setup_postgres(self, url: str) -> None:
        """Connect to the (new, empty) PostgreSQL database at ``url`` (a SQLAlchemy URL), create
        the schema, and check ``PG_SETTINGS``."""

    def open(self, case_id: str, kind: str) -> None:
        """Open one case (one transaction: the case and its first log row)."""

    def step(self, case_id: str, step: Step) -> None:
        """One step in its own transaction; raises if the step is not allowed."""

    def run(self, case_ids: list[str], kind: str) -> None:
        """Open each case and run it to its final state, one transaction per step."""

    def replay(self, case_ids: list[str]) -> int:
        """Rebuild each case's state from its stored log, check it against the stored state."""

    def final_states(self, case_ids: list[str]) -> dict[str, str]:
        """Each case's current state, read from the database."""

    def pragmas(self) -> dict[str, str]:
        """The pragmas (or, on PostgreSQL, the settings) read back from the connection."""

    def close(self) -> None:
        """Release connections."""


def facts(case_id: str, kind: str) -> dict[str, Any]:
    """The facts a case is opened with."""
    return {
        "case_id": case_id,
        "order_id": "O-" + case_id,
        "shop_id": "S1",
        "buyer_id": "B1",
        "type": CASE_TYPE[kind],
        "category": "ordinary",
        "paid_amount": 10000,
        "requested_amount": 10000,
        "buyer_reason": "quality_issue",
        "opened_at": T0,
    }


def drive(peer: Peer, case_ids: list[str], kind: str) -> None:
    """``run`` for every peer: each case opened, then its steps in order."""
    steps = STEPS[kind]
    for case_id in case_ids:
        peer.open(case_id, kind)
        for step in steps:
            peer.step(case_id, step)


def negotiation_refusal(data: Mapping[str, Any]) -> str | None:
    """Why a negotiation's data is not acceptable, or None: the guard every peer applies."""
    if data.get("negotiation_type") not in NEGOTIATION_TYPES:
        return f"unknown negotiation_type {data.get('negotiation_type')!r}"
    if not data.get("reason"):
        return "a negotiation needs a reason"
    if data["reason"] == "agreed_cancel" and not data.get("evidence"):
        return "reason agreed_cancel needs evidence"
    return None


def checked_pg_settings(query: Callable[[str], object]) -> dict[str, str]:
    """Read the PostgreSQL settings back with ``query`` (SQL -> first column); insist on ours."""
    got = {name: str(query(f"SHOW {name}")).lower() for name in PG_SETTINGS}
    if got != PG_SETTINGS:
        raise RuntimeError(f"PostgreSQL settings are {got}, expected {PG_SETTINGS}")
    return got


def checked_pragmas(query: Callable[[str], object]) -> dict[str, str]:
    """Read the pragmas back with ``query`` (SQL -> first column) and insist they are ours."""
    got = {name: str(query(f"PRAGMA {name}")).lower() for name in PRAGMAS}
    if got != PRAGMAS:
        raise RuntimeError(f"SQLite pragmas are {got}, expected {PRAGMAS}")
    return got
