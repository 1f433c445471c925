"""P7: the after-sales report (``aftersales.metrics.report``) over a million cases on file SQLite.

Loading: a dozen template cases are written through ``CaseStore`` (every kind of history the
report counts: cancelled, refunded, returned, rejected and closed by its timer, escalated and
ruled either way, a refused direct rejection, evidence requested, a modified request, cases
still open). Their rows are then copied with SQL, ``INSERT ... SELECT`` over a counter, into
``cases`` new cases: each copy gets its own case and order id, one of 50 shops, one of ten
categories (with its seven-day-return setting), and every time column moved by 0-27 days; every
other column (log data and notes, snapshots, digests) is the template's, byte for byte, so rows
have the library's exact shape and size. The copies' digests and the opening events' data still
name the template: ``verify`` would flag them, the report reads neither. Feed rows are not
copied (the report does not read the feed). The templates are deleted, the WAL checkpointed;
nothing is ANALYZEd (the library does not).

Timed, in interleaved rounds: the whole report, one shop's report, and the baseline, one pass
over the log joined to its cases, counting events by category and event (the report makes
several such passes, and a few over the cases). Target: a few seconds for the whole report.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
import tempfile
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from aftersales import Actor, AftersalesError
from aftersales.metrics import Period
from aftersales.storage import CaseStore
from aftersales.storage.tables import UTCDateTime, case_table, event_table, refused_table
from common import arguments, compare, facts, interleaved, report, timed
from peers import T0

MERCHANT, BUYER, PLATFORM = Actor.merchant("S1"), Actor.buyer("B1"), Actor.platform()
SYSTEM = Actor.system()
EVIDENCE = [{"kind": "image", "ref": "m-1"}]
CANCEL = {"negotiation_type": "invite_cancel", "reason": "agreed_cancel", "evidence": EVIDENCE}
ASK = {"negotiation_type": "request_evidence", "reason": "buyer_unreachable", "evidence": EVIDENCE}
TEMPLATES: dict[str, tuple[dict[str, object], list[tuple[str, Actor, dict[str, object]]]]] = {
    "cancelled": ({}, [("negotiate", MERCHANT, CANCEL), ("accept", BUYER, {})]),
    "refunded": ({}, [("agree", MERCHANT, {}), ("refund_succeeded", SYSTEM, {})]),
    "returned": (
        {"type": "return_refund"},
        [
            ("agree", MERCHANT, {}),
            ("ship_return", BUYER, {"tracking": "SF1"}),
            ("confirm_receipt", MERCHANT, {}),
            ("refund_succeeded", SYSTEM, {}),
        ],
    ),
    "rejected, lapsed": (
        {},
        [("reject", MERCHANT, {"reject_reason": "used"}), ("sweep", SYSTEM, {})],
    ),
    "ruled for buyer": (
        {},
        [
            ("negotiate", MERCHANT, CANCEL),
            ("decline", BUYER, {}),
            ("reject", MERCHANT, {"evidence": EVIDENCE}),
            ("escalate", BUYER, {}),
            ("rule", PLATFORM, {"outcome": "buyer"}),
            ("refund_succeeded", SYSTEM, {}),
        ],
    ),
    "ruled for merchant": (
        {},
        [
            ("reject", MERCHANT, {}),
            ("escalate", BUYER, {}),
            ("rule", PLATFORM, {"outcome": "merchant"}),
        ],
    ),
    "blocked rejection": ({}, [("blocked", MERCHANT, {}), ("negotiate", MERCHANT, CANCEL)]),
    "evidence": (
        {},
        [
            ("negotiate", MERCHANT, ASK),
            ("supply_evidence", BUYER, {"evidence": EVIDENCE}),
            ("agree", MERCHANT, {}),
        ],
    ),
    "modified": ({}, [("modify", BUYER, {"requested_amount": 8000}), ("agree", MERCHANT, {})]),
    "requested": ({}, []),
    "intervened": ({}, [("intervene", PLATFORM, {"message": "m"})]),
}
CATEGORIES = [
    ("ordinary", "supported"),
    ("ordinary", "supported"),
    ("ordinary", "supported"),
    ("ordinary", "supported"),
    ("ordinary", "supported"),
    ("ordinary", "supported"),
    ("virtual", "supported_until_used"),
    ("fresh", "not_supported"),
    ("plants", "not_supported"),
    ("custom", "not_supported"),
]


ONE_PASS = (
    "SELECT c.category, e.event, count(*) FROM aftersales_event e "
    "JOIN aftersales_case c ON c.case_id = e.case_id GROUP BY 1, 2"
)


def write_templates(store: CaseStore) -> list[str]:
    ids = []
    for n, (name, (overrides, script)) in enumerate(TEMPLATES.items()):
        case_id = f"T{n}"
        policy = {"direct_rejection": "forbid"} if name == "blocked rejection" else None
        store.open_case(facts(case_id, **overrides), policy=policy)
        for hour, (event, actor, data) in enumerate(script, start=1):
            at = T0 + timedelta(hours=hour)
            if event == "sweep":
                store.fire_due_timers(at + timedelta(days=8), case_id=case_id)
            elif event == "blocked":
                with contextlib.suppress(AftersalesError):
                    store.send(case_id, "reject", actor=actor, at=at, data=data)
            else:
                store.send(case_id, event, actor=actor, at=at, data=data)
        ids.append(case_id)
    return ids


NEW_ID = {"case_id": "printf('K%07d', k.i)"}
NEW_CASE = {
    **NEW_ID,
    "order_id": "printf('O-K%07d', k.i)",
    "shop_id": "'S' || (k.i % 50)",
    "category": "c.category",
    "seven_day_return": "c.seven_day_return",
}


def copy_sql(table: sa.Table) -> str:
    """``INSERT ... SELECT`` of ``table``'s template rows, once per copy ``k.i``."""
    changed = NEW_CASE if table is case_table else NEW_ID
    names, values = [], []
    for column in table.c:
        if column.name in ("id", "position"):  # the report reads no feed
            continue
        names.append(column.name)
        if column.name in changed:
            values.append(changed[column.name])
        elif isinstance(column.type, UTCDateTime):  # a time: moved by 0-27 days
            values.append(
                f"strftime('%Y-%m-%d %H:%M:%S', t.{column.name}, '+' || (k.i % 28) || ' days')"
                f" || substr(t.{column.name}, 20)"
            )
        else:
            values.append(f"t.{column.name}")
    return (
        "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < :n) "
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(values)} "
        f"FROM k JOIN templates m ON m.n = k.i % :templates "
        f"JOIN {table.name} t ON t.case_id = m.case_id "
        "JOIN categories c ON c.n = (k.i / 7) % 10"
    )


