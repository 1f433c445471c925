"""Shared by the benchmarks: sizes, interleaved rounds, medians, statement capture and raw
replay, the library as a peer, the result table and results.json.

Every figure is a ratio against a baseline measured in the same process, in the same run: the
machines are shared and noisy, so absolute times mean little. Contenders run round-robin, the
order turning each round; a row gives the median of the rounds with their min and max, and its
ratio is the median of the per-round ratios (each round's pair ran back to back).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import importlib
import json
import os
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

from peers import (
    FINAL,
    KINDS,
    PRAGMA_STATEMENTS,
    Step,
    checked_pg_settings,
    checked_pragmas,
    drive,
)
from peers import facts as peer_facts

T = TypeVar("T")
RESULTS = Path(os.environ.get("AFTERSALES_BENCH_RESULTS", Path(__file__).parent / "results.json"))
PEER_MODULES = {
    "django-fsm-2 + django-fsm-log": "peers.django_fsm",
    "transitions + SQLAlchemy": "peers.transitions_sa",
    "eventsourcing": "peers.eventsourcing_peer",
}
"""The peers of the ``bench`` extra, by name (imported only when a script asks for them)."""


def facts(case_id: str, **overrides: Any) -> dict[str, Any]:
    """Facts of a plain refund case (its own order, so cases never share a product line)."""
    return {**peer_facts(case_id, "cancel"), **overrides}


# -- command line ------------------------------------------------------------------------------


def arguments(description: str | None, **sizes: int | tuple[int, int]) -> argparse.Namespace:
    """Sizes from the command line, each a default or ``(full, quick)``; ``--quick`` takes the
    quick size (a tenth of the full one unless given)."""
    parser = argparse.ArgumentParser(description=description)
    for name in sizes:
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="the quick sizes (a tenth)")
    args = parser.parse_args()
    for name, size in sizes.items():
        full, quick = size if isinstance(size, tuple) else (size, max(1, size // 10))
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    return args


def import_peers(*names: str) -> dict[str, Any]:
    """The peer modules asked for; without the ``bench`` extra, one line saying how to get it."""
    try:
        return {name: importlib.import_module(PEER_MODULES[name]) for name in names}
    except ImportError as exc:
        print(f"missing benchmark peer ({exc.name}): pip install -e '.[bench]'", file=sys.stderr)
        raise SystemExit(2) from None


def peers_on(folder: Path, modules: Mapping[str, Any]) -> dict[str, Any]:
    """Each peer set up on its own file in ``folder`` (its pragmas checked by its setup)."""
    found = {}
    for name, module in modules.items():
        found[name] = module.Peer()
        found[name].setup(folder / f"{module.__name__}.db")
    return found


def stored_workloads(
    folder: Path, modules: Mapping[str, Any], n: int
) -> tuple[Library, dict[str, Any], dict[str, list[str]]]:
    """The library and each peer on its own file in ``folder``, each holding the same ``n``
    cases (half ``cancel``, half ``return``) run untimed to their final states and checked;
    with the case ids by kind."""
    by_kind = {
        kind: [f"{kind[0].upper()}{i}" for i in range(j, n, 2)] for j, kind in enumerate(KINDS)
    }
    library = Library()
    library.setup(folder / "library.db")
    peers = peers_on(folder, modules)
    for system in (library, *peers.values()):
        for kind in KINDS:
            system.run(by_kind[kind], kind)
        check_final(system, by_kind)
    return library, peers, by_kind


def check_final(system: Any, ids_by_kind: Mapping[str, list[str]]) -> None:
    """Every case of each kind stands in that kind's final state, read from the database."""
    for kind, case_ids in ids_by_kind.items():
        states = system.final_states(case_ids)
        wrong = {c: states.get(c) for c in case_ids if states.get(c) != FINAL[kind]}
        assert not wrong, (
            f"{system.name}: {kind} cases not {FINAL[kind]}: {list(wrong.items())[:3]}"
        )


