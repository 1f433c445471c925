"""Case history files: read and written. A history is JSON Lines: an ``open``
line, then commands, ``tick`` and ``expect`` lines. The same file is a test fixture, a training
script and the export of a stored case. Lines are split on ``\\n`` only (a message may hold
U+2028), files are read up to :data:`MAX_BYTES`, and anything unreadable is a
:class:`HistoryError` naming the file and line, never a traceback. Replaying is
:mod:`.replay`'s.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..workflow.case import Case
from ..workflow.errors import AftersalesError
from ..workflow.inputs import parse_time
from ..workflow.playbook import Situation
from ..workflow.record import Actor, EventRecord
from ..workflow.vocabulary import Origin
from .lines import COMMAND_OPS, EXPECT_KEYS, AdviceExpectation

MAX_BYTES = 16 * 1024 * 1024
MAX_LINE = 1024 * 1024


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
    origin: str = "local"


def parse_history(text: str, source: str = "<history>") -> list[Line]:
    """Parse a whole history; the first problem raises :class:`HistoryError`."""
    lines: list[Line] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        raw = raw.removesuffix("\r")
        if raw.strip():
            lines.append(_parse_line(raw, number, source, first=not lines))
    if not lines:
        raise HistoryError(source, 1, "the file holds no lines")
    return lines


def _parse_line(raw: str, number: int, source: str, first: bool) -> Line:
    def fail(problem: str) -> HistoryError:
        return HistoryError(source, number, problem)

    obj = _json_object(raw, fail)
    op = obj.pop("op", None)
    if not isinstance(op, str):
        raise fail('every line has an "op" string')
    if first != (op == "open"):
        raise fail("the first line, and only it, opens the case" if first else "open again")
    if op == "expect":
        return _expect_line(obj, number, fail)
    platform = obj.get("origin") == "platform"
    if op not in COMMAND_OPS and op not in ("open", "tick") and not (op == "expire" and platform):
        raise fail(f"unknown op {op!r:.60}")
    at = _time(obj.pop("at", None), fail)
    command_id = _optional_str(obj.pop("command_id", None), "command_id", fail)
    expect_error = _optional_str(obj.pop("expect_error", None), "expect_error", fail)
    origin = _optional_str(obj.pop("origin", None), "origin", fail) or "local"
    if origin not in Origin.__members__:
        raise fail("origin is local or platform")
    if op == "tick":
        if obj:
            raise fail(f"tick takes only at, not {sorted(obj)}")
        return Line(number, op, at)
    actor = None if op == "open" else _actor(obj.pop("actor", None), fail)
    return Line(number, op, at, actor, obj, command_id, expect_error, origin)


def _json_object(raw: str, fail: Any) -> dict[str, Any]:
    if len(raw) > MAX_LINE:
        raise fail(f"the line is longer than {MAX_LINE} characters")
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise fail(f"not JSON: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:  # huge integers, deep nesting
        raise fail(f"not readable JSON: {str(exc)[:80] or type(exc).__name__}") from None
    if not isinstance(obj, dict):
        raise fail("a line must be a JSON object")
    return obj


def _expect_line(obj: dict[str, Any], number: int, fail: Any) -> Line:
    unknown = set(obj) - EXPECT_KEYS
    if unknown or not obj:
        raise fail(f"expect takes some of {sorted(EXPECT_KEYS)}, got {sorted(obj)}")
    if "final" in obj and not isinstance(obj["final"], bool):
        raise fail("expect final must be true or false")
    if "situation" in obj:
        if "advice" not in obj:
            raise fail("expect situation goes with advice: the situation the advice assumes")
        try:
            obj["situation"] = Situation.of(obj["situation"])
        except AftersalesError as exc:
            raise fail(f"expect situation: {exc.message_en}") from None
    if "advice" in obj:
        try:
            AdviceExpectation.model_validate(obj["advice"], strict=True)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, ("advice", *first["loc"])))
            raise fail(f"expect {where}: {first['msg']}") from None
    return Line(number, "expect", data=obj)


def _time(value: object, fail: Any) -> datetime:
    if not isinstance(value, str):
        raise fail("at must be an ISO 8601 time string")
    try:
        return parse_time(value)
    except AftersalesError as exc:
        raise fail(exc.message_en) from None


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


def read_history(path: str | Path) -> str:
    """The text of a history file, read up to :data:`MAX_BYTES`; :class:`HistoryError` if it
    cannot be read."""
    source = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise HistoryError(source, 0, f"the file is larger than {MAX_BYTES} bytes")
        return raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HistoryError(source, 0, f"cannot read: {exc}") from None


def export_lines(events: Sequence[EventRecord], case: Case) -> list[dict[str, Any]]:
    """A stored case as history lines: the opening, each command, a tick for each expiry, and an
    ``expect`` line with the outcome, so replaying the export checks itself. Every time is
    written in the UTC offset of the opening (``+08:00`` for a case opened at ``+08:00``)."""
    head, *rest = events
    facts = dict(head.data)
    at = facts.pop("opened_at")
    opened = datetime.fromisoformat(at) if isinstance(at, str) else head.at
    zone = opened.tzinfo  # every time in the opening's offset, as the history was written

    def shown(moment: datetime) -> str:
        return moment.astimezone(zone).isoformat()

    lines = [_extras({"op": "open", **facts, "at": shown(opened)}, head)]
    for record in rest:
        if record.event == "expire" and record.origin == "local":
            lines.append({"op": "tick", "at": shown(record.at)})
            continue
        line = {
            "op": record.event,
            "actor": record.actor.to_dict(),
            "at": shown(record.at),
            **record.data,
        }
        lines.append(_extras(line, record))
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


def _extras(line: dict[str, Any], record: EventRecord) -> dict[str, Any]:
    if record.command_id is not None:
        line["command_id"] = record.command_id
    if record.origin != "local":
        line["origin"] = record.origin
    return line


def dump_lines(lines: Iterable[dict[str, Any]]) -> str:
    """History lines as JSON Lines text."""
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
