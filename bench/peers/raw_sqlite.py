"""The floor: plain ``sqlite3``, hand-written SQL, the transition check in Python.

One ``BEGIN IMMEDIATE`` transaction per step: select the case, decide, update the case row where
the version is the one read, insert the log row, commit.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from . import (
    BUYER,
    OPEN_FOR_MERCHANT,
    PRAGMA_STATEMENTS,
    Refused,
    Step,
    checked_pragmas,
    drive,
    facts,
    negotiation_refusal,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (
    case_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, shop_id TEXT NOT NULL,
    buyer_id TEXT NOT NULL, type TEXT NOT NULL, category TEXT NOT NULL,
    paid_amount INTEGER NOT NULL, requested_amount INTEGER NOT NULL, buyer_reason TEXT NOT NULL,
    opened_at TEXT NOT NULL, state TEXT NOT NULL, version INTEGER NOT NULL,
    negotiation_type TEXT, tracking_no TEXT, refund_amount INTEGER, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS case_log (
    case_id TEXT NOT NULL, seq INTEGER NOT NULL, event TEXT NOT NULL,
    actor_role TEXT NOT NULL, actor_id TEXT NOT NULL, at TEXT NOT NULL, data TEXT NOT NULL,
    state_before TEXT, state_after TEXT NOT NULL, PRIMARY KEY (case_id, seq)
);
"""
INSERT_CASE = (
    "INSERT INTO cases (case_id, order_id, shop_id, buyer_id, type, category, paid_amount, "
    "requested_amount, buyer_reason, opened_at, state, version, updated_at) "
    "VALUES (:case_id, :order_id, :shop_id, :buyer_id, :type, :category, :paid_amount, "
    ":requested_amount, :buyer_reason, :opened_at, 'requested', 1, :opened_at)"
)
SELECT_CASE = (
    "SELECT state, version, type, negotiation_type, tracking_no, refund_amount, "
    "requested_amount FROM cases WHERE case_id = ?"
)
COLUMNS = (
    "state",
    "version",
    "type",
    "negotiation_type",
    "tracking",
    "refund_amount",
    "requested_amount",
)
UPDATE_CASE = (
    "UPDATE cases SET state = ?, version = ?, negotiation_type = ?, tracking_no = ?, "
    "refund_amount = ?, updated_at = ? WHERE case_id = ? AND version = ?"
)
INSERT_LOG = "INSERT INTO case_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"

Case = dict[str, Any]
Decision = tuple[str, dict[str, Any]]
"""The target state and the columns the step changes."""


def _require(case: Case, role: str, needed: str, sources: tuple[str, ...], event: str) -> None:
    if role != needed:
        raise Refused(f"{event}: only the {needed} may send it, not the {role}")
    if case["state"] not in sources:
        raise Refused(f"{event}: not allowed from {case['state']}")


def _negotiate(case: Case, role: str, data: Mapping[str, Any]) -> Decision:
    _require(case, role, "merchant", OPEN_FOR_MERCHANT, "negotiate")
    if (why := negotiation_refusal(data)) is not None:
        raise Refused(why)
    return "negotiating", {"negotiation_type": data["negotiation_type"]}


def _accept(case: Case, role: str, data: Mapping[str, Any]) -> Decision:
    _require(case, role, "buyer", ("negotiating",), "accept")
    kind = case["negotiation_type"]
    if kind == "request_evidence":
        raise Refused("accept: an evidence request is answered with evidence")
    if kind == "invite_cancel":
        return "cancelled", {}
    return ("refunding" if case["type"] == "refund" else "awaiting_return"), {}


def _agree(case: Case, role: str, data: Mapping[str, Any]) -> Decision:
    _require(case, role, "merchant", OPEN_FOR_MERCHANT, "agree")
    return ("awaiting_return" if case["type"] == "return_refund" else "refunding"), {}


def _ship_return(case: Case, role: str, data: Mapping[str, Any]) -> Decision:
    _require(case, role, "buyer", ("awaiting_return",), "ship_return")
    if not data.get("tracking"):
        raise Refused("ship_return needs a tracking number")
    return "awaiting_receipt", {"tracking": data["tracking"]}


def _confirm_receipt(case: Case, role: str, data: Mapping[str, Any]) -> Decision:
    _require(case, role, "merchant", ("awaiting_receipt",), "confirm_receipt")
    return "refunding", {}


