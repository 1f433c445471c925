"""Replaying a case history against a target (a case in memory, or a store) and checking its
expectations: each failure names the file, the line and the path so far.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from ..workflow.advice import check_advice
from ..workflow.case import Case
from ..workflow.errors import AftersalesError
from ..workflow.vocabulary import Origin
from .reader import HistoryError, Line, parse_history, read_history


class Target(Protocol):
    """Where a replay sends its commands: a case in memory or a store."""

    def open(self, line: Line) -> None:
        """Open the case from the ``open`` line."""

    def send(self, line: Line) -> None:
        """Apply one command line; raise :class:`AftersalesError` if refused."""

    def tick(self, at: datetime) -> None:
        """Fire every timer due at or before ``at``."""

    def view(self) -> Case:
        """The case as it stands, with its events."""


def opening(line: Line) -> tuple[dict[str, Any], Any]:
    """The facts and the policy of an ``open`` line."""
    facts = dict(line.data)
    policy = facts.pop("policy", None)
    facts["opened_at"] = line.at
    return facts, policy


class MemoryTarget:
    """Replays into a :class:`Case` held in memory."""

    case: Case

    def open(self, line: Line) -> None:
        facts, policy = opening(line)
        self.case = Case.open(facts, policy=policy, command_id=line.command_id, origin=line.origin)

    def send(self, line: Line) -> None:
        assert line.actor is not None and line.at is not None
        self.case.send(
            line.op,
            actor=line.actor,
            at=line.at,
            data=line.data,
            command_id=line.command_id,
            origin=line.origin,
        )

    def tick(self, at: datetime) -> None:
        self.case.fire_due_timers(at)

    def view(self) -> Case:
        return self.case


@dataclass(frozen=True)
class Failure:
    """An expectation that did not hold, or a command refused unexpectedly."""

    source: str
    line: int
    problem: str
    path: tuple[str, ...]
    """The states entered up to that line."""

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.problem} (path so far: {' > '.join(self.path)})"


@dataclass
class Outcome:
    """The result of replaying one history."""

    source: str
    case: Case
    failures: list[Failure] = field(default_factory=list)
    refused: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every expectation held and no command was refused unexpectedly."""
        return not self.failures

    def summary(self) -> Summary:
        """How the case ended: what ``aftersales replay --json`` prints."""
        case = self.case
        origins = Counter(event.origin for event in case.events)
        return Summary(
            case_id=case.case_id,
            state=case.state,
            final=case.final,
            liability=case.liability,
            liability_rules=list(case.liability_rules),
            refund_amount=case.refund_amount,
            path=case.path,
            events=len(case.events),
            origin_counts={origin.value: origins[origin.value] for origin in Origin},
        )


class Summary(BaseModel):
    """How a replayed case ended (the ``replay --json`` object)."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    state: str
    final: bool
    liability: str | None = Field(description="Set once the platform has ruled.")
    liability_rules: list[str]
    refund_amount: int | None = Field(description="What was actually refunded, in fen.")
    path: list[str] = Field(description="Every state entered, in order, transient ones too.")
    events: int = Field(description="Events recorded: the opening, commands, fired timers.")
    origin_counts: dict[str, int] = Field(description="Events by origin: local, platform.")


def replay_lines(lines: Sequence[Line], target: Target, source: str = "<history>") -> Outcome:
    """Drive ``target`` with parsed ``lines`` and check every expectation."""
    head = lines[0]
    try:
        target.open(head)
    except AftersalesError as exc:
        raise HistoryError(source, head.number, f"cannot open the case: {exc}") from None
    outcome = Outcome(source, target.view())
    for line in lines[1:]:
        _replay_line(line, target, outcome)
    outcome.case = target.view()
    return outcome


def _replay_line(line: Line, target: Target, outcome: Outcome) -> None:
    def failed(problem: str) -> None:
        path = tuple(target.view().path)
        outcome.failures.append(Failure(outcome.source, line.number, problem, path))

    if line.op == "tick":
        assert line.at is not None
        target.tick(line.at)
    elif line.op == "expect":
        for problem in _check(line.data, target.view()):
            failed(problem)
    else:
        try:
            target.send(line)
        except AftersalesError as exc:
            outcome.refused.append((line.number, line.op, exc.code))
            if exc.code != line.expect_error:
                failed(f"{line.op} refused: {exc.code}: {exc}")
            return
        if line.expect_error:
            failed(f"{line.op} was accepted, expected {line.expect_error}")


def _check(expected: dict[str, Any], case: Case) -> Iterable[str]:
    actual = {
        "state": case.state,
        "liability": case.liability,
        "refund_amount": case.refund_amount,
        "final": case.final,
    }
    for key, want in expected.items():
        if key in actual and actual[key] != want:
            yield f"expected {key} {want!r}, got {actual[key]!r}"
    if "advice" in expected:  # the situation was read with it (``Situation`` or absent)
        yield from check_advice(case, expected["advice"], expected.get("situation"))


def replay_file(path: str | Path, target: Target | None = None) -> Outcome:
    """Replay one history file; :class:`HistoryError` if it cannot be read or parsed."""
    source = str(path)
    return replay_lines(parse_history(read_history(path), source), target or MemoryTarget(), source)
