"""kill -9 of writers and a sweeper mid-flight: every acknowledged command is in the log, nothing
is duplicated, and the log still verifies. Bounded in time (a couple of seconds a backend)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from aftersales.storage import CaseStore
from aftersales.storage.verify import verify
from tests.support import facts

ROOT = Path(__file__).resolve().parents[2]
WRITER = """
import sys
from datetime import datetime, timedelta, timezone
from aftersales import Actor, AftersalesError
from aftersales.storage import CaseStore
url, name, acks = sys.argv[1], sys.argv[2], open(sys.argv[3], "a", buffering=1)
store = CaseStore(url)
t0 = datetime(2026, 3, 1, 10, tzinfo=timezone(timedelta(hours=8)))
for n in range(100000):
    case_id = f"{name}-{n}"
    store.open_case({"case_id": case_id, "order_id": "O-" + case_id, "shop_id": "S1",
        "buyer_id": "B1", "type": "refund", "category": "ordinary", "paid_amount": 100,
        "requested_amount": 100, "buyer_reason": "other", "opened_at": t0})
    acks.write(f"{case_id} 1\\n")
    try:  # the sweeper may have agreed for the merchant first: then the rejection is refused
        store.send(case_id, "reject", actor=Actor.merchant("S1"), at=t0 + timedelta(hours=1),
                   command_id=f"{case_id}-reject")
    except AftersalesError:
        continue
    acks.write(f"{case_id} 2\\n")
"""
SWEEPER = """
import sys
from aftersales.storage import CaseStore
store = CaseStore(sys.argv[1])
while True:
    store.fire_due_timers("2026-03-20T00:00:00+08:00", batch=20)
"""


def spawn(script: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_kill_9_loses_and_duplicates_nothing(db_url, tmp_path):
    store = CaseStore(db_url)
    store.create_schema()
    store.open_case(facts(case_id="warm"))  # the schema is there before the writers race
    acks = tmp_path / "acks.txt"
    processes = [spawn(WRITER, db_url, f"w{n}", str(acks)) for n in range(3)]
    processes.append(spawn(SWEEPER, db_url))
    deadline = time.monotonic() + 30
    while (not acks.exists() or len(acks.read_text().splitlines()) < 60) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)
    time.sleep(0.3)
    for process in processes:
        os.kill(process.pid, signal.SIGKILL)
    for process in processes:
        process.wait(timeout=10)
    acknowledged: dict[str, int] = {}
    for line in acks.read_text().splitlines():
        if line.count(" ") == 1 and line.split()[1].isdigit():
            case_id, seq = line.split()
            acknowledged[case_id] = max(acknowledged.get(case_id, 0), int(seq))
    assert len(acknowledged) >= 20
    for case_id, seq in acknowledged.items():
        events = store.history(case_id)
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert len(events) >= seq, case_id  # nothing acknowledged is lost
        assert [e.event for e in events][:seq] == ["open", "reject"][:seq]
    report = verify(store)
    assert report.ok, report.divergences[:3]
    store.engine.dispose()
