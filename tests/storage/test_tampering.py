"""The tampering battery: every kind of direct SQL edit, and whether ``verify`` sees it, with and
without the store's secret.

Each :class:`Tamper` edits a freshly populated store behind the library's back and says whether
``verify`` must report it without the key (``plain``) and with it (``keyed``). An edit that is
not detected says why in ``why``. The table in ``docs/concepts/integrity.md`` is this list,
rendered by :func:`docs_table`; a test fails when the page and the list differ (regenerate
with ``AFTERSALES_WRITE_DOCS=1 pytest tests/storage/test_tampering.py -k docs``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from aftersales import Actor
from aftersales.storage import CaseStore
from aftersales.storage.codec import event_row, record_from_row
from aftersales.storage.repository import state_values
from aftersales.storage.tables import (
    case_table,
    divergence_table,
    event_table,
    metadata,
    refused_table,
)
from aftersales.storage.verify import verify
from aftersales.workflow.case import Case
from aftersales.workflow.errors import AftersalesError
from aftersales.workflow.replay import replay
from tests.conftest import fresh_pg, pg_url_or_skip
from tests.support import BUYER, MERCHANT, SYSTEM, at, facts

SECRET = b"the shop's secret"
DOC = Path(__file__).parents[2] / "docs" / "concepts" / "integrity.md"
BEGIN, END = "<!-- tampering table: begin -->", "<!-- tampering table: end -->"

_case, _event, _refused = case_table.c, event_table.c, refused_table.c


# -- the store every edit starts from ----------------------------------------------------------


def populate(store: CaseStore) -> None:
    """C1 refunded (final), C2 waiting for the merchant with two refusals, C3 linked to WeChat
    with a dispute and a divergence, C4 a longer open case."""
    store.open_case(facts(case_id="C1"))
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    store.send("C1", "refund_succeeded", actor=SYSTEM, at=at(2))
    store.open_case(facts(case_id="C2", shop_id="S2"))
    for hours in (1, 2):
        with pytest.raises(AftersalesError):
            store.send("C2", "accept", actor=BUYER, at=at(hours))
    store.open_case(facts(case_id="C3"))
    store.link_platform_id("C3", "WX3")
    with store.unit_of_work() as session:
        store.link_complaint("C3", "CMP3", session=session)
        store.record_divergence(
            key="wechat:WX3:SOMETHING",
            platform_id="WX3",
            status="SOMETHING",
            case_id="C3",
            our_state="requested",
            reason="unexplained status",
            at=at(3),
            session=session,
        )
    store.open_case(facts(case_id="C4"))
    store.send("C4", "negotiate", actor=MERCHANT, at=at(1), data=_invite())
    store.send("C4", "decline", actor=BUYER, at=at(2))


def _invite() -> dict[str, Any]:
    return {
        "negotiation_type": "invite_cancel",
        "reason": "agreed_cancel",
        "message": "cancel?",
        "evidence": [{"kind": "chat_record", "ref": "media-1"}],
    }


# -- what an attacker without the key can do ----------------------------------------------------


def _set(table: sa.Table, where: Any, **values: Any) -> Callable[[Connection], None]:
    def edit(conn: Connection) -> None:
        done = conn.execute(table.update().where(where).values(**values))
        assert done.rowcount >= 1

    return edit


def case_set(case_id: str, **values: Any) -> Callable[[Connection], None]:
    return _set(case_table, _case.case_id == case_id, **values)


def event_set(case_id: str, seq: int, **values: Any) -> Callable[[Connection], None]:
    return _set(event_table, sa.and_(_event.case_id == case_id, _event.seq == seq), **values)


def _log(conn: Connection, case_id: str) -> list[Any]:
    query = sa.select(event_table).where(_event.case_id == case_id).order_by(_event.seq)
    return conn.execute(query).all()


def rewrite_row_from_log(conn: Connection, case_id: str) -> None:
    """What a careful attacker does after editing a log: the row recomputed from a replay."""
    rows = _log(conn, case_id)
    case, mismatch = replay([record_from_row(row) for row in rows])
    assert case is not None and mismatch is None, mismatch
    conn.execute(
        case_table.update()
        .where(_case.case_id == case_id)
        .values(**state_values(case, rows[-1].digest, prefix=""))
    )


def _delete_events(conn: Connection, case_id: str, above: int) -> None:
    conn.execute(event_table.delete().where(_event.case_id == case_id, _event.seq > above))


def truncate(conn: Connection) -> None:
    _delete_events(conn, "C1", 2)
    rewrite_row_from_log(conn, "C1")


def unseal_and_truncate(conn: Connection) -> None:
    truncate(conn)
    case_set("C1", seal=None, link_seal=None)(conn)


def delete_last_event_leave_row(conn: Connection) -> None:
    _delete_events(conn, "C1", 2)


def _forge(
    conn: Connection, case_id: str, change: Callable[[Case], None], case: Case | None = None
) -> None:
    """Append or rewrite events with the plain SHA-256 chain anyone can compute."""
    if case is None:
        case, _ = replay([record_from_row(row) for row in _log(conn, case_id)])
    assert case is not None
    change(case)
    prev = ""
    conn.execute(event_table.delete().where(_event.case_id == case_id))
    for record in case.events:
        row = event_row(case_id, record, prev)
        prev = row["digest"]
        position = sa.select(sa.func.coalesce(sa.func.max(_event.position), 0) + 1)
        conn.execute(event_table.insert().values(**row, position=position.scalar_subquery()))
    rewrite_row_from_log(conn, case_id)


def append_forged_event(conn: Connection) -> None:
    _forge(conn, "C2", lambda case: case.send("agree", actor=Actor.merchant("S2"), at=at(5)))


def rewrite_forged_history(conn: Connection) -> None:
    """C4's negotiation said something else: the log rebuilt by sending the edited history."""
    rows = _log(conn, "C4")
    opening, *rest = [record_from_row(row) for row in rows]
    case = Case.reopen(opening)
    for record in rest:
        data = {**record.data, "message": "forged"} if record.seq == 2 else record.data
        case.send(record.event, actor=record.actor, at=record.at, data=data)
    _forge(conn, "C4", lambda replayed: None, case)


