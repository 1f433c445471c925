"""Replaying case histories into a store: the target the replay command and the demo use."""

from __future__ import annotations

from datetime import datetime

from ..histories import Line, opening
from ..workflow.case import Case
from .store import CaseStore


class StoreTarget:
    """Replays into a case store, timers fired by its sweeper."""

    case_id: str

    def __init__(self, store: CaseStore) -> None:
        self.store = store

    def open(self, line: Line) -> None:
        facts, policy = opening(line)
        case = self.store.open_case(
            facts, policy=policy, command_id=line.command_id, origin=line.origin
        )
        self.case_id = case.case_id

    def send(self, line: Line) -> None:
        assert line.actor is not None and line.at is not None
        self.store.send(
            self.case_id,
            line.op,
            actor=line.actor,
            at=line.at,
            data=line.data,
            command_id=line.command_id,
            origin=line.origin,
        )

    def tick(self, at: datetime) -> None:
        self.store.fire_due_timers(at, case_id=self.case_id)

    def view(self) -> Case:
        return self.store.get(self.case_id)
