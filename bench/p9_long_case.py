"""P9: a command costs the same on a case with 20,000 events as on a new one.

A case is opened through ``CaseStore`` on file SQLite, rejected and escalated, and then takes
``submit_evidence`` commands (each with its own ``command_id``, so the idempotency lookup runs
too) until its log holds ``--events`` events. Each command is timed on its own; a window is the
median of 200 consecutive commands. The row compares the window ending at the last event with
the window starting at the first ``submit_evidence``, in each round (a fresh case per round);
nothing else runs beside it, so the baseline is the same path, earlier in the same case. The
snapshot column's size is checked at both ends too: it must not grow with the log.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from aftersales import Actor
from aftersales.storage import CaseStore
from aftersales.storage.tables import case_table
from common import arguments, at_most, check_row, compare, facts, library_pragmas, report
from peers import T0

WINDOW = 200
MERCHANT, BUYER = Actor.merchant("S1"), Actor.buyer("B1")
EVIDENCE = {"evidence": [{"kind": "image", "ref": "photo"}]}


def snapshot_bytes(store: CaseStore, case_id: str) -> int:
    with store.engine.connect() as conn:
        found = conn.execute(
            sa.select(case_table.c.snapshot).where(case_table.c.case_id == case_id)
        ).scalar_one()
    return len(str(found))


def one_case(folder: Path, round_: int, events: int) -> tuple[float, float, int, int]:
    """µs per command at the start and at the end of the log, and the snapshot's bytes then."""
    store = CaseStore(f"sqlite:///{folder / f'long{round_}.db'}")
    store.create_schema()
    library_pragmas(store.engine)
    case_id = f"L{round_}"
    store.open_case(facts(case_id, opened_at=T0))
    store.send(case_id, "reject", actor=MERCHANT, at=T0 + timedelta(minutes=1))
    store.send(case_id, "escalate", actor=BUYER, at=T0 + timedelta(minutes=2))
    assert store.get(case_id).state == "platform_intervention"
    times: list[float] = []
    start_bytes = 0
    for n in range(events - 3):
        at = T0 + timedelta(minutes=3, seconds=n)
        began = time.perf_counter()
        store.send(
            case_id,
            "submit_evidence",
            actor=MERCHANT,
            at=at,
            data=EVIDENCE,
            command_id=f"{case_id}-{n}",
        )
        times.append(time.perf_counter() - began)
        if n == WINDOW:
            start_bytes = snapshot_bytes(store, case_id)
    assert len(store.history(case_id)) == events
    end_bytes = snapshot_bytes(store, case_id)
    store.engine.dispose()
    first = statistics.median(times[:WINDOW]) * 1e6
    last = statistics.median(times[-WINDOW:]) * 1e6
    return first, last, start_bytes, end_bytes


def main() -> None:
    args = arguments(__doc__, events=(20_000, 2_000), rounds=(3, 3))
    firsts, lasts, grown = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            first, last, start_bytes, end_bytes = one_case(Path(tmp), round_, args.events)
            firsts.append(first)
            lasts.append(last)
            grown.append(end_bytes - start_bytes)
    rows = [
        compare(
            "P9",
            f"command at event {args.events:,} vs at the start of the log",
            lasts,
            firsts,
            "µs/command",
            "<=1.5x",
            at_most(1.5),
        ),
        check_row(
            "P9",
            f"snapshot growth from event {WINDOW} to {args.events:,}",
            max(grown),
            "bytes",
            "<= 16 (the version's digits)",
            max(grown) <= 16,
        ),
    ]
    report("P9: cost per command on a long case (file SQLite)", rows)


if __name__ == "__main__":
    main()