def delete_case(case_id: str) -> Callable[[Connection], None]:
    def edit(conn: Connection) -> None:
        for table in (event_table, refused_table, divergence_table, case_table):
            conn.execute(table.delete().where(table.c.case_id == case_id))

    return edit


def move_platform_id(conn: Connection) -> None:
    case_set("C3", platform_id=None)(conn)
    case_set("C2", platform_id="WX3")(conn)


def delete_case_row(conn: Connection) -> None:
    conn.execute(case_table.delete().where(_case.case_id == "C4"))


def rename_case(conn: Connection) -> None:
    conn.execute(case_table.update().where(_case.case_id == "C4").values(case_id="C9"))


def swap_events(conn: Connection) -> None:
    conn.execute(event_table.update().where(_event.case_id == "C4", _event.seq == 2).values(seq=99))
    conn.execute(event_table.update().where(_event.case_id == "C4", _event.seq == 3).values(seq=2))
    conn.execute(event_table.update().where(_event.case_id == "C4", _event.seq == 99).values(seq=3))


def move_event(conn: Connection) -> None:
    """C4's last event moved to C2 as its next one."""
    conn.execute(
        event_table.update()
        .where(_event.case_id == "C4", _event.seq == 3)
        .values(case_id="C2", seq=2)
    )


def _refusal(conn: Connection, case_id: str, code: str) -> None:
    conn.execute(
        refused_table.insert().values(
            case_id=case_id,
            event="reject",
            actor_role="merchant",
            actor_id="S1",
            at=at(4),
            code=code,
            state="requested",
            origin="local",
            data={},
        )
    )


def _first_refusal(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.min(_refused.id))).scalar_one())


def delete_refusal(conn: Connection) -> None:
    conn.execute(refused_table.delete().where(_refused.id == _first_refusal(conn)))


def alter_refusal(**values: Any) -> Callable[[Connection], None]:
    def edit(conn: Connection) -> None:
        conn.execute(
            refused_table.update().where(_refused.id == _first_refusal(conn)).values(values)
        )

    return edit