# -- rounds and medians ------------------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> float:
    """Seconds ``fn()`` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(contenders: Mapping[str, Callable[[int], T]], rounds: int) -> dict[str, list[T]]:
    """Each contender once per round (it gets the round number, returns its figures), round-robin,
    the starting contender turning each round; every contender gets ``rounds`` samples."""
    names = list(contenders)
    samples: dict[str, list[T]] = {name: [] for name in names}
    for round_ in range(rounds):
        turn = round_ % len(names)
        for name in names[turn:] + names[:turn]:
            samples[name].append(contenders[name](round_))
    return samples


@dataclass
class Row:
    """One line of a benchmark's table: medians of the rounds, each with its min and max."""

    id: str
    figure: str
    value: float
    baseline: float
    unit: str
    ratio: float
    target: str
    passed: bool
    min: float
    max: float
    baseline_min: float
    baseline_max: float
    ratio_min: float
    ratio_max: float
    rounds: int


def compare(
    id: str,
    figure: str,
    values: Sequence[float],
    baselines: Sequence[float],
    unit: str,
    target: str,
    ok: Callable[[float], bool] | None,
) -> Row:
    """A row from per-round samples: ``ok(ratio)`` decides the target (``None``: information)."""
    ratios = [v / b if b else float("inf") for v, b in zip(values, baselines, strict=True)]
    ratio = statistics.median(ratios)
    return Row(
        id,
        figure,
        statistics.median(values),
        statistics.median(baselines),
        unit,
        ratio,
        target if ok is not None else "(info)",
        ok(ratio) if ok is not None else True,
        min(values),
        max(values),
        min(baselines),
        max(baselines),
        min(ratios),
        max(ratios),
        len(values),
    )


def check_row(id: str, figure: str, value: float, unit: str, target: str, passed: bool) -> Row:
    """A row for a check with no baseline (its baseline and ratio are the value against 0)."""
    return Row(
        id, figure, value, 0, unit, value, target, passed, value, value, 0, 0, value, value, 1
    )


def at_least(bound: float) -> Callable[[float], bool]:
    return lambda ratio: ratio >= bound


def at_most(bound: float) -> Callable[[float], bool]:
    return lambda ratio: ratio <= bound


def _num(x: float) -> str:
    return f"{x:.0f}" if abs(x) >= 100 else f"{x:.1f}" if abs(x) >= 10 else f"{x:.3g}"


