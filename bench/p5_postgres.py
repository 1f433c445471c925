"""P5: PostgreSQL (``AFTERSALES_PG_URL``) with 1, 2 and 4 worker processes on distinct cases,
then 4 workers on one hot case.

Distinct cases: each run opens its own new cases and runs them to their final states (the
peers' ``cancel`` and ``return`` workloads, alternately), shared out among the workers; runs of
1, 2 and 4 workers are interleaved round by round. Baseline: one worker. Every worker process
is started, connected and warmed up before any timing.

The hot case: 4 workers submit evidence to one case under platform intervention, with
``retries=0``, so a lost race raises ``conflict`` and the caller retries; every submission must
land exactly once (no lost and no duplicated events, the log's sequence contiguous). The case
is then ruled on, which ends it.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from typing import Any

import sqlalchemy as sa

from aftersales import Actor, Conflict
from aftersales.storage import CaseStore
from aftersales.storage.tables import case_table, metadata
from common import Row, actor, arguments, at_least, check_row, compare, interleaved, report
from peers import FINAL, KINDS, STEPS, T0, facts

URL = os.environ.get("AFTERSALES_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
WORKERS = (1, 2, 4)
_store: CaseStore | None = None


def store() -> CaseStore:
    """This process's store (one engine per worker process, kept between tasks)."""
    global _store
    if _store is None:
        _store = CaseStore(URL, retries=0)
        _store.count_cases()  # connect now
    return _store


def lifecycles(cases: list[tuple[str, str]]) -> int:
    """Open each case and run it to its final state; the cases run."""
    for case_id, kind in cases:
        store().open_case(facts(case_id, kind))
        for step in STEPS[kind]:
            store().send(case_id, step.event, actor=actor(step), at=step.at, data=dict(step.data))
    return len(cases)


def warm(_: int) -> None:
    """Connect, then linger, so that each of the pool's processes takes one."""
    store()
    time.sleep(0.5)


def hot_worker(worker_id: int, count: int) -> int:
    """Submit ``count`` evidence items to the hot case, retrying lost races; the conflicts."""
    conflicts = 0
    for n in range(count):
        evidence = [{"kind": "image", "ref": f"w{worker_id}-{n}"}]
        while True:
            try:
                store().send(
                    "HOT",
                    "submit_evidence",
                    actor=Actor.merchant("S1"),
                    at=T0.replace(hour=12),
                    data={"evidence": evidence},
                )
                break
            except Conflict:
                conflicts += 1
    return conflicts


def hot_case(pool: Any, per_worker: int) -> Row:
    setup = CaseStore(URL)
    setup.open_case(facts("HOT", "cancel"))
    setup.send(
        "HOT", "intervene", actor=Actor.platform(), at=T0.replace(hour=11), data={"message": "m"}
    )
    conflicts = sum(pool.starmap(hot_worker, [(w, per_worker) for w in range(4)]))
    history = setup.history("HOT")
    refs = [e["ref"] for record in history[2:] for e in record.data["evidence"]]
    lost, duplicated = 4 * per_worker - len(set(refs)), len(refs) - len(set(refs))
    contiguous = [r.seq for r in history] == list(range(1, len(history) + 1))
    ruling = {"liability": "buyer"}
    setup.send("HOT", "rule", actor=Actor.platform(), at=T0.replace(hour=13), data=ruling)
    assert setup.get("HOT").state == "closed"
    setup.engine.dispose()
    wrong = lost + duplicated
    figure = f"hot case, 4 workers: lost + duplicated (conflicts retried: {conflicts})"
    return check_row("P5", figure, wrong, "events", "== 0", wrong == 0 and contiguous)


def main() -> None:
    args = arguments(__doc__, cases=400, rounds=(5, 3), hot=200)
    fresh = CaseStore(URL)
    metadata.drop_all(fresh.engine)
    fresh.create_schema()
    pool = mp.get_context("spawn").Pool(4)
    pool.map(warm, range(4), chunksize=1)  # import and connect in every process before timing

    def run(workers: int) -> Any:
        def one_round(round_: int) -> float:
            cases = [(f"W{workers}-{round_}-{i}", KINDS[i % 2]) for i in range(args.cases)]
            shares = [cases[w::workers] for w in range(workers)]
            start = time.perf_counter()
            done = sum(pool.map(lifecycles, shares, chunksize=1))
            assert done == args.cases
            return done / (time.perf_counter() - start)

        return one_round

    rates = interleaved({w: run(w) for w in WORKERS}, args.rounds)
    with fresh.engine.connect() as conn:
        query = sa.select(case_table.c.state, sa.func.count()).group_by(case_table.c.state)
        states = {state: count for state, count in conn.execute(query)}
    assert set(states) == set(FINAL.values()), states
    rows = [
        compare(
            "P5",
            f"{w} workers vs 1, distinct cases (cases/s)",
            rates[w],
            rates[1],
            "cases/s",
            ">= 1.5x",
            at_least(1.5) if w == 4 else None,
        )
        for w in WORKERS[1:]
    ]
    rows.append(hot_case(pool, args.hot // 4))
    pool.close()
    fresh.engine.dispose()
    report(f"P5 PostgreSQL, {args.cases} cases per run, {os.cpu_count()} CPUs", rows)


if __name__ == "__main__":
    main()
