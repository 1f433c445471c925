"""P8 on PostgreSQL: whole lifecycles, the library against the peers, each on PostgreSQL.

The two workloads of ``bench/peers`` (``cancel``: open, negotiate invite_cancel/agreed_cancel
with evidence, accept -> cancelled; ``return``: open, agree, ship_return, confirm_receipt,
refund_succeeded -> refunded), each case run to its final state, one transaction per step, by:

* ``aftersales`` through ``CaseStore`` (``common.Library``), its defaults (SQLAlchemy's
  postgresql+psycopg dialect, a QueuePool, the case cache);
* transitions + SQLAlchemy: the same dialect and driver, SQLAlchemy's defaults;
* eventsourcing: its own ``eventsourcing.postgres`` module (psycopg 3 and psycopg_pool),
  configured only through its documented ``POSTGRES_*`` environment variables;
* django-fsm-2 + django-fsm-log: Django's postgresql backend on psycopg 3.

The server is the one of ``AFTERSALES_PG_URL`` (the script says so and does nothing without it).
Each contender gets a new database of its own there (``<that database>_p8_<contender>``, dropped
at the end), and reads back on its own connection that it runs with PostgreSQL's defaults:
``synchronous_commit=on`` (a commit is durable when it returns), ``fsync=on``, READ COMMITTED.
Each contender first runs a few cases of each kind untimed (pools open, statements prepared).
Rounds are interleaved: each round every contender runs its new cases of both kinds (cancel,
then return), the starting contender turning each round. Rows give cases/s (median, min, max of
the rounds); each ratio is the median of the per-round ratios.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from common import (
    Library,
    Row,
    arguments,
    at_least,
    check_final,
    compare,
    import_peers,
    interleaved,
    pg_databases,
    report,
    settle,
    timed,
)
from peers import KINDS

TARGETS: dict[str, float | None] = {
    "transitions + SQLAlchemy": 1.5,
    "eventsourcing": 1.0,
    "django-fsm-2 + django-fsm-log": None,
}
"""The targets of #25 on PostgreSQL, by peer (None: information), for both workloads."""
DATABASES = {
    "aftersales": "p8_aftersales",
    "transitions + SQLAlchemy": "p8_transitions",
    "eventsourcing": "p8_eventsourcing",
    "django-fsm-2 + django-fsm-log": "p8_django",
}
WARM = 5
"""Cases of each kind every contender runs untimed before the rounds."""


def ids_of(round_: int, kind: str, n: int) -> list[str]:
    return [f"{kind[0].upper()}{round_}-{i}" for i in range(n)]


def rows_of(kind: str, rates: dict[str, list[dict[str, float]]]) -> list[Row]:
    """The rows of one workload: the library against each peer."""
    ours = [sample[kind] for sample in rates["aftersales"]]
    rows = []
    for name, bound in TARGETS.items():
        theirs = [sample[kind] for sample in rates[name]]
        figure = f"{kind} on PostgreSQL: aftersales vs {name}"
        if bound is None:
            rows.append(compare("P8", figure, ours, theirs, "cases/s", "", None))
        else:
            target = f">= {bound:g}x"
            rows.append(compare("P8", figure, ours, theirs, "cases/s", target, at_least(bound)))
    return rows


def main() -> None:
    args = arguments(__doc__, cases=(200, 20), rounds=(7, 3))
    url = os.environ.get("AFTERSALES_PG_URL")
    if not url:
        print("p8_postgres.py: skipped, AFTERSALES_PG_URL is not set", file=sys.stderr)
        return
    n, rounds = args.cases, args.rounds
    modules = import_peers(*TARGETS)
    with pg_databases(url, list(DATABASES.values())) as urls:
        systems: dict[str, Any] = {"aftersales": Library()}
        systems |= {name: module.Peer() for name, module in modules.items()}
        for name, system in systems.items():
            system.setup_postgres(urls[DATABASES[name]])
        print("settings read back:")
        for name, system in systems.items():
            print(f"  {name}: {system.pragmas()}")
        for system in systems.values():
            for kind in KINDS:
                system.run([f"warm-{kind}-{i}" for i in range(WARM)], kind)
        settle()

        def contender(system: Any) -> Callable[[int], dict[str, float]]:
            """Per round: both kinds, cancel then return, each timed; cases/s per kind."""

            def one_round(round_: int) -> dict[str, float]:
                return {
                    kind: n / timed(lambda k=kind: system.run(ids_of(round_, k, n), k))
                    for kind in KINDS
                }

            return one_round

        rates = interleaved({name: contender(s) for name, s in systems.items()}, rounds)
        ids_by_kind = {k: [c for r in range(rounds) for c in ids_of(r, k, n)] for k in KINDS}
        for system in systems.values():
            check_final(system, ids_by_kind)
            system.close()
    rows = [row for kind in KINDS for row in rows_of(kind, rates)]
    report(f"P8 lifecycles on PostgreSQL, {n} cases of each kind x {rounds} rounds", rows)


if __name__ == "__main__":
    main()
