"""P3: the sweeper (``CaseStore.fire_due_timers``) on file SQLite, at three sizes to show its
time is linear, for two kinds of sweep:

* ``auto-agree``: the merchant-response timers of requested refund cases (requested ->
  refunding);
* ``close``: the escalation timers of rejected cases, which END the cases (rejected -> closed).

Each template holds the largest size's cases, opened through the store one second apart (the
``close`` ones rejected through it too), so a sweep at ``due_for(k)`` finds exactly ``k`` due
timers. Each run sweeps a fresh copy of the template in batches of 1000 until nothing is due.

Baseline in the same run, interleaved: raw sqlite3 running the library's own statements. They
are captured once per kind and size from an untimed sweep of another copy (SQLAlchemy's events),
then replayed with their recorded parameters, transaction by transaction (BEGIN IMMEDIATE ...
COMMIT per batch, as the sweeper did); the replayed copy must end up with the same rows as the
swept one. For information, the ceiling: that raw SQL plus ``Case.fire_due_timers`` deciding the
same expiries on cases already in memory (no loading, no snapshot, no digest). No sweeper that
lets the library's rules decide each expiry can beat that ratio.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from aftersales import Actor, open_case
from aftersales.storage import CaseStore
from common import (
    Row,
    Statements,
    arguments,
    at_least,
    at_most,
    captured,
    compare,
    facts,
    interleaved,
    library_pragmas,
    raw_connection,
    report,
    run_raw,
    same_rows,
    settle,
    timed,
)
from peers import T0

BATCH = 1000
MERCHANT = Actor.merchant("S1")
REJECT = {"reject_reason": "not as described"}
REJECT_AFTER = timedelta(hours=1)
SWEEPS = {
    "auto-agree": ("refunding", lambda k: T0 + timedelta(hours=48, seconds=k - 1)),
    "close": ("closed", lambda k: T0 + REJECT_AFTER + timedelta(days=7, seconds=k - 1)),
}
"""Per kind of sweep: the state its timers lead to, and the sweep time at which exactly the
first ``k`` timers are due."""


def template(path: Path, kind: str, n: int) -> None:
    store = CaseStore(f"sqlite:///{path}")
    store.create_schema()
    for start in range(0, n, 1000):
        with Session(store.engine) as session, session.begin():  # a thousand per transaction
            for i in range(start, min(n, start + 1000)):
                opened = T0 + timedelta(seconds=i)
                case_id = f"K{i:06d}"
                store.open_case(facts(case_id, opened_at=opened), session=session)
                if kind == "close":
                    at = opened + REJECT_AFTER
                    store.send(
                        case_id, "reject", actor=MERCHANT, at=at, data=REJECT, session=session
                    )
    store.engine.dispose()


def sweep(store: CaseStore, now: datetime) -> int:
    """Sweep until nothing is due; the number of timers fired."""
    fired = 0
    while batch := store.fire_due_timers(now, batch=BATCH):
        fired += len(batch)
    return fired


def capture(folder: Path, source: Path, now: datetime) -> Statements:
    """The statements one sweep sends (untimed), checked: replayed raw, they write its rows."""
    swept, replayed = folder / "captured.db", folder / "replayed.db"
    shutil.copy(source, swept)
    shutil.copy(source, replayed)
    store = CaseStore(f"sqlite:///{swept}")
    with captured(store.engine) as statements:
        while store.fire_due_timers(now, batch=BATCH):
            pass
    store.engine.dispose()
    conn = raw_connection(replayed)
    run_raw(conn, statements)
    conn.close()
    same_rows(swept, replayed)
    swept.unlink()
    replayed.unlink()
    return statements


def decide(kind: str, k: int) -> float:
    """Timers/s of ``Case.fire_due_timers`` deciding the same ``k`` expiries on cases built in
    memory (untimed): no storage at all, for the ceiling."""
    after, due_for = SWEEPS[kind]
    cases = []
    for i in range(k):
        opened = T0 + timedelta(seconds=i)
        case = open_case(facts(f"K{i:06d}", opened_at=opened))
        if kind == "close":
            case.send("reject", actor=MERCHANT, at=opened + REJECT_AFTER, data=REJECT)
        cases.append(case)
    seconds = timed(lambda: [case.fire_due_timers(due_for(k)) for case in cases])
    assert all(case.state == after for case in cases)
    return k / seconds


def rows_of(kind: str, sizes: list[int], rates: dict[str, list[float]]) -> list[Row]:
    after, k = SWEEPS[kind][0], sizes[-1]
    rows = [
        compare(
            "P3",
            f"{kind} sweep ({after}) vs raw SQL, {size} timers",
            rates[f"{kind} {size} api"],
            rates[f"{kind} {size} raw"],
            "timers/s",
            ">= 0.20",
            at_least(0.20),
        )
        for size in sizes
    ]
    micros = [[1e6 / rate for rate in rates[f"{kind} {size} api"]] for size in sizes]
    per_round = list(zip(*micros, strict=True))
    rows.append(
        compare(
            "P3",
            f"{kind} linearity: slowest / fastest µs per timer",
            [max(r) for r in per_round],
            [min(r) for r in per_round],
            "µs",
            "<= 1.5",
            at_most(1.5),
        )
    )
    raw, memory = rates[f"{kind} {k} raw"], rates[f"{kind} {k} decide"]
    rows.append(
        compare(
            "P3",
            f"{kind} ceiling: raw SQL + Case deciding in memory, {k}",
            [1 / (1 / r + 1 / m) for r, m in zip(raw, memory, strict=True)],
            raw,
            "timers/s",
            "(ceiling)",
            None,
        )
    )
    return rows


def main() -> None:
    args = arguments(__doc__, timers=100000, rounds=(3, 3))
    sizes = sorted({max(1, args.timers // 10), max(1, args.timers * 3 // 10), args.timers})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        templates, statements = {}, {}
        for kind, (_, due_for) in SWEEPS.items():
            templates[kind] = folder / f"{kind}.db"
            template(templates[kind], kind, args.timers)
            for k in sizes:
                statements[kind, k] = capture(folder, templates[kind], due_for(k))
        settle()

        def api(kind: str, k: int) -> float:
            path = folder / "api.db"
            shutil.copy(templates[kind], path)
            store = CaseStore(f"sqlite:///{path}")  # connected outside the timing, as raw is
            library_pragmas(store.engine)
            fired: list[int] = []
            seconds = timed(lambda: fired.append(sweep(store, SWEEPS[kind][1](k))))
            store.engine.dispose()
            path.unlink()
            assert fired == [k], fired
            return k / seconds

        def raw(kind: str, k: int) -> float:
            path = folder / "raw.db"
            shutil.copy(templates[kind], path)
            conn = raw_connection(path)
            seconds = timed(lambda: run_raw(conn, statements[kind, k]))
            conn.close()
            path.unlink()
            return k / seconds

        contenders: dict[str, Callable[[int], float]] = {}
        for kind in SWEEPS:
            for k in sizes:
                contenders[f"{kind} {k} api"] = lambda _r, kind=kind, k=k: api(kind, k)
                contenders[f"{kind} {k} raw"] = lambda _r, kind=kind, k=k: raw(kind, k)
            contenders[f"{kind} {sizes[-1]} decide"] = lambda _r, kind=kind: decide(kind, sizes[-1])
        rates = interleaved(contenders, args.rounds)
    rows = [row for kind in SWEEPS for row in rows_of(kind, sizes, rates)]
    report(f"P3 sweeper on SQLite at {sizes} due timers, {args.rounds} rounds", rows)


if __name__ == "__main__":
    main()
