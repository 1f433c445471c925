"""P7: the after-sales report over many cases on SQLite (the issue asks for a million).

Synthetic cases and log rows are bulk-inserted with raw sqlite3 (building them through the store
would take far longer than the report). Baseline in the same run: one full scan of the log
(``count(*)`` over the event table), the least any report over it could cost.
"""

from __future__ import annotations

import json
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from aftersales.metrics import report as metrics_report
from aftersales.storage import CaseStore
from common import Row, arguments, report

CATEGORIES = ["ordinary"] * 6 + ["virtual", "fresh", "plants", "custom"]
REASONS = [
    ("invite_cancel", "agreed_cancel"),
    ("invite_cancel", "no_seven_day_return_invite_cancel"),
    ("request_evidence", "no_seven_day_return_request_quality_evidence"),
    ("modify_request", "modify_amount_only"),
]
TIME = "2026-03-{day:02d} 02:00:00.000000"


def fill(path: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    conn = sqlite3.connect(path)
    cases, events, refused = [], [], []
    for i in range(n):
        case_id, day = f"K{i:07d}", 1 + i % 28
        shop = f"S{i % 50}"
        events.append(
            (
                case_id,
                1,
                "open",
                "buyer",
                "B1",
                TIME.format(day=day),
                "{}",
                "{}",
                None,
                "requested",
                None,
                1,
                "d",
            )
        )
        seq, state, liability = 1, "requested", None
        roll = rng.random()
        if roll < 0.6:
            ntype, reason = rng.choice(REASONS)
            data = json.dumps({"negotiation_type": ntype, "reason": reason})
            answer = rng.choice(["accept", "decline", "expire"])
            after = {
                "accept": "cancelled",
                "decline": "buyer_declined",
                "expire": "buyer_timed_out",
            }[answer]
            events.append(
                (
                    case_id,
                    2,
                    "negotiate",
                    "merchant",
                    shop,
                    TIME.format(day=day),
                    data,
                    "{}",
                    "requested",
                    "negotiating",
                    None,
                    1,
                    "d",
                )
            )
            events.append(
                (
                    case_id,
                    3,
                    answer,
                    "buyer",
                    "B1",
                    TIME.format(day=day),
                    "{}",
                    "{}",
                    "negotiating",
                    after,
                    None,
                    1,
                    "d",
                )
            )
            seq, state = 3, after
        if state in ("requested", "buyer_declined", "buyer_timed_out") and rng.random() < 0.3:
            events.append(
                (
                    case_id,
                    seq + 1,
                    "reject",
                    "merchant",
                    shop,
                    TIME.format(day=day),
                    "{}",
                    "{}",
                    state,
                    "rejected",
                    None,
                    1,
                    "d",
                )
            )
            seq, state = seq + 1, "rejected"
            if rng.random() < 0.4:
                events.append(
                    (
                        case_id,
                        seq + 1,
                        "escalate",
                        "buyer",
                        "B1",
                        TIME.format(day=day),
                        "{}",
                        "{}",
                        "rejected",
                        "platform_intervention",
                        None,
                        1,
                        "d",
                    )
                )
                liability = rng.choice(["merchant", "buyer"])
                seq, state = seq + 1, "closed"
        if rng.random() < 0.02:
            refused.append(
                (
                    case_id,
                    "reject",
                    "merchant",
                    shop,
                    None,
                    "negotiation_required",
                    "event",
                    "requested",
                    None,
                    "{}",
                )
            )
        final = state in ("cancelled", "closed")
        cases.append(
            (
                case_id,
                "O" + case_id,
                shop,
                "B1",
                "refund",
                rng.choice(CATEGORIES),
                "supported",
                10000,
                10000,
                "no_reason",
                1,
                TIME.format(day=day),
                state,
                seq,
                None,
                TIME.format(day=day),
                liability,
                None,
                None,
                3600 * rng.randint(1, 200) if final else None,
                "d",
                "{}",
            )
        )
    conn.executemany(f"INSERT INTO aftersales_case VALUES ({','.join('?' * 22)})", cases)
    conn.executemany(f"INSERT INTO aftersales_event VALUES ({','.join('?' * 13)})", events)
    conn.executemany(
        "INSERT INTO aftersales_refused (case_id, event, actor_role, actor_id, at, code, field, "
        "state, command_id, data) VALUES (?,?,?,?,?,?,?,?,?,?)",
        refused,
    )
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


def main() -> None:
    args = arguments(__doc__, cases=1000000)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.db"
        store = CaseStore(f"sqlite:///{path}")
        store.create_schema()
        fill(path, args.cases)
        start = time.perf_counter()
        groups = metrics_report(store)
        whole = time.perf_counter() - start
        start = time.perf_counter()
        metrics_report(store, shop="S7")
        one_shop = time.perf_counter() - start
        conn = sqlite3.connect(path)
        start = time.perf_counter()
        conn.execute("SELECT count(*) FROM aftersales_event").fetchone()
        scan = time.perf_counter() - start
        conn.close()
        store.engine.dispose()
    assert groups["all"].cases == args.cases
    report(
        f"P7 report over {args.cases} cases on SQLite",
        [
            Row(
                "P7",
                "whole report (s) vs one scan of the log",
                whole,
                scan,
                "s",
                whole / scan,
                "< a few seconds",
                whole < 5,
            ),
            Row(
                "P7",
                "one shop's report (s) vs one scan of the log",
                one_shop,
                scan,
                "s",
                one_shop / scan,
                "< a few seconds",
                one_shop < 5,
            ),
        ],
    )


if __name__ == "__main__":
    main()
