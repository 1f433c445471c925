"""P3: the sweeper firing due timers on SQLite, at three sizes to show time is linear.

Baseline in the same run: raw sqlite3 doing the same selects, updates and inserts per timer,
committed in batches of the same size. For information, the ceiling: the bare machine deciding
the same expiries with no storage at all, added to the raw SQL. No sweeper that lets
python-statemachine decide each expiry can beat that ratio.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
from datetime import UTC, timedelta
from pathlib import Path

from aftersales.storage import CaseStore
from aftersales.storage.codec import dump_record, load_record
from aftersales.workflow.case import machine_for
from aftersales.workflow.inputs import NoData
from common import INSERT_FEED, T0, Row, arguments, facts, report

BATCH = 1000


def template(folder: Path, n: int) -> tuple[Path, str]:
    """A database with ``n`` requested cases, opened one second apart (timers due likewise)."""
    path = folder / "template.db"
    store = CaseStore(f"sqlite:///{path}")
    store.create_schema()
    for i in range(n):
        store.open_case(facts(f"K{i:06d}", opened_at=T0 + timedelta(seconds=i)))
    snapshot = dump_record(store.get("K000000").record)
    store.engine.dispose()
    return path, snapshot


def due_for(k: int):
    """The sweep time at which exactly the first ``k`` timers are due."""
    return T0 + timedelta(hours=48, seconds=k - 1)


def run_api(path: Path, k: int) -> float:
    store = CaseStore(f"sqlite:///{path}")
    start = time.perf_counter()
    while store.fire_due_timers(due_for(k), limit=BATCH):
        pass
    elapsed = time.perf_counter() - start
    store.engine.dispose()
    return elapsed


def run_raw(path: Path, k: int, snapshot: str) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    now = due_for(k).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    start = time.perf_counter()
    position = 0
    while True:
        conn.execute("BEGIN IMMEDIATE")
        due = conn.execute(
            "SELECT case_id FROM aftersales_timer WHERE status = 'running' AND due_at <= ? "
            "ORDER BY due_at LIMIT ?",
            (now, BATCH),
        ).fetchall()
        for (case_id,) in due:
            version = conn.execute(
                "SELECT snapshot, version, digest FROM aftersales_case WHERE case_id = ?",
                (case_id,),
            ).fetchone()[1]
            conn.execute(
                "UPDATE aftersales_case SET state=?, due_at=?, last_at=?, version=?, digest=?, "
                "snapshot=? WHERE case_id=? AND version=?",
                ("refunding", None, now, version + 1, "d" * 64, snapshot, case_id, version),
            )
            conn.execute(
                "INSERT INTO aftersales_event (case_id, seq, event, actor_role, actor_id, at, "
                "data, note, state_before, state_after, command_id, schema_version, digest) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    case_id,
                    version + 1,
                    "expire",
                    "system",
                    None,
                    now,
                    "{}",
                    "{}",
                    "requested",
                    "refunding",
                    None,
                    1,
                    "d" * 64,
                ),
            )
            position += 1
            conn.execute(INSERT_FEED, (case_id, version + 1))
            conn.execute(
                "UPDATE aftersales_timer SET status='fired', ended_seq=?, fired_at=? "
                "WHERE case_id=? AND status='running'",
                (version + 1, now, case_id),
            )
        conn.execute("COMMIT")
        if not due:
            break
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def run_engine(path: Path, k: int) -> float:
    """The bare machine firing the first ``k`` cases' timers, records loaded beforehand."""
    with sqlite3.connect(path) as conn:
        query = "SELECT snapshot FROM aftersales_case ORDER BY opened_at LIMIT ?"
        records = [load_record(snapshot) for (snapshot,) in conn.execute(query, (k,))]
    payload = NoData()
    start = time.perf_counter()
    for record in records:
        assert record.timer is not None
        record.now = record.timer.due
        machine_for(record).send("expire", payload=payload)
    elapsed = time.perf_counter() - start
    assert all(record.state == "refunding" for record in records)
    return elapsed


def fired(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        query = "SELECT count(*) FROM aftersales_timer WHERE status = 'fired'"
        return int(conn.execute(query).fetchone()[0])


def main() -> None:
    args = arguments(__doc__, timers=100000)
    sizes = sorted({max(1, args.timers // 10), max(1, args.timers * 3 // 10), args.timers})
    rows = []
    per_timer = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path, snapshot = template(folder, args.timers)
        for k in sizes:
            api_db, raw_db = folder / f"api-{k}.db", folder / f"raw-{k}.db"
            shutil.copy(path, api_db)
            shutil.copy(path, raw_db)
            api, raw = run_api(api_db, k), run_raw(raw_db, k, snapshot)
            for db in (api_db, raw_db):
                assert fired(db) == k, f"{db.name}: {fired(db)} timers fired, expected {k}"
            per_timer[k] = api / k * 1e6
            ratio = (k / api) / (k / raw)
            rows.append(
                Row(
                    "P3",
                    f"sweeper vs raw SQL, {k} timers (timers/s)",
                    k / api,
                    k / raw,
                    "timers/s",
                    ratio,
                    ">= 0.20",
                    ratio >= 0.20,
                )
            )
        engine = run_engine(path, args.timers)
    spread = max(per_timer.values()) / min(per_timer.values())
    rows.append(
        Row(
            "P3",
            "linearity: slowest / fastest µs per timer across sizes",
            max(per_timer.values()),
            min(per_timer.values()),
            "µs",
            spread,
            "<= 1.5",
            spread <= 1.5,
        )
    )
    k = args.timers
    ceiling = raw / (raw + engine)
    rows.append(
        Row(
            "P3",
            f"ceiling: raw SQL + bare machine per expiry, {k}",
            k / (raw + engine),
            k / raw,
            "timers/s",
            ceiling,
            "(ceiling)",
            True,
        )
    )
    rows.append(
        Row(
            "P3",
            f"share of the sweep spent in the bare machine, {k}",
            engine / k * 1e6,
            api / k * 1e6,
            "µs",
            engine / api,
            "(info)",
            True,
        )
    )
    report(f"P3 sweeper on SQLite at {sizes} due timers", rows)


if __name__ == "__main__":
    main()
