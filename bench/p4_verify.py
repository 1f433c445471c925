"""P4: verify (replay) stored histories of about six events each.

Baselines in the same run: bare python-statemachine replaying the same events on a new instance
of the same machine per history (the usual way to use the library), and, for information, on one
instance rebound to each history (the floor of the engine itself).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from aftersales import Actor, Case
from aftersales.storage import CaseStore
from aftersales.storage.verify import verify_all
from aftersales.workflow.case import machine_for
from aftersales.workflow.inputs import EVENT_DATA, parse
from aftersales.workflow.machine import CaseMachine
from aftersales.workflow.record import Binding
from aftersales.workflow.rules import CaseRules
from common import T0, Row, arguments, facts, report

MERCHANT, BUYER, SYSTEM = Actor.merchant("S1"), Actor.buyer("B1"), Actor.system()
NEGOTIATE = {
    "negotiation_type": "invite_cancel",
    "reason": "agreed_cancel",
    "evidence": [{"kind": "image", "ref": "m-1"}],
}
SCRIPT = [
    ("negotiate", MERCHANT, NEGOTIATE),
    ("decline", BUYER, {}),
    ("negotiate", MERCHANT, NEGOTIATE),
    ("decline", BUYER, {}),
    ("agree", MERCHANT, {}),
    ("refund_succeeded", SYSTEM, {}),
]


def build(folder: Path, n: int) -> CaseStore:
    store = CaseStore(f"sqlite:///{folder / 'p4.db'}", cache_size=0)
    store.create_schema()
    for i in range(n):
        store.open_case(facts(f"V{i}"))
        for event, actor, data in SCRIPT:
            store.send(f"V{i}", event, actor=actor, at=T0, **data)
    return store


def run_bare(store: CaseStore, fresh_instance: bool) -> float:
    histories = [store.history(case_id) for case_id in store.case_ids()]
    start = time.perf_counter()
    for history in histories:
        record = Case.reopen(history[0]).record
        machine = (
            CaseMachine(model=Binding(record), listeners=[CaseRules(Binding(record))])
            if fresh_instance
            else machine_for(record)
        )
        for event in history[1:]:
            machine.send(event.event, payload=parse(EVENT_DATA[event.event], event.data))
    return time.perf_counter() - start


def main() -> None:
    args = arguments(__doc__, histories=10000)
    with tempfile.TemporaryDirectory() as tmp:
        store = build(Path(tmp), args.histories)
        start = time.perf_counter()
        problems = verify_all(store)
        ours = time.perf_counter() - start
        assert not problems, problems[:3]
        fresh = run_bare(store, fresh_instance=True)
        rebound = run_bare(store, fresh_instance=False)
        store.engine.dispose()
    n = args.histories
    report(
        f"P4 verify {n} stored histories of {len(SCRIPT) + 1} events",
        [
            Row(
                "P4",
                "verify vs bare machine, new instance per history",
                n / ours,
                n / fresh,
                "histories/s",
                fresh / ours,
                ">= 0.80",
                fresh / ours >= 0.80,
            ),
            Row(
                "P4",
                "verify vs bare machine, pooled per thread (info)",
                n / ours,
                n / rebound,
                "histories/s",
                rebound / ours,
                "(floor)",
                True,
            ),
        ],
    )


if __name__ == "__main__":
    main()
