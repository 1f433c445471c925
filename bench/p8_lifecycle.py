"""P8: whole lifecycles on file SQLite, the library against the peers in one process.

The two workloads of ``bench/peers`` (``cancel``: open, negotiate invite_cancel/agreed_cancel
with evidence, accept -> cancelled; ``return``: open, agree, ship_return, confirm_receipt,
refund_succeeded -> refunded), each case run to its final state, one transaction per step, by:

* ``aftersales`` through ``CaseStore`` (``common.Library``);
* django-fsm-2 + django-fsm-log, transitions + SQLAlchemy, eventsourcing (``bench/peers``);
* raw sqlite3 running the library's own statements: captured from an untimed pass of the same
  cases on another file, replayed with their recorded parameters, BEGIN IMMEDIATE ... COMMIT per
  step as the library sent them. Its file must end up holding exactly the library's rows.
* (information) the library observed: its engine with an OpenTelemetry-style pair of
  ``before_cursor_execute`` / ``after_cursor_execute`` listeners, a span per statement (name,
  start and end, ``db.system`` and ``db.statement``) handed to an in-memory exporter: the cost
  of being observed, which every statement going through a ``Connection`` makes possible.

Every contender has its own file with the same pragmas (WAL, synchronous NORMAL, busy_timeout
30000), read back on its own connection, the library's included. Rounds are interleaved: each
round every contender runs its new cases of both kinds (cancel, then return), the starting
contender turning each round. Rows give cases/s (median, min, max of the rounds).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from common import (
    Library,
    arguments,
    at_least,
    captured,
    check_final,
    compare,
    import_peers,
    interleaved,
    peers_on,
    raw_connection,
    report,
    run_raw,
    same_rows,
    settle,
    timed,
)
from peers import KINDS

RAW = "raw sqlite3, the library's statements"
OBSERVED = "aftersales observed (a span per statement)"
TARGETS = {
    "django-fsm-2 + django-fsm-log": {"cancel": 2.0, "return": 2.0},
    "transitions + SQLAlchemy": {"cancel": 2.0, "return": 2.0},
    "eventsourcing": {"cancel": 0.55, "return": 0.70},
    RAW: {"cancel": 0.24, "return": 0.24},
}
"""The targets of #25, by peer and workload."""


def observe(engine: Engine, exported: list[dict[str, Any]]) -> None:
    """What OpenTelemetry's SQLAlchemy instrumentation does, in small: a span opened before
    each cursor execution and closed after it, with the statement, then exported."""

    @event.listens_for(engine, "before_cursor_execute")
    def _start(_conn: Any, _cursor: Any, sql: str, _params: Any, context: Any, _many: Any) -> None:
        context._span = {
            "name": sql.split(None, 1)[0],
            "start": time.time_ns(),
            "attributes": {"db.system": engine.dialect.name, "db.statement": sql},
        }

    @event.listens_for(engine, "after_cursor_execute")
    def _end(_conn: Any, _cursor: Any, _sql: str, _params: Any, context: Any, _many: Any) -> None:
        span = context._span
        span["end"] = time.time_ns()
        exported.append(span)
        if len(exported) > 10_000:
            exported.clear()


def ids_of(round_: int, kind: str, n: int) -> list[str]:
    return [f"{kind[0].upper()}{round_}-{i}" for i in range(n)]


def main() -> None:
    args = arguments(__doc__, cases=(400, 40), rounds=(9, 3))
    n, rounds = args.cases, args.rounds
    modules = import_peers(*(name for name in TARGETS if name != RAW))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        capture, library, raw_lib, observed = Library(), Library(), Library(), Library()
        capture.setup(folder / "capture.db")
        library.setup(folder / "library.db")
        observed.setup(folder / "observed.db")
        spans: list[dict[str, Any]] = []
        observe(observed.store.engine, spans)
        raw_lib.setup(folder / "raw.db")  # the library's schema, nothing else
        raw_lib.close()
        statements = {}
        for round_ in range(rounds):
            for kind in KINDS:
                with captured(capture.store.engine) as sent:
                    capture.run(ids_of(round_, kind, n), kind)
                statements[round_, kind] = sent
        capture.close()
        raw = raw_connection(folder / "raw.db")
        peers = peers_on(folder, modules)
        print("pragmas read back:", {"aftersales": library.pragmas()})
        for name, peer in peers.items():
            print(f"  {name}: {peer.pragmas()}")
        settle()

        def contender(run: Callable[[int, str], object]) -> Callable[[int], dict[str, float]]:
            """Per round: both kinds, cancel then return, each timed; cases/s per kind."""

            def one_round(round_: int) -> dict[str, float]:
                return {kind: n / timed(lambda k=kind: run(round_, k)) for kind in KINDS}

            return one_round

        contenders = {"aftersales": contender(lambda r, k: library.run(ids_of(r, k, n), k))}
        contenders[RAW] = contender(lambda r, k: run_raw(raw, statements[r, k]))
        contenders[OBSERVED] = contender(lambda r, k: observed.run(ids_of(r, k, n), k))
        for name, peer in peers.items():
            contenders[name] = contender(lambda r, k, p=peer: p.run(ids_of(r, k, n), k))
        rates = interleaved(contenders, rounds)
        raw.close()
        same_rows(folder / "library.db", folder / "raw.db")
        ids_by_kind = {k: [c for r in range(rounds) for c in ids_of(r, k, n)] for k in KINDS}
        for system in (library, observed, *peers.values()):
            check_final(system, ids_by_kind)
            system.close()
    rows = []
    for kind in KINDS:
        ours = [sample[kind] for sample in rates["aftersales"]]
        for name, bounds in TARGETS.items():
            bound = bounds[kind]
            theirs = [sample[kind] for sample in rates[name]]
            target = f">= {bound:g}x" if name != RAW else f">= {bound:g}"
            figure = f"{kind}: aftersales vs {name}"
            rows.append(compare("P8", figure, ours, theirs, "cases/s", target, at_least(bound)))
        watched = [sample[kind] for sample in rates[OBSERVED]]
        figure = f"{kind}: {OBSERVED} vs aftersales"
        rows.append(compare("P8", figure, watched, ours, "cases/s", "", None))
    report(f"P8 lifecycles on file SQLite, {n} cases of each kind x {rounds} rounds", rows)


if __name__ == "__main__":
    main()
