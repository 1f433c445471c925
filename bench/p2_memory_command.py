"""P2: one command on a case already loaded in memory.

Baseline in the same run: one bare python-statemachine event on a live instance of the same
machine (its guards and actions bound to a record), with no input checks and no log.
"""

from __future__ import annotations

import time

from aftersales import Actor, open_case
from aftersales.workflow.case import machine_for
from aftersales.workflow.inputs import MessageData, NegotiateData
from common import T0, Row, arguments, facts, report

NEGOTIATE = {
    "negotiation_type": "invite_cancel",
    "reason": "agreed_cancel",
    "evidence": [{"kind": "image", "ref": "m-1"}],
}


def run_api(n: int) -> float:
    case = open_case(facts("P2"))
    merchant, buyer = Actor.merchant("S1"), Actor.buyer("B1")
    start = time.perf_counter()
    for _ in range(n):
        case.send("negotiate", actor=merchant, at=T0, **NEGOTIATE)
        case.send("decline", actor=buyer, at=T0)
    return time.perf_counter() - start


def run_bare(n: int) -> float:
    record = open_case(facts("P2-bare")).record
    machine = machine_for(record)
    negotiate, decline = NegotiateData(**NEGOTIATE), MessageData()
    start = time.perf_counter()
    for _ in range(n):
        machine.send("negotiate", payload=negotiate)
        machine.send("decline", payload=decline)
    return time.perf_counter() - start


def main() -> None:
    args = arguments(__doc__, events=20000, rounds=5)
    n = args.events // 2
    api = bare = float("inf")
    for _ in range(args.rounds):
        api, bare = min(api, run_api(n)), min(bare, run_bare(n))
    per_api, per_bare = api / (2 * n) * 1e6, bare / (2 * n) * 1e6
    report(
        f"P2 command on a loaded case, {2 * n} events",
        [
            Row(
                "P2",
                "Case.send vs bare machine event (µs per event)",
                per_api,
                per_bare,
                "µs",
                per_api / per_bare,
                "<= 1.5x",
                per_api / per_bare <= 1.5,
            ),
        ],
    )


if __name__ == "__main__":
    main()
