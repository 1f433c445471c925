"""Between the workflow's event records and log rows: payloads, their versions, the digest chain.

Each log row carries the payload ``schema_version`` it was written with; older rows are upgraded
when read by the small functions of :data:`UPGRADES` (the row itself is never rewritten). The
digest of a row covers its columns and the previous row's digest: plain SHA-256, or HMAC-SHA256
when the store has a secret key, so that a writer without the key cannot forge the chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import orjson
from pydantic import TypeAdapter

from ..workflow.record import Actor, EventRecord, Timer
from ..workflow.vocabulary import STATE_TIMERS

SCHEMA_VERSION: Final = 2
"""Version of the payloads written now. 2: ``origin`` is a column the digest covers, and the
note says which states the event entered."""

_TIMER = TypeAdapter(Timer | None)
_AT = TypeAdapter(datetime)


def canonical(value: Any) -> str:
    """Stable JSON: sorted keys, no spaces, UTF-8 kept; anything else JSON lacks as text.

    The text is ``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    default=str)``, byte for byte (digests cover it). ``orjson`` writes the same text for plain
    values (strings, integers, booleans, ``None``, lists and string-keyed dicts of them) and
    writes it faster; anything else (a float, a datetime, a subclass) goes through ``json``.
    """
    if _plain(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
        except (TypeError, orjson.JSONEncodeError):  # an integer beyond 64 bits, a surrogate
            pass
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


_SCALAR: Final = frozenset((str, int, bool, type(None)))


def _plain(value: Any) -> bool:
    """Only exact str, int, bool, None, and lists, tuples and dicts of them (a dict's keys are
    left to ``orjson``, which refuses a key that is not a string)."""
    kind = type(value)
    if kind is dict:
        value = value.values()
    elif kind is not list and kind is not tuple:
        return kind in _SCALAR
    for item in value:  # noqa: SIM110 (a loop: all() with a generator is twice as slow here)
        if type(item) not in _SCALAR and not _plain(item):
            return False
    return True


def dumps(value: Any) -> str:
    """JSON text of a column value (the engine's ``json_serializer``): ``orjson`` for plain
    values, ``json`` for the rest (a float, which ``orjson`` writes as ``null`` when it is not
    finite; an integer beyond 64 bits). Not digested: only the value read back counts, and it
    is the same."""
    if _plain(value):
        try:
            return orjson.dumps(value).decode()
        except (TypeError, orjson.JSONEncodeError):
            pass
    return json.dumps(value)


def loads(text: str | bytes) -> Any:
    """A column's JSON value (the engine's ``json_deserializer``): ``orjson``, or ``json`` for
    what ``orjson`` refuses (``NaN`` written by an older release) or may read otherwise (it
    reads an integer beyond 64 bits as a float: a value holding any float is read again with
    ``json``)."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
    return value if _plain(value) else json.loads(text)


def iso(value: datetime) -> str:
    """A time as pydantic writes it in JSON mode (``Z`` for UTC), which the digests cover."""
    offset = value.utcoffset()
    if offset is None or offset % timedelta(minutes=1) or value.year < 1000:
        return _AT.dump_python(value, mode="json")  # type: ignore[no-any-return]
    text = value.isoformat()
    return text[:-6] + "Z" if not offset else text


def timer_json(timer: Timer | None) -> dict[str, Any] | None:
    """A timer as pydantic dumps it in JSON mode (kind, due, state)."""
    if timer is None:
        return None
    return {"kind": timer.kind, "due": iso(timer.due), "state": timer.state}


def _entered_v1(row: Mapping[str, Any]) -> list[str]:
    # Contract v1 had no external self-transition and one transient state, entered by accept.
    before, after = row["state_before"], row["state_after"]
    if before is None:
        return [after]
    if before == after:
        return []
    if row["event"] == "accept" and after != "buyer_accepted":
        return ["buyer_accepted", after]
    return [after]


