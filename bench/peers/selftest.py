"""Self-check of the peers: each on a temp file, N cases of each kind, to their final states.

Run from the repository root: ``.venv/bin/python bench/peers/selftest.py [--cases N]``
(or ``cd bench && ../.venv/bin/python -m peers.selftest``); with ``--postgres URL`` the same
checks run on PostgreSQL instead, each peer on a new database of its own on that server (raw
sqlite3 left out). Checks the pragmas, that every case
ends in its final state, that replay agrees, and that steps the guards forbid are refused and
leave no trace; prints each peer's cases/s for information only (one run, not a benchmark).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: put bench/ (not bench/peers/, whose django_fsm.py would shadow the
    # library) on the path and import the package by name.
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from peers import BUYER, FINAL, KINDS, MERCHANT, STEPS, T0, Peer, Step

MODULES = ("raw_sqlite", "transitions_sa", "eventsourcing_peer", "django_fsm")
NEGOTIATE = STEPS["cancel"][0]
FORBIDDEN = (
    ("buyer may not negotiate", Step("negotiate", BUYER, NEGOTIATE.at, NEGOTIATE.data)),
    (
        "agreed_cancel needs evidence",
        Step("negotiate", MERCHANT, NEGOTIATE.at, {**NEGOTIATE.data, "evidence": []}),
    ),
    ("no receipt before a return", Step("confirm_receipt", MERCHANT, T0 + timedelta(hours=1), {})),
)


def check_refusals(peer: Peer) -> None:
    """Each forbidden step raises, and the case stays as it was, its log untouched."""
    peer.open("X1", "cancel")
    for what, step in FORBIDDEN:
        try:
            peer.step("X1", step)
        except Exception:  # each library raises its own kind
            pass
        else:
            raise AssertionError(f"{peer.name}: not refused: {what}")
    assert peer.final_states(["X1"]) == {"X1": "requested"}, peer.name
    assert peer.replay(["X1"]) == 1, peer.name


def check(peer: Peer, setup: Callable[[], None], n: int) -> dict[str, float]:
    setup()
    try:
        rates: dict[str, float] = {}
        print(f"  settings read back {peer.pragmas()}")
        for kind in KINDS:
            ids = [f"{kind[0].upper()}{i}" for i in range(n)]
            start = time.perf_counter()
            peer.run(ids, kind)
            rates[kind] = n / (time.perf_counter() - start)
            states = peer.final_states(ids)
            wrong = {c: s for c, s in states.items() if s != FINAL[kind]}
            assert len(states) == n and not wrong, f"{peer.name} {kind}: {wrong or states}"
        every = [f"{k[0].upper()}{i}" for k in KINDS for i in range(n)]
        start = time.perf_counter()
        assert peer.replay(every) == len(every), peer.name
        rates["replay"] = len(every) / (time.perf_counter() - start)
        check_refusals(peer)
        return rates
    finally:
        peer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=50, help="cases of each kind")
    parser.add_argument("--postgres", metavar="URL", help="on PostgreSQL (a SQLAlchemy URL)")
    args = parser.parse_args()
    n = args.cases
    modules = [m for m in MODULES if not (args.postgres and m == "raw_sqlite")]
    table = {}
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        if args.postgres:
            from common import pg_databases

            urls = stack.enter_context(pg_databases(args.postgres, [f"self_{m}" for m in modules]))
        for module_name in modules:
            module = importlib.import_module(f"peers.{module_name}")
            peer: Peer = module.Peer()
            print(f"{peer.name}:")
            folder = Path(tmp) / module_name
            folder.mkdir()
            if args.postgres:
                url = urls[f"self_{module_name}"]
                table[peer.name] = check(peer, lambda p=peer, u=url: p.setup_postgres(u), n)
                continue
            table[peer.name] = check(peer, lambda p=peer, f=folder: p.setup(f / "peer.db"), n)
            if module_name == "eventsourcing_peer":
                stock = module.library_default_pragmas(folder / "stock.db")
                print(f"  stock eventsourcing.sqlite pragmas (not used) {stock}")
    print(f"\n{'peer':<32}{'cancel/s':>10}{'return/s':>10}{'replay/s':>10}  ({args.cases} each)")
    for name, rates in table.items():
        print(f"{name:<32}{rates['cancel']:>10.0f}{rates['return']:>10.0f}{rates['replay']:>10.0f}")
    print("all peers passed")


if __name__ == "__main__":
    main()
