"""P4: replaying stored histories: ``verify(store)`` over every case of a file SQLite store.

The histories are the peers' two workloads run to their final states (half ``cancel``, half
``return``), stored untimed by the library and by each peer on its own file. ``verify`` reads
every case row and log, checks the digest chain and replays each log through the rules,
comparing every event and the case row (state, timer, snapshot...). The peers' ``replay``
(``bench/peers``) does what each library offers: eventsourcing rebuilds each aggregate from its
stored events (the target), django-fsm walks each case's StateLog rows against the declared
transitions, transitions re-triggers each logged event on its machine. For information too:
``aftersales.replay`` over the same logs already in memory (what the storage adds).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from aftersales import replay
from aftersales.storage.verify import verify
from common import (
    arguments,
    at_least,
    compare,
    import_peers,
    interleaved,
    report,
    settle,
    stored_workloads,
    timed,
)
from peers import KINDS

TARGETS = {
    "eventsourcing": 0.8,  # #25
    "django-fsm-2 + django-fsm-log": None,
    "transitions + SQLAlchemy": None,
}


def main() -> None:
    args = arguments(__doc__, histories=10000, rounds=(5, 3))
    n, rounds = args.histories, args.rounds
    modules = import_peers(*TARGETS)
    with tempfile.TemporaryDirectory() as tmp:
        library, peers, by_kind = stored_workloads(Path(tmp), modules, n)
        every = [case_id for kind in KINDS for case_id in by_kind[kind]]
        logs = [library.store.history(case_id) for case_id in every]
        settle()

        def ours(_round: int) -> float:
            found = []
            seconds = timed(lambda: found.append(verify(library.store)))
            assert found[0].ok and found[0].checked == n, found[0].divergences[:3]
            return n / seconds

        def in_memory(_round: int) -> float:
            def run() -> None:
                for log in logs:
                    case, mismatch = replay(log)
                    assert mismatch is None and case is not None

            return n / timed(run)

        contenders = {"verify": ours, "memory": in_memory}
        for name, peer in peers.items():
            contenders[name] = lambda _r, p=peer: n / timed(lambda: p.replay(every))
        rates = interleaved(contenders, rounds)
        for system in (library, *peers.values()):
            system.close()
    rows = []
    for name, bound in TARGETS.items():
        ok = at_least(bound) if bound is not None else None
        figure = f"verify(store) vs {name} replay"
        target = f">= {bound:g}x" if bound is not None else ""
        rows.append(compare("P4", figure, rates["verify"], rates[name], "histories/s", target, ok))
    rows.append(
        compare(
            "P4",
            "verify(store) vs replay() of the logs in memory",
            rates["verify"],
            rates["memory"],
            "histories/s",
            "(info)",
            None,
        )
    )
    report(f"P4 replay {n} stored histories (cancel and return), {rounds} rounds", rows)


if __name__ == "__main__":
    main()
