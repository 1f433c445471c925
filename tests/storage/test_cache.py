"""The verified case cache: a command on a cached case skips reading its row, and a stale entry
never decides anything (two stores on one database, a sweeper, an expected version, a caller's
session), on both backends."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from aftersales import Actor, Conflict, InvalidInput, TransitionNotAllowed
from aftersales.storage import CaseStore
from aftersales.storage.verify import verify
from tests.support import BUYER, MERCHANT, at, facts


def _statements(store: CaseStore) -> list[str]:
    seen: list[str] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def _statement(_conn, _cursor, statement, _params, _context, _many) -> None:
        seen.append(statement)

    return seen


@pytest.fixture
def pair(db_url):
    """Two stores on one database, each with its own cache."""
    first = CaseStore(db_url)
    first.create_schema()
    second = CaseStore(db_url)
    yield first, second
    first.engine.dispose()
    second.engine.dispose()


def test_a_command_on_a_cached_case_skips_the_select_and_checks_version_and_digest(store):
    store.open_case(facts(type="return_refund"))
    seen = _statements(store)
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    store.send("C1", "ship_return", actor=BUYER, at=at(2), data={"tracking": "SF1"})
    assert not [s for s in seen if s.lstrip().startswith("SELECT")]
    [update, *_] = [s for s in seen if s.startswith("UPDATE")]
    where = update.split(" WHERE ")[1].replace(" ", "")
    assert "version=" in where and "digest=" in where
    assert store.get("C1").state == "awaiting_receipt" and verify(store).ok


def test_a_stale_entry_is_written_nowhere_and_the_command_decided_on_the_row(pair):
    first, second = pair
    first.open_case(facts())  # cached by the first store, in state requested
    second.send("C1", "agree", actor=MERCHANT, at=at(1))  # refunding, behind its back
    with pytest.raises(TransitionNotAllowed):  # allowed in requested, not in refunding
        first.send("C1", "withdraw", actor=BUYER, at=at(2))
    assert [e.event for e in first.history("C1")] == ["open", "agree"]
    assert [r.event for r in first.refusals("C1")] == ["withdraw"]
    assert verify(first).ok


def test_a_command_the_stale_entry_refuses_is_decided_again_on_the_row(pair):
    first, second = pair
    first.open_case(facts())  # cached in state requested, where refunds do not succeed
    second.send("C1", "agree", actor=MERCHANT, at=at(1))
    first.send("C1", "refund_succeeded", actor=Actor.system(), at=at(2))
    assert first.get("C1").state == "refunded"
    assert first.refusals("C1") == []  # nothing refused was kept


def test_timers_fired_by_another_store_are_seen(pair):
    first, second = pair
    first.open_case(facts(type="return_refund"))
    first.send("C1", "agree", actor=MERCHANT, at=at(1))  # cached: awaiting the return
    [lapsed] = second.fire_due_timers(at(1, days=8))
    assert lapsed.state_after == "return_lapsed"
    with pytest.raises(TransitionNotAllowed):
        first.send("C1", "ship_return", actor=BUYER, at=at(1, days=9), data={"tracking": "SF1"})
    assert first.get("C1").state == "return_lapsed"


def test_expected_version_is_checked_against_the_row_not_the_entry(pair):
    first, second = pair
    first.open_case(facts(type="return_refund"))  # cached at version 1
    second.send("C1", "agree", actor=MERCHANT, at=at(1))  # version 2
    first.send(
        "C1",
        "ship_return",
        actor=BUYER,
        at=at(2),
        data={"tracking": "SF1"},
        expected_version=2,  # bypasses the entry at version 1
    )
    with pytest.raises(Conflict):
        first.send("C1", "withdraw", actor=BUYER, at=at(3), expected_version=2)
    assert [e.seq for e in first.history("C1")] == [1, 2, 3]


def test_a_callers_session_never_uses_nor_fills_the_cache(store):
    store.open_case(facts())
    assert len(store.cache) == 1
    with Session(store.engine) as session:
        store.send("C1", "agree", actor=MERCHANT, at=at(1), session=session)
        assert len(store.cache) == 0
        session.rollback()  # the case stays as it was
    store.send("C1", "withdraw", actor=BUYER, at=at(2))
    assert store.get("C1").state == "cancelled"


def test_a_digest_head_changed_behind_the_stores_back_is_a_fresh_load(store):
    store.open_case(facts())
    with store.engine.begin() as conn:  # same version, another digest head than the entry's
        conn.execute(sa.text("UPDATE aftersales_case SET digest = 'x' WHERE case_id = 'C1'"))
    seen = _statements(store)
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    kinds = [s.split()[0] for s in seen if s.split()[0] in ("SELECT", "UPDATE")]
    assert kinds[:3] == ["UPDATE", "SELECT", "UPDATE"]  # the entry's write changed nothing
    assert not verify(store).ok  # the row's head was tampered with; the log says so


def test_the_cache_is_bounded(db_url):
    store = CaseStore(db_url, cache_size=2)
    store.create_schema()
    for n in range(3):
        store.open_case(facts(case_id=f"C{n}", order_id=f"O{n}"))
    assert len(store.cache) == 2 and store.cache.get("C0") is None
    off = CaseStore(store.engine, cache_size=0)
    off.send("C0", "agree", actor=MERCHANT, at=at(1))
    assert len(off.cache) == 0
    with pytest.raises(InvalidInput) as info:
        CaseStore(store.engine, cache_size=-1)
    assert info.value.field == "cache_size"
    store.engine.dispose()
