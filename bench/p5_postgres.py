"""P5: PostgreSQL with 1, 2 and 4 worker processes on distinct cases, then 4 on one hot case.

Baseline in the same run: one worker. On the hot case every command must land exactly once:
no lost and no duplicated events; conflicts and retries are counted.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time

from aftersales import Actor, Conflict
from aftersales.storage import CaseStore
from aftersales.storage.tables import metadata
from common import T0, Row, arguments, facts, report

URL = os.environ.get("AFTERSALES_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MERCHANT, BUYER = Actor.merchant("S1"), Actor.buyer("B1")
NEGOTIATE = {
    "negotiation_type": "invite_cancel",
    "reason": "agreed_cancel",
    "evidence": [{"kind": "image", "ref": "m-1"}],
}


def worker(worker_id: int, cases: list[str], rounds: int) -> tuple[int, int]:
    """Negotiate and decline ``rounds`` times on each case; (commands, conflicts retried)."""
    store = CaseStore(URL, retries=0)
    sent = conflicts = 0
    for r in range(rounds):
        at = T0.replace(minute=r % 60, hour=11 + r // 60)
        for case_id in cases:
            for event, actor, data in (("negotiate", MERCHANT, NEGOTIATE), ("decline", BUYER, {})):
                store.send(case_id, event, actor=actor, at=at, **data)
                sent += 1
    store.engine.dispose()
    return sent, conflicts


def hot_worker(worker_id: int, count: int) -> tuple[int, int]:
    """Submit ``count`` evidence items to the one hot case, retrying lost races."""
    store = CaseStore(URL, retries=0)
    sent = conflicts = 0
    for n in range(count):
        while True:
            try:
                store.send(
                    "HOT",
                    "submit_evidence",
                    actor=MERCHANT,
                    at=T0.replace(hour=12),
                    evidence=[{"kind": "image", "ref": f"w{worker_id}-{n}"}],
                )
                sent += 1
                break
            except Conflict:
                conflicts += 1
    store.engine.dispose()
    return sent, conflicts


def fresh(cases: int) -> CaseStore:
    store = CaseStore(URL)
    metadata.drop_all(store.engine)
    store.create_schema()
    for i in range(cases):
        store.open_case(facts(f"W{i}"))
    store.open_case(facts("HOT"))
    store.send("HOT", "intervene", actor=Actor.platform(), at=T0.replace(hour=11), message="m")
    return store


def main() -> None:
    args = arguments(__doc__, cases=400, rounds=2, hot=200)
    rows, rates = [], {}
    pool = mp.get_context("spawn").Pool(4)
    pool.starmap(worker, [(w, [], 0) for w in range(4)])  # import everything before timing
    for workers in (1, 2, 4):
        store = fresh(args.cases)
        share = [[f"W{i}" for i in range(w, args.cases, workers)] for w in range(workers)]
        start = time.perf_counter()
        results = pool.starmap(worker, [(w, share[w], args.rounds) for w in range(workers)])
        rates[workers] = sum(sent for sent, _ in results) / (time.perf_counter() - start)
        store.engine.dispose()
    for workers in (2, 4):
        ratio = rates[workers] / rates[1]
        target = ">= 1.5x" if workers == 4 else "(info)"
        rows.append(
            Row(
                "P5",
                f"{workers} workers vs 1, distinct cases (cmd/s)",
                rates[workers],
                rates[1],
                "cmd/s",
                ratio,
                target,
                ratio >= 1.5 or workers == 2,
            )
        )
    store = fresh(0)
    per_worker = args.hot // 4
    results = pool.starmap(hot_worker, [(w, per_worker) for w in range(4)])
    pool.close()
    history = store.history("HOT")
    refs = [e["ref"] for record in history[2:] for e in record.data["evidence"]]
    expected = 4 * per_worker
    lost, duplicated = expected - len(set(refs)), len(refs) - len(set(refs))
    contiguous = [r.seq for r in history] == list(range(1, len(history) + 1))
    conflicts = sum(c for _, c in results)
    rows.append(
        Row(
            "P5",
            f"hot case, 4 workers: lost + duplicated (conflicts retried: {conflicts})",
            lost + duplicated,
            0,
            "events",
            float(lost + duplicated),
            "== 0",
            lost == duplicated == 0 and contiguous,
        )
    )
    store.engine.dispose()
    report("P5 PostgreSQL workers", rows)


if __name__ == "__main__":
    main()