def swap_feed_positions(conn: Connection) -> None:
    query = sa.select(_event.case_id, _event.seq, _event.position).order_by(_event.position)
    (ca, sa_, pa), (cb, sb, pb) = conn.execute(query.limit(2)).all()
    first = sa.and_(_event.case_id == ca, _event.seq == sa_)
    conn.execute(event_table.update().where(first).values(position=-1))
    second = sa.and_(_event.case_id == cb, _event.seq == sb)
    conn.execute(event_table.update().where(second).values(position=pa))
    conn.execute(event_table.update().where(first).values(position=pb))


def delete_divergence(conn: Connection) -> None:
    conn.execute(divergence_table.delete())


def alter_divergence(conn: Connection) -> None:
    conn.execute(divergence_table.update().values(platform_status="OTHER"))


def orphan_divergence(conn: Connection) -> None:
    conn.execute(divergence_table.update().values(case_id="C404"))


def _commitment(conn: Connection) -> sa.Table:
    return metadata.tables[f"{case_table.name[: -len('case')]}commitment"]


def delete_commitment_row(conn: Connection) -> None:
    table = _commitment(conn)
    slot = conn.execute(sa.select(table.c.slot).where(table.c.acc != 0).limit(1)).scalar_one()
    conn.execute(table.delete().where(table.c.slot == slot))


def alter_commitment(conn: Connection) -> None:
    table = _commitment(conn)
    conn.execute(table.update().values(acc=12345))


# -- the list -----------------------------------------------------------------------------------

LINK = "a link to WeChat made after the opening: no log event records it"
KEYLESS = "recomputable by anyone without the key"
SNAP = "disposable: a missing or unknown snapshot is rebuilt from the log, which decides"
FEED_POS = (
    "given by the feed's reader after commit (PostgreSQL), outside every writer's transaction,"
    " so no writer can commit to it"
)
DIVERGENCE = (
    "a report of a disagreement with WeChat, written by `aftersales.wechat`; it changes no case"
    " and no metric"
)
NO_SEALS = "without a key no seal or commitment is kept"
REFUSED = "refusals change no case; without the key nothing commits to their set"


@dataclass(frozen=True)
class Tamper:
    """One kind of direct SQL edit, and what ``verify`` must say of it."""

    name: str
    what: str
    edit: Callable[[Connection], None]
    plain: bool
    """Detected without the key."""
    keyed: bool
    """Detected with the key."""
    why: str = ""
    """Why an edit goes unseen (without the key, or with it)."""
    keyed_only: bool = False
    """The edit touches what only a keyed store keeps."""


def col(name: str, case_id: str, value: Any, plain: bool = True, why: str = "") -> Tamper:
    return Tamper(
        f"case.{name}",
        f"case row: `{name}` changed",
        case_set(case_id, **{name: value}),
        plain,
        True,
        why,
    )