def fill(path: Path, templates: list[str], n: int) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TEMP TABLE templates (n INTEGER PRIMARY KEY, case_id TEXT)")
        conn.executemany("INSERT INTO templates VALUES (?, ?)", enumerate(templates))
        conn.execute(
            "CREATE TEMP TABLE categories (n INTEGER PRIMARY KEY, category, seven_day_return)"
        )
        conn.executemany(
            "INSERT INTO categories VALUES (?, ?, ?)", [(i, *c) for i, c in enumerate(CATEGORIES)]
        )
        params = {"n": n, "templates": len(templates)}
        for table in (case_table, event_table, refused_table):
            conn.execute(copy_sql(table), params)
        marks = ",".join("?" * len(templates))
        for table in (
            "aftersales_case",
            "aftersales_event",
            "aftersales_refused",
        ):
            conn.execute(f"DELETE FROM {table} WHERE case_id IN ({marks})", templates)
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def main() -> None:
    args = arguments(__doc__, cases=1000000, rounds=(3, 3))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.db"
        store = CaseStore(f"sqlite:///{path}")
        store.create_schema()
        fill(path, write_templates(store), args.cases)
        store.engine.dispose()
        store = CaseStore(f"sqlite:///{path}")
        conn = sqlite3.connect(path)
        found = []

        def whole(_round: int) -> float:
            return timed(lambda: found.append(store.report()))

        def one_shop(_round: int) -> float:
            return timed(lambda: store.report(Period(shop="S7")))

        def scan(_round: int) -> float:
            return timed(lambda: conn.execute(ONE_PASS).fetchall())

        seconds = interleaved({"whole": whole, "shop": one_shop, "scan": scan}, args.rounds)
        conn.close()
        store.engine.dispose()
    assert found[0].overall.cases == args.cases, found[0].overall.cases
    rows = []
    for name, what in (("whole", "whole report"), ("shop", "one shop's report")):
        figure = f"{what} (s) vs one grouped pass over the log"
        row = compare("P7", figure, seconds[name], seconds["scan"], "s", "", None)
        rows.append(dataclasses.replace(row, target="< 5 s (a few seconds)", passed=row.value < 5))
    report(f"P7 report over {args.cases} cases on SQLite", rows)


if __name__ == "__main__":
    main()
