"""Keyed commitments: what a writer without the store's secret cannot make consistent again.

The digest chain (:mod:`.codec`) shows that no event row was altered, but a chain is as valid
short as long, and a case that is gone leaves no chain to check. With a secret the store keeps
three keyed commitments, in the same transaction as every write, and ``verify`` checks them:

- the case **seal** (``case.seal``): an HMAC of the case id, its event count, the digest of its
  last event and its parked error (``timer_error``). A log cut short and the row recomputed
  from a replay of the rest has no valid seal.
- the **link seal** (``case.link_seal``): an HMAC of ``platform_id`` and ``complaint_id``,
  which no event records.
- the **store commitment** (table ``commitment``): :data:`SLOTS` rows; a case belongs to the
  slot its id hashes to, and each slot holds a keyed start value plus the sum, modulo
  :data:`MODULUS`, of a keyed term for every event and every refusal of its cases. The terms
  are HMACs nobody without the key can compute (none is stored), so deleting a whole case, a
  refusal or the tail of a log leaves a sum no one can mend.

Why a sum over slots and not one running digest per shop: a row that every write updates is a
lock every writer of a shop waits on (PostgreSQL holds a row lock to the end of the
transaction). A sum commutes, so writers never read the old value (``acc = (acc + d) % M``),
and a case's writes touch one slot of 64: writers of different cases rarely meet. A sum and
not an XOR, so that two equal terms (two identical refusals) do not cancel out. Every slot row
is written at the first keyed write, so a slot whose cases were all deleted is missed.

Without a secret none of this is kept (``seal`` stays ``NULL``). A store that was given a secret
later has cases without seals: ``verify`` reports each as "no commitment".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ..workflow.errors import Conflict, InvalidInput
from .statements import Statement
from .tables import case_table, commitment_table

SLOTS: Final = 64
"""Rows of the store commitment: a case's writes touch the one its id hashes to."""
MODULUS: Final = 1 << 62
"""Sums are kept below this, so ``acc + delta`` never leaves a signed 64-bit integer."""

_case = case_table.c
_slot = commitment_table.c
_NONE = "\x00"  # a missing value, apart from the empty string


def secret_key(value: str | bytes | None, field: str = "secret") -> bytes | None:
    """A store secret as bytes: text is encoded as UTF-8, empty means none. Text that is not
    UTF-8 (an environment variable holding other bytes) is ``invalid_input`` naming ``field``."""
    if value is None or value in ("", b""):
        return None
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise InvalidInput("A secret is text or bytes.", "密钥须为文本或字节。", field)
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(
            f"{field} is not valid UTF-8 text: set it to a passphrase or hex digits.",
            f"{field} 不是有效的 UTF-8 文本:请设为口令或十六进制字符。",
            field,
        ) from None


def secret_from_environ(environ: Mapping[str, str] | None = None) -> bytes | None:
    """The secret in ``AFTERSALES_SECRET`` (``None`` when unset or empty); ``invalid_input``
    when it is not UTF-8."""
    value = (os.environ if environ is None else environ).get("AFTERSALES_SECRET")
    return secret_key(value, "AFTERSALES_SECRET")


# -- the keyed values ---------------------------------------------------------------------------


def _mac(key: bytes, *parts: object) -> bytes:
    text = "\x1f".join(_NONE if part is None else str(part) for part in parts)
    return hmac.new(key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()


def _term(key: bytes, *parts: object) -> int:
    return int.from_bytes(_mac(key, *parts)[:8], "big") % MODULUS


def case_seal(key: bytes, case_id: str, version: int, digest: str, timer_error: str | None) -> str:
    """The seal of a case row: its event count, head digest and parked error."""
    return _mac(key, "case", case_id, version, digest, timer_error).hex()


def link_seal(key: bytes, case_id: str, platform_id: str | None, complaint_id: str | None) -> str:
    """The seal of a case's links to WeChat."""
    return _mac(key, "link", case_id, platform_id, complaint_id).hex()


def slot_of(case_id: str) -> int:
    """The store commitment slot of a case."""
    return hashlib.sha256(case_id.encode("utf-8", "surrogatepass")).digest()[0] % SLOTS


def start(key: bytes, slot: int) -> int:
    """A slot's keyed start value: an empty slot's sum is not zero."""
    return _term(key, "slot", slot)


def event_term(key: bytes, case_id: str, seq: int, digest: str) -> int:
    """An event's term in its case's slot."""
    return _term(key, "event", case_id, seq, digest)


def refusal_term(key: bytes, row: Mapping[str, Any]) -> int:
    """A refusal's term in its case's slot, from its stored columns."""
    at = row["at"]
    when = None if at is None else _utc(at).isoformat()
    data = json.dumps(_normal(row["data"]), sort_keys=True, separators=(",", ":"))
    parts = [row[name] for name in REFUSAL_COLUMNS[:-2]]
    return _term(key, "refused", *parts, when, data)


REFUSAL_COLUMNS: Final = (
    "case_id",
    "event",
    "actor_role",
    "actor_id",
    "code",
    "field",
    "state",
    "command_id",
    "origin",
    "at",
    "data",
)
"""The refusal columns a term covers (``id`` aside: it is given by the database)."""


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _normal(value: Any) -> Any:
    # JSON numbers as PostgreSQL's JSONB gives them back: 1e300 returns as an integer, -0.0 as 0.
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value) + 0.0
    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    return str(value)