TAMPERS: tuple[Tamper, ...] = (
    col("order_id", "C2", "O-other"),
    col("shop_id", "C2", "S9"),
    col("buyer_id", "C2", "B9"),
    col("sku_id", "C2", "SKU9"),
    col("count", "C2", 3),
    col("type", "C2", "return"),
    col("category", "C2", "fresh"),
    col("seven_day_return", "C2", "none"),
    col("paid_amount", "C2", 1),
    col("requested_amount", "C2", 1),
    col("buyer_reason", "C2", "quality"),
    col("shipped", "C2", False),
    col("received", "C2", True),
    col("used", "C2", True),
    col("opened_at", "C2", at(-24)),
    col("policy", "C2", {"merchant_response": "P30D"}),
    col("workflow_version", "C2", 1),
    col("state", "C2", "refunding"),
    col("final", "C2", True),
    col("version", "C2", 7),
    col("due_at", "C2", at(0, days=30)),
    col("timer_kind", "C2", "buyer_return"),
    Tamper(
        "case.due_at-cleared",
        "case row: running timer removed",
        case_set("C2", due_at=None, timer_kind=None),
        True,
        True,
    ),
    Tamper(
        "case.timer_error",
        "case row: a healthy case parked (`timer_error` set)",
        case_set("C2", timer_error="ValueError: parked by hand"),
        True,
        True,
    ),
    col("last_at", "C2", at(9)),
    col("liability", "C1", "buyer"),
    col("refund_amount", "C1", 1),
    col("applications", "C1", 5),
    col("resolution_seconds", "C1", 999_999_999),
    col("digest", "C1", "0" * 64),
    Tamper(
        "case.snapshot",
        "case row: snapshot content changed",
        _set(case_table, _case.case_id == "C2", snapshot={"state": "refunding"}),
        True,
        True,
    ),
    Tamper(
        "case.snapshot-cleared",
        "case row: snapshot removed",
        case_set("C2", snapshot=None),
        False,
        False,
        SNAP,
    ),
    Tamper(
        "case.snapshot_version",
        "case row: unknown snapshot version",
        case_set("C2", snapshot_version=99),
        False,
        False,
        SNAP,
    ),
    col("platform_id", "C3", "WX9", plain=False, why=LINK),
    Tamper(
        "case.platform_id-moved",
        "case row: WeChat's id moved to another case",
        move_platform_id,
        False,
        True,
        LINK,
    ),
    col("complaint_id", "C3", "CMP9", plain=False, why=LINK),
    Tamper(
        "case.complaint_id-cleared",
        "case row: the dispute link removed",
        case_set("C3", complaint_id=None),
        False,
        True,
        LINK,
    ),
    Tamper(
        "case.case_id", "case row renamed (its log left under the old id)", rename_case, True, True
    ),
    Tamper(
        "case.seal",
        "case row: seal changed",
        case_set("C2", seal="0" * 64),
        False,
        True,
        NO_SEALS,
        keyed_only=True,
    ),
    Tamper(
        "case.link_seal",
        "case row: link seal changed",
        case_set("C3", link_seal="0" * 64),
        False,
        True,
        NO_SEALS,
        keyed_only=True,
    ),
    Tamper(
        "case.unseal",
        "case row: both seals removed, the log cut short and the row rewritten",
        unseal_and_truncate,
        False,
        True,
        NO_SEALS,
        keyed_only=True,
    ),
    Tamper(
        "event.delete-middle",
        "log: a middle event deleted",
        lambda c: c.execute(event_table.delete().where(_event.case_id == "C1", _event.seq == 2)),
        True,
        True,
    ),
    Tamper(
        "event.delete-last",
        "log: the last event deleted, the row left",
        delete_last_event_leave_row,
        True,
        True,
    ),
    Tamper(
        "event.truncate",
        "log: the last event deleted and the row rewritten from a replay of the rest",
        truncate,
        False,
        True,
        KEYLESS,
    ),
    Tamper(
        "event.append-forged",
        "log: an event the rules accept appended with the plain chain, the row rewritten",
        append_forged_event,
        False,
        True,
        KEYLESS,
    ),
    Tamper(
        "event.rewrite-forged",
        "log: an event rewritten and the plain chain and row recomputed",
        rewrite_forged_history,
        False,
        True,
        KEYLESS,
    ),
    Tamper("event.reorder", "log: two events swap places", swap_events, True, True),
    Tamper("event.move", "log: an event moved to another case", move_event, True, True),
    Tamper(
        "event.data",
        "log: an event's data changed",
        event_set(
            "C4",
            2,
            data={"negotiation_type": "invite_cancel", "reason": "agreed_cancel", "message": "x"},
        ),
        True,
        True,
    ),
    Tamper("event.at", "log: an event's time changed", event_set("C1", 2, at=at(1.5)), True, True),
    Tamper(
        "event.actor",
        "log: an event's actor changed",
        event_set("C1", 2, actor_id="S9"),
        True,
        True,
    ),
    Tamper(
        "event.origin",
        "log: an event's origin changed",
        event_set("C1", 2, origin="platform"),
        True,
        True,
    ),
    Tamper(
        "event.command_id",
        "log: an event's command id changed",
        event_set("C1", 2, command_id="c-9"),
        True,
        True,
    ),
    Tamper("event.note", "log: an event's note changed", event_set("C1", 1, note={}), True, True),
    Tamper(
        "event.state_after",
        "log: an event's state changed",
        event_set("C1", 2, state_after="refunded"),
        True,
        True,
    ),
    Tamper(
        "event.digest",
        "log: an event's digest changed",
        event_set("C1", 3, digest="0" * 64),
        True,
        True,
    ),
    Tamper(
        "event.insert-foreign",
        "log: events of a case with no row",
        lambda c: c.execute(
            event_table.insert().values(
                **{**_log(c, "C4")[0]._mapping, "case_id": "C8", "position": None}
            )
        ),
        True,
        True,
    ),
    Tamper(
        "case.delete",
        "a whole case deleted: row, log, feed, refusals",
        delete_case("C2"),
        False,
        True,
        KEYLESS,
    ),
    Tamper("case.delete-row", "a case row deleted, its log left", delete_case_row, True, True),
    Tamper("refused.delete", "a refusal deleted", delete_refusal, False, True, REFUSED),
    Tamper(
        "refused.code",
        "a refusal's code changed",
        alter_refusal(code="negotiation_required"),
        False,
        True,
        REFUSED,
    ),
    Tamper(
        "refused.case_id",
        "a refusal moved to another case",
        alter_refusal(case_id="C1"),
        False,
        True,
        REFUSED,
    ),
    Tamper(
        "refused.insert",
        "a refusal added",
        lambda c: _refusal(c, "C4", "negotiation_required"),
        False,
        True,
        REFUSED,
    ),
    Tamper(
        "refused.orphan",
        "a refusal of a case that does not exist",
        lambda c: _refusal(c, "C404", "invalid_input"),
        True,
        True,
    ),
    Tamper(
        "feed.position", "feed: two positions swapped", swap_feed_positions, False, False, FEED_POS
    ),
    Tamper(
        "divergence.delete", "a divergence deleted", delete_divergence, False, False, DIVERGENCE
    ),
    Tamper(
        "divergence.status",
        "a divergence's status changed",
        alter_divergence,
        False,
        False,
        DIVERGENCE,
    ),
    Tamper(
        "divergence.orphan",
        "a divergence of a case that does not exist",
        orphan_divergence,
        True,
        True,
    ),
    Tamper(
        "commitment.delete",
        "a store commitment row deleted",
        delete_commitment_row,
        False,
        True,
        NO_SEALS,
        keyed_only=True,
    ),
    Tamper(
        "commitment.acc",
        "a store commitment changed",
        alter_commitment,
        False,
        True,
        NO_SEALS,
        keyed_only=True,
    ),
)


