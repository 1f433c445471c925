"""P6: memory per case, held as loaded snapshots.

Baseline in the same run: one bare python-statemachine instance of the same machine per case
(with its model slot and rules), the way a StateChart is usually kept per object.
"""

from __future__ import annotations

import gc
import tracemalloc

from aftersales import open_case
from aftersales.storage.codec import dump_record, load_record
from aftersales.workflow.case import Case
from aftersales.workflow.machine import CaseMachine
from aftersales.workflow.record import Binding
from aftersales.workflow.rules import CaseRules
from common import Row, arguments, facts, report


def measure(build, n: int) -> float:
    """Bytes per item that ``build(i)`` allocates and keeps, over ``n`` items."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = [build(i) for i in range(n)]
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(kept) == n
    return (after - before) / n


def main() -> None:
    args = arguments(__doc__, cases=100000, machines=5000)
    snapshots = [dump_record(open_case(facts(f"M{i}")).record) for i in range(100)]
    ours = measure(lambda i: Case(load_record(snapshots[i % 100])), args.cases)
    template = load_record(snapshots[0])

    def bare(i: int) -> CaseMachine:
        binding = Binding(template)
        return CaseMachine(model=binding, listeners=[CaseRules(binding)])

    # Machines are measured on fewer items: each costs far more, and the figure is per item.
    baseline = measure(bare, args.machines)
    ratio = ours / baseline
    report(
        f"P6 memory: {args.cases} loaded cases vs {args.machines} bare machine instances",
        [
            Row(
                "P6",
                "bytes per loaded case vs per bare machine instance",
                ours,
                baseline,
                "bytes",
                ratio,
                "<= 0.10",
                ratio <= 0.10,
            )
        ],
    )


if __name__ == "__main__":
    main()
