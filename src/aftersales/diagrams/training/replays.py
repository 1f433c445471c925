"""The shipped seed histories, replayed in memory: the whole case, or the case as it stood
each time the merchant had to decide. Cards and quiz questions are built from these, so they
show what the machine does, never a retelling of it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from ...histories import Line, MemoryTarget, parse_history, replay_lines
from ...scenarios import SCENARIOS, history
from ...workflow.case import Case
from ...workflow.errors import AftersalesError


def _lines(name: str) -> list[Line]:
    return parse_history(history(name).read_text(encoding="utf-8"), name)


@cache
def _replayed(name: str) -> Case:
    target = MemoryTarget()
    replay_lines(_lines(name), target, name)
    return target.case


def replay_seed(name: str) -> Case:
    """Replay one shipped seed history in memory; the case it leads to (a fresh copy)."""
    return _replayed(name).copy()


@dataclass(frozen=True)
class Decision:
    """A point where the merchant acted in a history: the case just before, and the command."""

    history: str
    case: Case
    """A copy of the case as the merchant saw it: timers due by then have fired."""
    line: Line


def decisions(name: str) -> Iterator[Decision]:
    """Every merchant command of a shipped history, with the case as it stood before it."""
    target = MemoryTarget()
    for line in _lines(name):
        if line.op == "open":
            target.open(line)
        elif line.op == "tick" and line.at is not None:
            target.tick(line.at)
        elif line.op != "expect":
            if line.actor is not None and line.actor.role == "merchant" and line.at:
                before = target.case.copy()
                before.fire_due_timers(line.at)
                yield Decision(name, before, line)
            _send(target, line)


def _send(target: MemoryTarget, line: Line) -> None:
    try:
        target.send(line)
    except AftersalesError:
        if line.expect_error is None:  # a seed history is replayed by its own test too
            raise


def recommended_histories() -> Iterator[tuple[str, str]]:
    """(scenario key, history name) of every recommended seed history, in scenario order."""
    for scenario in SCENARIOS:
        for name in scenario.recommended:
            yield scenario.key, name