def test_every_tamper_has_a_name_of_its_own_and_a_reason_when_unseen():
    names = [t.name for t in TAMPERS]
    assert len(names) == len(set(names)) and len(names) >= 42
    for tamper in TAMPERS:
        assert tamper.why or (tamper.plain and tamper.keyed), tamper.name


Snapshot = dict[str, list[dict[str, Any]]]


def _dump(store: CaseStore) -> Snapshot:
    with store.engine.connect() as conn:
        return {
            table.name: [dict(row._mapping) for row in conn.execute(sa.select(table))]
            for table in metadata.sorted_tables
        }


def _restore(store: CaseStore, snapshot: Snapshot) -> None:
    with store.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
        for table in metadata.sorted_tables:
            if snapshot[table.name]:
                conn.execute(table.insert(), snapshot[table.name])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def populated(request, tmp_path_factory) -> tuple[str, dict[bool, Snapshot]]:
    """A database on each backend, and the populated store with and without the key, as rows
    to put back before each edit (populating anew each time is slow on PostgreSQL)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('tampering') / 'cases.db'}"
    else:
        url = fresh_pg(pg_url_or_skip())
    snapshots = {}
    for keyed in (False, True):
        store = CaseStore(url, secret=SECRET if keyed else None)
        if not keyed:
            store.create_schema()
        else:
            _restore(store, {table.name: [] for table in metadata.sorted_tables})
        populate(store)
        assert verify(store).ok, verify(store).divergences
        snapshots[keyed] = _dump(store)
        store.engine.dispose()
    return url, snapshots


def _detected(
    populated: tuple[str, dict[bool, Snapshot]], tamper: Tamper, keyed: bool
) -> tuple[bool, list[str]]:
    url, snapshots = populated
    store = CaseStore(url, secret=SECRET if keyed else None)
    _restore(store, snapshots[keyed])
    if tamper.name == "case.rollback":
        _roll_back(store)
    else:
        with store.engine.begin() as conn:
            tamper.edit(conn)
    report = verify(CaseStore(store.engine, secret=SECRET if keyed else None))
    store.engine.dispose()
    return (not report.ok), [str(d) for d in report.divergences]


@pytest.mark.parametrize("keyed", [False, True], ids=["plain", "keyed"])
@pytest.mark.parametrize("tamper", TAMPERS, ids=lambda t: t.name)
def test_tamper(populated, tamper, keyed):
    if tamper.keyed_only and not keyed:
        pytest.skip("only a keyed store keeps it")
    detected, found = _detected(populated, tamper, keyed)
    expected = tamper.keyed if keyed else tamper.plain
    assert detected == expected, found


def _roll_back(store: CaseStore) -> None:
    """The row as it was before C1's last event, put back over the log truncated to match."""
    with store.engine.begin() as conn:
        saved = dict(
            conn.execute(sa.select(case_table).where(_case.case_id == "C4")).one()._mapping
        )
    store.send("C4", "negotiate", actor=MERCHANT, at=at(3), data=_invite())
    with store.engine.begin() as conn:
        _delete_events(conn, "C4", 3)
        conn.execute(case_table.update().where(_case.case_id == "C4").values(**saved))


