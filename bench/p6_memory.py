"""P6: bytes kept per case loaded from its store (tracemalloc), against what each peer keeps.

The stores hold the peers' two workloads run to their final states (half ``cancel``, half
``return``), written untimed by the library and each peer on its own file. Each round loads
every case again and keeps it; the figure is the memory still allocated per case once the
collector has run (allocations freed while loading are not counted):

* ``aftersales``: ``CaseStore.get`` -> ``Case``, its record and its whole log of event records;
  and, like for like with the peers' current-state objects, that case's record alone in a
  ``Case`` (what a command works on: ``Case(store.get(case_id).record)``, the log dropped);
* transitions + SQLAlchemy (the target: the same design, a state machine over an ORM
  current-state row): the ``CaseRow`` in an open ``Session``, bound to the shared ``Machine``
  with ``add_model`` (which adds the model's trigger methods);
* eventsourcing: the ``Case`` aggregate from the repository (current state only, no events);
* django-fsm-2: the ``Case`` model instance (current state only).

Caches are warmed before measuring. Rounds are interleaved; min and max show the spread.
"""

from __future__ import annotations

import gc
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from aftersales import Case
from common import (
    Library,
    arguments,
    at_most,
    compare,
    import_peers,
    interleaved,
    report,
    stored_workloads,
)
from peers import KINDS

TRANSITIONS, EVENTSOURCING, DJANGO = (
    "transitions + SQLAlchemy",
    "eventsourcing",
    "django-fsm-2 + django-fsm-log",
)
TARGET = TRANSITIONS


def kept_per_item(load: Callable[[str], Any], case_ids: list[str]) -> float:
    """Bytes still allocated per case after loading and keeping every one of ``case_ids``."""
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    kept = [load(case_id) for case_id in case_ids]
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    assert len(kept) == len(case_ids)
    del kept
    return (after - before) / len(case_ids)


def loaders(library: Library, peers: dict[str, Any], modules: dict[str, Any]) -> dict[str, Any]:
    """Per system, a function of a round giving the load of one case, kept."""
    transitions = modules[TRANSITIONS]
    machine = transitions.MACHINE

    def transitions_round(case_ids: list[str]) -> float:
        with Session(peers[TRANSITIONS].engine) as session:

            def load(case_id: str) -> Any:
                row = session.get(transitions.CaseRow, case_id)
                machine.add_model(row, initial=row.state)
                return row

            size = kept_per_item(load, case_ids)
            machine.remove_model([m for m in machine.models if isinstance(m, transitions.CaseRow)])
            return size

    es = peers[EVENTSOURCING]
    aggregate = modules[EVENTSOURCING].Case
    django_case = modules[DJANGO].Case
    get = library.store.get
    return {
        "aftersales": lambda ids: kept_per_item(get, ids),
        "record": lambda ids: kept_per_item(lambda c: Case(get(c).record), ids),
        TRANSITIONS: transitions_round,
        EVENTSOURCING: lambda ids: kept_per_item(
            lambda c: es.app.repository.get(aggregate.create_id(c)), ids
        ),
        DJANGO: lambda ids: kept_per_item(lambda c: django_case.objects.get(case_id=c), ids),
    }


def main() -> None:
    args = arguments(__doc__, cases=4000, rounds=(3, 3))
    n, rounds = args.cases, args.rounds
    modules = import_peers(TRANSITIONS, EVENTSOURCING, DJANGO)
    with tempfile.TemporaryDirectory() as tmp:
        library, peers, by_kind = stored_workloads(Path(tmp), modules, n)
        every = [case_id for kind in KINDS for case_id in by_kind[kind]]
        measure = loaders(library, peers, modules)
        tracemalloc.start()
        for load in measure.values():
            load(every[:20])  # warm every cache first
        sizes = interleaved({name: lambda _r, m=m: m(every) for name, m in measure.items()}, rounds)
        tracemalloc.stop()
        for system in (library, *peers.values()):
            system.close()
    ours = {"aftersales": "case with its log", "record": "case without its log"}
    rows = [
        compare(
            "P6",
            f"bytes per {what} vs {name}",
            sizes[mine],
            sizes[name],
            "bytes",
            "<= 1x",
            at_most(1.0) if name == TARGET else None,
        )
        for mine, what in ours.items()
        for name in (TRANSITIONS, EVENTSOURCING, DJANGO)
    ]
    report(f"P6 memory per case loaded from its store, {n} cases x {rounds} rounds", rows)


if __name__ == "__main__":
    main()