# -- writing ------------------------------------------------------------------------------------

_ADD = sa.update(commitment_table).where(_slot.slot == sa.bindparam("b_slot"))
ADD = Statement(
    _ADD.values(acc=(_slot.acc + sa.bindparam("b_delta", type_=sa.BigInteger)) % MODULUS)
)
_SEALED = sa.select(
    _case.version, _case.digest, _case.timer_error, _case.platform_id, _case.complaint_id
)


class Commitments:
    """Keeps a store's commitments; does nothing without a key."""

    def __init__(self, key: bytes | None) -> None:
        self.key = key
        self._ready = False  # every slot row seen: no need to look again

    def head(self, case_id: str, version: int, digest: str) -> str | None:
        """The seal of a case row after new events (which clear a parked error)."""
        return None if self.key is None else case_seal(self.key, case_id, version, digest, None)

    def seals(
        self, case_id: str, version: int, digest: str, platform_id: str | None
    ) -> dict[str, str | None]:
        """The seals of the row of a case just opened."""
        if self.key is None:
            return {"seal": None, "link_seal": None}
        return {
            "seal": case_seal(self.key, case_id, version, digest, None),
            "link_seal": link_seal(self.key, case_id, platform_id, None),
        }

    def log(self, conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
        """Add new log rows (``case_id``, ``seq``, ``digest``) to the store commitment."""
        if self.key is None:
            return
        deltas: dict[int, int] = {}
        for row in rows:
            slot = slot_of(row["case_id"])
            term = event_term(self.key, row["case_id"], row["seq"], row["digest"])
            deltas[slot] = (deltas.get(slot, 0) + term) % MODULUS
        self._add(conn, deltas)

    def refusal(self, conn: Connection, row: Mapping[str, Any]) -> None:
        """Add a new refusal row to the store commitment."""
        if self.key is None:
            return
        self._add(conn, {slot_of(row["case_id"]): refusal_term(self.key, row)})

    def reseal(self, conn: Connection, case_id: str, **changes: str | None) -> bool:
        """Change ``timer_error``, ``platform_id`` or ``complaint_id`` of a case row, and its
        seals. A seal that did not hold before stays as it was: a write never blesses what was
        changed behind the store's back. Whether there is such a case."""
        found = conn.execute(_SEALED.where(_case.case_id == case_id)).first()
        if found is None:
            return False
        values: dict[str, Any] = dict(changes)
        if self.key is not None:
            stored = conn.execute(
                sa.select(_case.seal, _case.link_seal).where(_case.case_id == case_id)
            ).one()
            old, new = dict(found._mapping), {**found._mapping, **changes}
            for column, make in (("seal", self._case_seal), ("link_seal", self._link_seal)):
                if stored[0 if column == "seal" else 1] == make(case_id, old):
                    values[column] = make(case_id, new)
        conn.execute(case_table.update().where(_case.case_id == case_id).values(values))
        return True

    def _case_seal(self, case_id: str, row: Mapping[str, Any]) -> str:
        assert self.key is not None
        return case_seal(self.key, case_id, row["version"], row["digest"], row["timer_error"])

    def _link_seal(self, case_id: str, row: Mapping[str, Any]) -> str:
        assert self.key is not None
        return link_seal(self.key, case_id, row["platform_id"], row["complaint_id"])

    def _add(self, conn: Connection, deltas: dict[int, int]) -> None:
        if not deltas:
            return
        if not self._ready:
            self._ensure(conn)
        # Slots in order, so two writers of many slots (sweeps) never wait on each other in a
        # cycle.
        params = [{"b_slot": slot, "b_delta": deltas[slot]} for slot in sorted(deltas)]
        done = ADD.executemany(conn, params)
        if 0 <= done < len(params):  # a slot row is gone: put it back on the retry
            self._ready = False
            raise Conflict(
                "The store commitment is missing rows; run `aftersales verify`.",
                "存储承诺缺少记录,请运行 aftersales verify。",
                "commitment",
            )

    def _ensure(self, conn: Connection) -> None:
        assert self.key is not None
        have = conn.execute(sa.select(sa.func.count()).select_from(commitment_table)).scalar_one()
        if have == SLOTS:
            self._ready = True
            return
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        rows = [{"slot": slot, "acc": start(self.key, slot)} for slot in range(SLOTS)]
        conn.execute(dialect.insert(commitment_table).on_conflict_do_nothing(), rows)
