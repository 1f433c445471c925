"""P1: one persisted command through ``CaseStore.send`` on file SQLite (WAL), cases run to their
final states (half the cancel workload, half the return one; each round its own new cases,
opened untimed before the round's commands are timed).

Baselines in the same run, interleaved round by round:

* raw sqlite3 running the library's own statements: every statement ``send`` issued for the
  same commands, captured beforehand (an untimed pass over the same cases on another file) and
  run with the recorded parameters, one BEGIN IMMEDIATE ... COMMIT per command as the library
  does. Its file must end up holding exactly the rows the library's does.
* the naive design: a SQLAlchemy ORM session per command loading the case row, a new
  python-statemachine ``CaseMachine`` built per command on the library's rules, the log row
  (with its feed position) added and the case row updated through the ORM (the same columns,
  snapshot and digest chain: ``verify`` must pass on its file).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from aftersales import Case
from aftersales.storage.codec import event_row
from aftersales.storage.repository import facts_of, state_values
from aftersales.storage.snapshot import from_snapshot
from aftersales.storage.tables import CaseRow, EventRow
from aftersales.storage.verify import verify
from aftersales.workflow.errors import PermissionDenied
from aftersales.workflow.inputs import Policy, parse
from aftersales.workflow.machine import CaseMachine
from aftersales.workflow.record import Binding, Command, EventRecord
from aftersales.workflow.rules import CaseRules
from aftersales.workflow.vocabulary import EVENT_DATA, EVENT_ROLES
from common import (
    Library,
    Statements,
    actor,
    arguments,
    at_least,
    captured,
    check_final,
    compare,
    interleaved,
    raw_connection,
    report,
    run_raw,
    same_rows,
    settle,
    timed,
)
from peers import KINDS, STEPS, Step

Cases = list[tuple[str, str]]
"""(case id, kind) of one round."""


def cases_of(round_: int, n: int) -> Cases:
    return [(f"R{round_}-{i}", KINDS[i % 2]) for i in range(n)]


def commands(cases: Cases) -> int:
    return sum(len(STEPS[kind]) for _, kind in cases)


def open_all(lib: Library, cases: Cases) -> None:
    for case_id, kind in cases:
        lib.open(case_id, kind)


def send_all(lib: Library, cases: Cases) -> None:
    for case_id, kind in cases:
        for step in STEPS[kind]:
            lib.step(case_id, step)


class _Entered:
    """Notes the states the machine enters (the log row keeps them)."""

    def __init__(self) -> None:
        self.states: list[str] = []

    def on_enter_state(self, state: Any) -> None:
        self.states.append(state.value)


NEXT_POSITION = sa.select(sa.func.coalesce(sa.func.max(EventRow.position), 0) + 1).scalar_subquery()


def naive_send(sessions: sessionmaker[Session], case_id: str, step: Step) -> None:
    """The naive design: ORM session, a new machine per command, ORM writes."""
    who, event = actor(step), step.event
    with sessions.begin() as session:
        row = session.get_one(CaseRow, case_id)
        policy = Policy() if row.policy is None else Policy.model_validate(row.policy)
        record = from_snapshot(row.snapshot, facts_of(row), policy)
        payload = parse(EVENT_DATA[event], dict(step.data))
        if who.role != EVENT_ROLES[event]:
            raise PermissionDenied(f"{who.role} may not {event}", "", "actor")
        binding, entered = Binding(record, Command(step.at)), _Entered()
        machine = CaseMachine(model=binding, listeners=[CaseRules(binding), entered])
        before = record.state
        machine.send(event, payload=payload)
        record.seq, record.last_at = record.seq + 1, step.at
        entry = EventRecord(
            seq=record.seq,
            event=event,
            actor=who,
            at=step.at,
            data=payload.model_dump(mode="json", exclude_none=True, exclude_defaults=True),
            state_before=before,
            state_after=record.state,
            note=binding.command.note if binding.command else {},
            timer=record.timer,
            entered=tuple(entered.states),
        )
        values = event_row(case_id, entry, row.digest)
        session.add(EventRow(**values, position=NEXT_POSITION))
        for name, value in state_values(Case(record), values["digest"], prefix="").items():
            setattr(row, name, value)


def capture(lib: Library, rounds: int, n: int) -> tuple[list[Statements], list[Statements]]:
    """The untimed capture pass: what the library sends to open, then to run, each round."""
    opens, sends = [], []
    for round_ in range(rounds):
        cases = cases_of(round_, n)
        with captured(lib.store.engine) as statements:
            open_all(lib, cases)
        opens.append(statements)
        with captured(lib.store.engine) as statements:
            send_all(lib, cases)
        sends.append(statements)
    settle()
    return opens, sends


def naive_all(lib: Library, cases: Cases) -> None:
    sessions = sessionmaker(lib.store.engine)
    for case_id, kind in cases:
        for step in STEPS[kind]:
            naive_send(sessions, case_id, step)


def main() -> None:
    args = arguments(__doc__, cases=1000, rounds=(5, 3))
    n, rounds = args.cases, args.rounds
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        libs = {name: Library() for name in ("capture", "api", "raw", "naive")}
        for name, lib in libs.items():
            lib.setup(folder / f"{name}.db")
        opens, sends = capture(libs["capture"], rounds, n)
        libs["raw"].close()  # its schema only: raw sqlite3 writes the rest
        raw = raw_connection(folder / "raw.db")

        def api(round_: int) -> float:
            cases = cases_of(round_, n)
            open_all(libs["api"], cases)
            return commands(cases) / timed(lambda: send_all(libs["api"], cases))

        def raw_sql(round_: int) -> float:
            run_raw(raw, opens[round_])
            return commands(cases_of(round_, n)) / timed(lambda: run_raw(raw, sends[round_]))

        def naive(round_: int) -> float:
            cases = cases_of(round_, n)
            open_all(libs["naive"], cases)
            return commands(cases) / timed(lambda: naive_all(libs["naive"], cases))

        rates = interleaved({"api": api, "raw": raw_sql, "naive": naive}, rounds)
        raw.close()
        same_rows(folder / "api.db", folder / "raw.db")
        every = [case for r in range(rounds) for case in cases_of(r, n)]
        ids_by_kind = {kind: [c for c, k in every if k == kind] for kind in KINDS}
        for name in ("api", "naive"):
            check_final(libs[name], ids_by_kind)
            checked = verify(libs[name].store)
            assert checked.ok and checked.checked == len(every), checked.divergences[:3]
            libs[name].close()
        libs["capture"].close()
    per_round = commands(cases_of(0, n))
    report(
        f"P1 persisted command on SQLite (file, WAL), {per_round} commands x {rounds} rounds",
        [
            compare(
                "P1",
                "CaseStore.send vs raw sqlite3 running its statements (cmd/s)",
                rates["api"],
                rates["raw"],
                "cmd/s",
                ">= 0.35",
                at_least(0.35),
            ),
            compare(
                "P1",
                "CaseStore.send vs naive ORM + new machine per command",
                rates["api"],
                rates["naive"],
                "cmd/s",
                ">= 4x",
                at_least(4),
            ),
        ],
    )


if __name__ == "__main__":
    main()