def _refund_succeeded(case: Case, role: str, data: Mapping[str, Any]) -> Decision:
    _require(case, role, "system", ("refunding",), "refund_succeeded")
    return "refunded", {"refund_amount": case["requested_amount"]}


RULES: dict[str, Callable[[Case, str, Mapping[str, Any]], Decision]] = {
    "negotiate": _negotiate,
    "accept": _accept,
    "agree": _agree,
    "ship_return": _ship_return,
    "confirm_receipt": _confirm_receipt,
    "refund_succeeded": _refund_succeeded,
}


def decide(case: Case, event: str, role: str, data: Mapping[str, Any]) -> Decision:
    """The target state and changed columns of ``event`` on ``case``; raises ``Refused``."""
    rule = RULES.get(event)
    if rule is None:
        raise Refused(f"unknown event {event!r}")
    return rule(case, role, data)


class Peer:
    name = "raw sqlite3"

    def setup(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)  # we issue BEGIN ourselves
        for statement in PRAGMA_STATEMENTS:
            self.conn.execute(statement)
        self._pragmas = checked_pragmas(lambda sql: self.conn.execute(sql).fetchone()[0])
        self.conn.executescript(SCHEMA)

    def pragmas(self) -> dict[str, str]:
        return self._pragmas

    def open(self, case_id: str, kind: str) -> None:
        values = facts(case_id, kind)
        values["opened_at"] = at = values["opened_at"].isoformat()
        data = json.dumps({k: v for k, v in values.items() if k != "case_id"})
        with self._transaction() as conn:
            conn.execute(INSERT_CASE, values)
            conn.execute(INSERT_LOG, (case_id, 1, "open", *BUYER, at, data, None, "requested"))

    def step(self, case_id: str, step: Step) -> None:
        at = step.at.isoformat()
        with self._transaction() as conn:
            row = conn.execute(SELECT_CASE, (case_id,)).fetchone()
            if row is None:
                raise Refused(f"no case {case_id}")
            case = dict(zip(COLUMNS, row, strict=True))
            target, changes = decide(case, step.event, step.actor.role, step.data)
            version = case["version"]
            new = {**case, **changes, "state": target}
            updated = conn.execute(
                UPDATE_CASE,
                (
                    target,
                    version + 1,
                    new["negotiation_type"],
                    new["tracking"],
                    new["refund_amount"],
                    at,
                    case_id,
                    version,
                ),
            ).rowcount
            if updated != 1:
                raise Refused(f"{case_id}: version {version} is stale")
            conn.execute(
                INSERT_LOG,
                (
                    case_id,
                    version + 1,
                    step.event,
                    *step.actor,
                    at,
                    json.dumps(step.data),
                    case["state"],
                    target,
                ),
            )

    def run(self, case_ids: list[str], kind: str) -> None:
        drive(self, case_ids, kind)

    def replay(self, case_ids: list[str]) -> int:
        """Fold each case's log through ``decide`` from its opening row; compare to the row."""
        for case_id in case_ids:
            stored, case_type, requested = self.conn.execute(
                "SELECT state, type, requested_amount FROM cases WHERE case_id = ?", (case_id,)
            ).fetchone()
            log = self.conn.execute(
                "SELECT event, actor_role, data, state_after FROM case_log "
                "WHERE case_id = ? ORDER BY seq",
                (case_id,),
            ).fetchall()
            case: Case = {"type": case_type, "requested_amount": requested}
            case.update(state=None, negotiation_type=None, tracking_no=None, refund_amount=None)
            for event, role, data, after in log:
                if event == "open" and case["state"] is None:
                    target, changes = "requested", dict[str, Any]()
                else:
                    target, changes = decide(case, event, role, json.loads(data))
                if target != after:
                    raise AssertionError(f"{case_id}: {event} leads to {target}, log {after}")
                case.update(changes, state=target)
            if case["state"] != stored:
                raise AssertionError(f"{case_id}: replayed {case['state']}, stored {stored}")
        return len(case_ids)

    def final_states(self, case_ids: list[str]) -> dict[str, str]:
        marks = ",".join("?" * len(case_ids))
        rows = self.conn.execute(
            f"SELECT case_id, state FROM cases WHERE case_id IN ({marks})", case_ids
        )
        return dict(rows.fetchall())

    def close(self) -> None:
        self.conn.close()

    def _transaction(self) -> _Immediate:
        return _Immediate(self.conn)


class _Immediate:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` on any error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self.conn.execute("COMMIT" if kind is None else "ROLLBACK")