def report(title: str, rows: list[Row]) -> None:
    """Print the table and merge the rows into bench/results.json."""
    print(f"\n{title}")
    header = (
        f"{'id':<4}{'figure':<58}{'value [min-max]':>26}{'baseline [min-max]':>26}"
        f"{'ratio [min-max]':>22}  target"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        mark = "" if r.target == "(info)" else "PASS" if r.passed else "MISS"
        value = f"{_num(r.value)} [{_num(r.min)}-{_num(r.max)}]"
        baseline = f"{_num(r.baseline)} [{_num(r.baseline_min)}-{_num(r.baseline_max)}]"
        ratio = f"{r.ratio:.3f} [{r.ratio_min:.2f}-{r.ratio_max:.2f}]"
        print(f"{r.id:<4}{r.figure:<58} {value:>25} {baseline:>25} {ratio:>21}  {r.target} {mark}")
    if rows:
        print(f"(units: {', '.join(dict.fromkeys(r.unit for r in rows))}; {rows[0].rounds} rounds)")
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for r in rows:
        saved[f"{r.id}:{r.figure}"] = asdict(r)
    saved["_python"] = sys.version.split()[0]
    RESULTS.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n")


# -- the library's own statements, captured and replayed on raw sqlite3 -------------------------

Statements = list[tuple[str, Any, bool]]
"""What the library sent: (SQL, driver parameters, executemany); "COMMIT"/"ROLLBACK" where its
transaction ended."""


@contextlib.contextmanager
def captured(engine: Engine) -> Iterator[Statements]:
    """Record every statement the library sends on ``engine`` (SQLAlchemy's public events: each
    cursor execution, with the parameters as handed to the driver, and each commit)."""
    found: Statements = []

    def execute(_conn: Any, _cursor: Any, sql: str, params: Any, _ctx: Any, many: bool) -> None:
        found.append((sql, params, many))

    def commit(_conn: Any) -> None:
        found.append(("COMMIT", None, False))

    def rollback(_conn: Any) -> None:
        found.append(("ROLLBACK", None, False))

    listeners = (("before_cursor_execute", execute), ("commit", commit), ("rollback", rollback))
    for name, fn in listeners:
        event.listen(engine, name, fn)
    try:
        yield found
    finally:
        for name, fn in listeners:
            event.remove(engine, name, fn)


def settle() -> None:
    """Collect, then move every object alive now out of the collector's sight (``gc.freeze``):
    captured statements are millions of objects that the collector would otherwise walk again
    and again during the timed runs of whatever allocates most (the library, not raw sqlite3)."""
    gc.collect()
    gc.freeze()


def raw_connection(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with the library's pragmas (read back), BEGIN issued by hand."""
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in PRAGMA_STATEMENTS:
        conn.execute(statement)
    checked_pragmas(lambda sql: conn.execute(sql).fetchone()[0])
    return conn


def run_raw(conn: sqlite3.Connection, statements: Statements) -> None:
    """Run captured statements as they were sent: each BEGIN IMMEDIATE ... COMMIT as recorded."""
    for sql, params, many in statements:
        if sql == "COMMIT":
            conn.commit()
        elif sql == "ROLLBACK":
            conn.rollback()
        elif many:
            conn.executemany(sql, params)
        else:
            conn.execute(sql, params)


STORED = ("aftersales_case", "aftersales_event", "aftersales_refused")


def same_rows(a: Path, b: Path, tables: Sequence[str] = STORED) -> None:
    """Insist two databases hold the same rows: the raw replay wrote what the library wrote."""
    for table in tables:
        if table_digest(a, table) != table_digest(b, table):
            raise AssertionError(f"{table} differs between {a.name} and {b.name}")


def table_digest(path: Path, table: str) -> str:
    """A digest of every row of ``table`` (streamed: the table may be large)."""
    found = hashlib.sha256()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2"):
            found.update(repr(row).encode())
    return found.hexdigest()


def library_pragmas(engine: Engine) -> dict[str, str]:
    """The pragmas read back on the library's own connection; raises unless they are the peers'."""
    with engine.connect() as conn:
        return checked_pragmas(lambda sql: conn.exec_driver_sql(sql).scalar())


# -- PostgreSQL: a database per contender -------------------------------------------------------


@contextlib.contextmanager
def pg_databases(url: str, names: Sequence[str]) -> Iterator[dict[str, str]]:
    """A new, empty database per name on the server of ``url`` (``<its database>_<name>``,
    dropped first if a run left it behind, dropped again at the end); their URLs by name."""
    import sqlalchemy as sa

    base = sa.make_url(url)
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    urls = {name: f"{base.database}_{name}" for name in names}

    def drop() -> None:
        with admin.connect() as conn:
            for db in urls.values():
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')

    drop()
    with admin.connect() as conn:
        for db in urls.values():
            conn.exec_driver_sql(f'CREATE DATABASE "{db}"')
    try:
        yield {
            name: base.set(database=db).render_as_string(hide_password=False)
            for name, db in urls.items()
        }
    finally:
        drop()
        admin.dispose()


# -- the library on the peers' workload ---------------------------------------------------------


def actor(step: Step) -> Any:
    """The library's actor for a peer step (the same role and id)."""
    from aftersales import Actor

    return Actor(step.actor.role, step.actor.id)


class Library:
    """``aftersales`` through ``CaseStore`` as a peer (see ``peers.Peer``)."""

    name = "aftersales CaseStore"

    def setup(self, path: Path) -> None:
        from aftersales.storage import CaseStore

        self.store = CaseStore(f"sqlite:///{path}")
        self.store.create_schema()
        self._pragmas = library_pragmas(self.store.engine)

    def setup_postgres(self, url: str) -> None:
        from aftersales.storage import CaseStore

        self.store = CaseStore(url)
        self.store.create_schema()
        with self.store.engine.connect() as conn:
            self._pragmas = checked_pg_settings(lambda sql: conn.exec_driver_sql(sql).scalar())

    def pragmas(self) -> dict[str, str]:
        return self._pragmas

    def open(self, case_id: str, kind: str) -> None:
        self.store.open_case(peer_facts(case_id, kind))

    def step(self, case_id: str, step: Step) -> None:
        self.store.send(case_id, step.event, actor=actor(step), at=step.at, data=dict(step.data))

    def run(self, case_ids: list[str], kind: str) -> None:
        drive(self, case_ids, kind)

    def final_states(self, case_ids: list[str]) -> dict[str, str]:
        return {case_id: self.store.get(case_id).state for case_id in case_ids}

    def close(self) -> None:
        self.store.engine.dispose()
