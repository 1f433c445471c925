"""P2: a command on a case held in memory, cases run to their final states (half the cancel
workload, half the return one; each round its own new cases, opened untimed).

Baseline in the same run, interleaved: the ``transitions`` library's Machine of the bench peer
(``peers.transitions_sa``: the same slice of the workflow, its states, transitions and guards on
role and data) triggering the same events on plain model objects, one per case, bound to the
machine beforehand, nothing written. ``Case.send`` does more per event: it validates the data
(pydantic), checks the actor is a party of the case, fires due timers, runs the rules and keeps
an event record. For information, in a second phase of its own (python-statemachine's large
instances slowed the pair by half when interleaved with it): ``Case.send`` with
``engine="psm"`` (python-statemachine itself deciding) against the compiled dispatch table.
"""

from __future__ import annotations

import gc
from typing import Any

from aftersales import Case
from common import actor, arguments, at_most, compare, import_peers, interleaved, report, timed
from peers import FINAL, KINDS, STEPS, facts


def cases_of(round_: int, n: int) -> list[tuple[str, str]]:
    return [(f"R{round_}-{i}", KINDS[i % 2]) for i in range(n)]


def events_of(n: int) -> int:
    return sum(len(STEPS[kind]) for _, kind in cases_of(0, n))


def run_library(round_: int, n: int, engine: Any) -> float:
    """µs per event of ``Case.send``."""
    cases = [(Case.open(facts(c, kind), engine=engine), kind) for c, kind in cases_of(round_, n)]

    def run() -> None:
        for case, kind in cases:
            for step in STEPS[kind]:
                case.send(step.event, actor=actor(step), at=step.at, data=step.data)

    seconds = timed(run)
    assert all(case.state == FINAL[kind] for case, kind in cases)
    return seconds / events_of(n) * 1e6


def run_transitions(round_: int, n: int, peer: Any) -> float:
    """µs per event of one ``transitions`` trigger (with its guards) on a bound model."""
    cases = [(peer.Replayed(facts(c, k)["type"], 10000), k) for c, k in cases_of(round_, n)]
    for model, _ in cases:
        peer.MACHINE.add_model(model, initial="requested")

    def run() -> None:
        for model, kind in cases:
            for step in STEPS[kind]:
                peer.fire(model, step.event, actor=step.actor, at=step.at, data=step.data)

    seconds = timed(run)
    assert all(model.state == FINAL[kind] for model, kind in cases)
    peer.MACHINE.remove_model([model for model, _ in cases])
    return seconds / events_of(n) * 1e6


def main() -> None:
    args = arguments(__doc__, cases=6000, rounds=(5, 3))
    n, rounds = args.cases, args.rounds
    peer = import_peers("transitions + SQLAlchemy")["transitions + SQLAlchemy"]
    # The target pair first, on its own: python-statemachine instances are large (P6), and
    # interleaving their allocations with the pair's slowed Case.send by half again.
    micros = interleaved(
        {
            "compiled": lambda r: run_library(r, n, "compiled"),
            "transitions": lambda r: run_transitions(r, n, peer),
        },
        rounds,
    )
    gc.collect()
    engines = interleaved(
        {
            "compiled": lambda r: run_library(r + rounds, n, "compiled"),
            "psm": lambda r: run_library(r + rounds, n, "psm"),
        },
        rounds,
    )
    report(
        f"P2 command on a case in memory, {events_of(n)} events x {rounds} rounds",
        [
            compare(
                "P2",
                "Case.send vs one transitions event (µs per event)",
                micros["compiled"],
                micros["transitions"],
                "µs",
                "<= 3x",
                at_most(3),
            ),
            compare(
                "P2",
                "Case.send engine=psm vs compiled (µs per event)",
                engines["psm"],
                engines["compiled"],
                "µs",
                "(info)",
                None,
            ),
        ],
    )


if __name__ == "__main__":
    main()