ROLLBACK = Tamper(
    "case.rollback",
    "a case put back as it was: an old copy of its row (seal included) over its log truncated",
    lambda conn: None,  # done by _roll_back: it needs a write through the store
    False,
    True,
    KEYLESS,
)


@pytest.mark.parametrize("keyed", [False, True], ids=["plain", "keyed"])
def test_rollback_of_one_case(populated, keyed):
    detected, found = _detected(populated, ROLLBACK, keyed)
    assert detected == (ROLLBACK.keyed if keyed else ROLLBACK.plain), found


# -- the docs table -----------------------------------------------------------------------------


def docs_table() -> str:
    """The table of ``docs/concepts/integrity.md``: every edit, and whether verify sees it."""

    def mark(seen: bool, applies: bool = True) -> str:
        return "n/a" if not applies else ("detected" if seen else "**not detected**")

    lines = ["| edit | without the key | with the key | why not detected |", "|---|---|---|---|"]
    for t in (*TAMPERS, ROLLBACK):
        lines.append(
            f"| {t.what} (`{t.name}`) | {mark(t.plain, not t.keyed_only)} | {mark(t.keyed)} "
            f"| {t.why if not (t.plain and t.keyed) and not t.keyed_only else ''} |"
        )
    plain = sum(t.plain for t in (*TAMPERS, ROLLBACK) if not t.keyed_only)
    keyed = sum(t.keyed for t in (*TAMPERS, ROLLBACK))
    total = len(TAMPERS) + 1
    lines.append("")
    lines.append(
        f"{total} kinds of edit: {keyed} detected with the key; without it {plain} of the "
        f"{total - sum(t.keyed_only for t in TAMPERS)} that apply."
    )
    return "\n".join(lines)


def test_docs_table_is_the_battery():
    def between(text: str) -> tuple[int, int]:
        return text.index(BEGIN) + len(BEGIN), text.index(END)

    text = DOC.read_text(encoding="utf-8")
    start, end = between(text)
    table = f"\n{docs_table()}\n"
    if text[start:end] != table and os.environ.get("AFTERSALES_WRITE_DOCS") == "1":
        DOC.write_text(text[:start] + table + text[end:], encoding="utf-8")
        text = DOC.read_text(encoding="utf-8")
        start, end = between(text)
    assert text[start:end] == table, "regenerate: AFTERSALES_WRITE_DOCS=1 pytest -k docs_table"