V2_FACTS: Final = {"received": False, "used": False, "sku_id": "", "count": 1, "platform_id": None}
"""The facts contract v2 added, with the values a v1 case has."""


def _upgrade_1(row: dict[str, Any]) -> dict[str, Any]:
    note, data = dict(row["note"]), dict(row["data"])
    note["entered"] = _entered_v1(row)
    if row["event"] == "open":
        note.setdefault("workflow_version", 1)
        data = {**V2_FACTS, **data}
    if "due" in note:  # v1 kept the evidence deadline in the demand's own offset
        note["due"] = datetime.fromisoformat(note["due"]).astimezone(UTC).isoformat()
    if row["event"] == "expire":
        # v1 noted the expired timer's kind under a key the stored timer then overwrote; the
        # kind follows from the state the timer ran in.
        note["expired"] = STATE_TIMERS.get(row["state_before"], "merchant_evidence")
    return {**row, "data": data, "note": note, "origin": row.get("origin") or "local"}


UPGRADES: Final[dict[int, Callable[[dict[str, Any]], dict[str, Any]]]] = {1: _upgrade_1}
"""Functions upgrading a stored row's payload from version N to N + 1."""

DIGESTED_V1 = (
    "case_id",
    "seq",
    "event",
    "actor_role",
    "actor_id",
    "at",
    "data",
    "note",
    "state_before",
    "state_after",
    "command_id",
    "schema_version",
)
DIGESTED: Final[dict[int, tuple[str, ...]]] = {1: DIGESTED_V1, 2: (*DIGESTED_V1, "origin")}
"""The columns a row's digest covers, in order, by payload version."""


def event_row(
    case_id: str, record: EventRecord, prev_digest: str, key: bytes | None = None
) -> dict[str, Any]:
    """The log row of one event, its digest chained to ``prev_digest``."""
    timer = timer_json(record.timer)
    row = {
        "case_id": case_id,
        "seq": record.seq,
        "event": record.event,
        "actor_role": record.actor.role,
        "actor_id": record.actor.id,
        "at": record.at.astimezone(UTC),
        "data": record.data,
        "note": {**record.note, "timer": timer, "entered": list(record.entered)},
        "state_before": record.state_before,
        "state_after": record.state_after,
        "command_id": record.command_id,
        "origin": record.origin,
        "schema_version": SCHEMA_VERSION,
    }
    row["digest"] = digest(row, prev_digest, key)
    return row


def digest(row: Mapping[str, Any], prev_digest: str, key: bytes | None = None) -> str:
    """The chained digest of a log row (see the module's docstring)."""
    parts = [prev_digest]
    for column in DIGESTED[int(row["schema_version"])]:
        value = row[column]
        if column == "at":
            value = _utc(value).isoformat()
        elif column in ("data", "note"):
            value = canonical(value)
        parts.append("" if value is None else str(value))
    message = "\x1f".join(parts).encode()
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _utc(value: datetime) -> datetime:
    # A UTC time is digested as stored; SQLite reads it back without its offset.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value if value.utcoffset() == UTC.utcoffset(None) else value.astimezone(UTC)


def record_from_row(row: Any) -> EventRecord:
    """An event record from a stored log row (upgrading old payload versions)."""
    values = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    version = int(values["schema_version"])
    while version < SCHEMA_VERSION:
        values = UPGRADES[version](values)
        version += 1
    note = dict(values["note"])
    timer = _TIMER.validate_python(note.pop("timer", None))
    entered = tuple(note.pop("entered", ()))
    return EventRecord(
        seq=values["seq"],
        event=values["event"],
        actor=Actor(values["actor_role"], values["actor_id"]),
        at=_utc(values["at"]),
        data=dict(values["data"]),
        state_before=values["state_before"],
        state_after=values["state_after"],
        command_id=values["command_id"],
        origin=values["origin"],
        note=note,
        timer=timer,
        entered=entered,
    )
