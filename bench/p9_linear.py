"""P9: checking and replaying a case cost the same per event on a log of 20,000 as on 5,000.

A case is built in memory (rejected, escalated, then ``submit_evidence`` commands, each with its
own ``command_id``, so the idempotency lookup runs on every line) and stored on file SQLite in
one transaction. Two costs are timed per event, at a quarter, half and all of ``--events``:
``verify(store, case_id)`` (what ``aftersales verify --case`` runs: the digest chain, the
replay under the rules and the row), and replaying the same case as history lines in memory
(what ``aftersales replay FILE`` runs, without printing). Each size gets a fresh case and
store, every round. A cost that grows with the log shows as a ratio above 1 between the largest
and the smallest size. Times are the process's CPU time (``time.process_time``): the machine
is shared, and a wall clock there measures the neighbours.
"""

from __future__ import annotations

import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from aftersales import Actor, Case
from aftersales.histories import MemoryTarget, export_lines, parse_history, replay_lines
from aftersales.storage import CaseStore
from aftersales.storage.engine import transaction
from aftersales.storage.verify import verify
from common import arguments, at_most, check_row, compare, facts, library_pragmas, report
from peers import T0

MERCHANT, BUYER = Actor.merchant("S1"), Actor.buyer("B1")
EVIDENCE = {"evidence": [{"kind": "image", "ref": "photo"}]}


def long_case(case_id: str, events: int) -> Case:
    """A case of ``events`` events, every command after the third with a command id."""
    case = Case.open(facts(case_id, opened_at=T0))
    case.send("reject", actor=MERCHANT, at=T0 + timedelta(minutes=1))
    case.send("escalate", actor=BUYER, at=T0 + timedelta(minutes=2))
    for n in range(events - 3):
        at = T0 + timedelta(minutes=3, seconds=n)
        case.send("submit_evidence", actor=MERCHANT, at=at, data=EVIDENCE, command_id=f"k{n}")
    return case


def per_event(folder: Path, events: int, round_: int) -> tuple[float, float]:
    """µs per event: verify of the stored case, and a replay of its history lines."""
    case_id = f"L{events}-{round_}"
    case = long_case(case_id, events)
    store = CaseStore(f"sqlite:///{folder / f'{case_id}.db'}")
    store.create_schema()
    library_pragmas(store.engine)
    with transaction(store.engine) as conn:
        store.repository.insert(conn, case)
    began = time.process_time()
    report_ = verify(store, case_id)
    checked = time.process_time() - began
    assert report_.ok, report_.divergences[:3]
    lines = export_lines(store.history(case_id), store.get(case_id))
    store.engine.dispose()
    text = "\n".join(_json(line) for line in lines)
    began = time.process_time()
    outcome = replay_lines(parse_history(text, "long"), MemoryTarget(), "long")
    replayed = time.process_time() - began
    assert not outcome.failures, outcome.failures[:3]
    return checked / events * 1e6, replayed / events * 1e6


def _json(line: dict[str, Any]) -> str:
    import json

    return json.dumps(line, ensure_ascii=False, default=str)


def main() -> None:
    args = arguments(__doc__, events=(20_000, 2_000), rounds=(3, 3))
    sizes = (args.events // 4, args.events // 2, args.events)
    verified: dict[int, list[float]] = {n: [] for n in sizes}
    replayed: dict[int, list[float]] = {n: [] for n in sizes}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for n in sizes:
                v, r = per_event(Path(tmp), n, round_)
                verified[n].append(v)
                replayed[n].append(r)
    small, large = sizes[0], sizes[-1]
    rows = []
    for what, samples in (("verify --case", verified), ("replay with command ids", replayed)):
        for n in sizes:
            value = sorted(samples[n])[len(samples[n]) // 2]
            rows.append(
                check_row("P9", f"{what}: per event at {n:,}", value, "µs/event", "(info)", True)
            )
        rows.append(
            compare(
                "P9",
                f"{what}: per event at {large:,} vs at {small:,}",
                samples[large],
                samples[small],
                "µs/event",
                "<=1.5x (linear)",
                at_most(1.5),
            )
        )
    report("P9: verify and replay of one long case, per event (file SQLite)", rows)


if __name__ == "__main__":
    main()
