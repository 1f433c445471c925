"""Case history files (spec section 9): parse, replay against a case, report.

A history is JSON Lines: an ``open`` line, then commands, ``tick`` and ``expect`` lines. The same
file is a test fixture, a training script and the export of a stored case.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from .workflow.case import Case
from .workflow.errors import AftersalesError
from .workflow.inputs import parse_time
from .workflow.record import Actor, EventRecord
from .workflow.vocabulary import EVENT_ROLES

COMMAND_OPS = frozenset(EVENT_ROLES) - {"expire"}
EXPECT_KEYS = frozenset({"state", "liability", "refund_amount", "final"})


class HistoryError(Exception):
    """A history file cannot be read or parsed; names the file and line."""

    def __init__(self, source: str, line: int, problem: str) -> None:
        super().__init__(f"{source}:{line}: {problem}")
        self.source, self.line, self.problem = source, line, problem


@dataclass(frozen=True)
class Line:
    """One parsed line of a history."""

    number: int
    op: str
    at: datetime | None = None
    actor: Actor | None = None
    data: dict[str, Any] = field(default_factory=dict)
    command_id: str | None = None
    expect_error: str | None = None


class Target(Protocol):
    """Where a replay sends its commands: a case in memory or a store."""

    def open(self, facts: dict[str, Any], policy: dict[str, Any] | None, cid: str | None) -> None:
        """Open the case."""

    def send(self, line: Line) -> None:
        """Apply one command line; raise :class:`AftersalesError` if refused."""

    def tick(self, at: datetime) -> None:
        """Fire every timer due at or before ``at``."""

    def view(self) -> Case:
        """The case as it stands."""


class MemoryTarget:
    """Replays into a :class:`Case` held in memory."""

    case: Case

    def open(self, facts: dict[str, Any], policy: dict[str, Any] | None, cid: str | None) -> None:
        self.case = Case.open(facts, policy=policy, command_id=cid)

    def send(self, line: Line) -> None:
        assert line.actor is not None and line.at is not None
        self.case.send(
            line.op, actor=line.actor, at=line.at, command_id=line.command_id, **line.data
        )

    def tick(self, at: datetime) -> None:
        self.case.fire_due_timers(at)

    def view(self) -> Case:
        return self.case


@dataclass
class Outcome:
    """The result of replaying one history."""

    source: str
    case: Case
    failures: list[str] = field(default_factory=list)
    refused: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every expectation held and no command was refused unexpectedly."""
        return not self.failures

    def to_json(self) -> dict[str, Any]:
        """The object ``aftersales replay --json`` prints, field for field as in the spec."""
        case = self.case
        return {
            "case_id": case.case_id,
            "state": case.state,
            "final": case.final,
            "liability": case.liability,
            "liability_rules": list(case.liability_rules),
            "refund_amount": case.refund_amount,
            "path": case.path,
            "events": len(case.events),
        }


def parse_history(text: str, source: str = "<history>") -> list[Line]:
    """Parse a whole history; the first problem raises :class:`HistoryError`."""
    lines: list[Line] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.strip():
            lines.append(_parse_line(raw, number, source, first=not lines))
    if not lines:
        raise HistoryError(source, 1, "the file holds no lines")
    return lines


def _parse_line(raw: str, number: int, source: str, first: bool) -> Line:
    def fail(problem: str) -> HistoryError:
        return HistoryError(source, number, problem)

    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise fail(f"not JSON: {exc.msg}") from exc
    if not isinstance(obj, dict):
        raise fail("a line must be a JSON object")
    op = obj.pop("op", None)
    if first != (op == "open"):
        raise fail("the first line, and only it, opens the case" if first else "open again")
    if op == "expect":
        return _expect_line(obj, number, fail)
    if op != "open" and op not in COMMAND_OPS and op != "tick":
        raise fail(f"unknown op {op!r}")
    at = _time(obj.pop("at", None), fail)
    command_id = _optional_str(obj.pop("command_id", None), "command_id", fail)
    expect_error = _optional_str(obj.pop("expect_error", None), "expect_error", fail)
    if op == "tick":
        if obj:
            raise fail(f"tick takes only at, not {sorted(obj)}")
        return Line(number, op, at)
    actor = None if op == "open" else _actor(obj.pop("actor", None), fail)
    return Line(number, op, at, actor, obj, command_id, expect_error)


def _expect_line(obj: dict[str, Any], number: int, fail: Any) -> Line:
    unknown = set(obj) - EXPECT_KEYS
    if unknown or not obj:
        raise fail(f"expect takes some of {sorted(EXPECT_KEYS)}, got {sorted(obj)}")
    if "final" in obj and not isinstance(obj["final"], bool):
        raise fail("expect final must be true or false")
    return Line(number, "expect", data=obj)


def _time(value: object, fail: Any) -> datetime:
    if not isinstance(value, str):
        raise fail("at must be an ISO 8601 time string")
    try:
        return parse_time(value)
    except AftersalesError as exc:
        raise fail(exc.message_en) from exc


def _actor(value: object, fail: Any) -> Actor:
    if not isinstance(value, dict) or not isinstance(value.get("role"), str):
        raise fail('actor must be an object like {"role": "merchant", "id": "S1"}')
    actor_id = value.get("id")
    if actor_id is not None and not isinstance(actor_id, str):
        raise fail("actor id must be a string")
    return Actor(value["role"], actor_id)


def _optional_str(value: object, name: str, fail: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise fail(f"{name} must be a string")
    return value


def replay_lines(lines: Sequence[Line], target: Target, source: str = "<history>") -> Outcome:
    """Drive ``target`` with parsed ``lines`` and check every expectation."""
    head = lines[0]
    facts = dict(head.data)
    policy = facts.pop("policy", None)
    facts["opened_at"] = head.at
    try:
        target.open(facts, policy, head.command_id)
    except AftersalesError as exc:
        raise HistoryError(source, head.number, f"cannot open the case: {exc}") from exc
    outcome = Outcome(source, target.view())
    for line in lines[1:]:
        _replay_line(line, target, outcome)
    outcome.case = target.view()
    return outcome


def _replay_line(line: Line, target: Target, outcome: Outcome) -> None:
    where = f"{outcome.source}:{line.number}"
    if line.op == "tick":
        assert line.at is not None
        target.tick(line.at)
    elif line.op == "expect":
        outcome.failures.extend(f"{where}: {m}" for m in _check(line.data, target.view()))
    else:
        try:
            target.send(line)
        except AftersalesError as exc:
            outcome.refused.append((line.number, line.op, exc.code))
            if exc.code != line.expect_error:
                outcome.failures.append(f"{where}: {line.op} refused: {exc.code}: {exc}")
            return
        if line.expect_error:
            outcome.failures.append(
                f"{where}: {line.op} was accepted, expected {line.expect_error}"
            )


def _check(expected: dict[str, Any], case: Case) -> Iterable[str]:
    actual = {
        "state": case.state,
        "liability": case.liability,
        "refund_amount": case.refund_amount,
        "final": case.final,
    }
    for key, want in expected.items():
        if actual[key] != want:
            yield f"expected {key} {want!r}, got {actual[key]!r}"


def replay_file(path: str | Path, target: Target | None = None) -> Outcome:
    """Replay one history file; :class:`HistoryError` if it cannot be read or parsed."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HistoryError(source, 0, f"cannot read: {exc}") from exc
    return replay_lines(parse_history(text, source), target or MemoryTarget(), source)


def export_lines(events: Sequence[EventRecord], case: Case) -> list[dict[str, Any]]:
    """A stored case as history lines: the opening, each command, a tick for each expiry, and an
    ``expect`` line with the outcome, so replaying the export checks itself."""
    head, *rest = events
    facts = dict(head.data)
    at = facts.pop("opened_at")
    opening: dict[str, Any] = {"op": "open", **facts, "at": at}
    lines = [_with_command_id(opening, head.command_id)]
    for record in rest:
        if record.event == "expire":
            lines.append({"op": "tick", "at": record.at.isoformat()})
            continue
        line = {
            "op": record.event,
            "actor": record.actor.to_dict(),
            "at": record.at.isoformat(),
            **record.data,
        }
        lines.append(_with_command_id(line, record.command_id))
    lines.append(
        {
            "op": "expect",
            "state": case.state,
            "final": case.final,
            "liability": case.liability,
            "refund_amount": case.refund_amount,
        }
    )
    return lines


def _with_command_id(line: dict[str, Any], command_id: str | None) -> dict[str, Any]:
    return {**line, "command_id": command_id} if command_id is not None else line


def dump_lines(lines: Iterable[dict[str, Any]]) -> str:
    """History lines as JSON Lines text."""
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
