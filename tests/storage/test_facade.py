"""`CaseStore` is the way into storage: what used to need the engine (migrations, emptying a
test database, verification inside a caller's transaction, WeChat's links) is a store call, on
every backend."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from aftersales import Conflict, NotFound
from aftersales.metrics import Period
from aftersales.storage import CaseStore, Schema
from tests.support import at, facts


def test_the_schema_object_migrates_counts_and_empties(db_url):
    store = CaseStore(db_url)
    assert store.schema.current() is None and store.schema.cases_held() == 0  # no tables yet
    assert store.schema.upgrade() == Schema.head() == store.schema.current()
    store.open_case(facts())
    assert store.schema.cases_held() == 1
    store.schema.empty()
    assert store.schema.cases_held() == 0 and store.count_cases() == 0
    assert store.schema.shown_url().startswith(("sqlite", "postgresql"))
    store.dispose()


def test_verify_reads_inside_the_callers_transaction(store):
    with Session(store.engine) as session, session.begin():
        store.open_case(facts(), session=session)
        assert store.verify(session=session).checked == 1  # sees the uncommitted case
        session.rollback()
    assert store.verify().checked == 0


def test_links_and_divergences_through_the_store(store):
    store.open_case(facts())
    assert store.linked_case("WX-1") is None
    with pytest.raises(NotFound):
        store.case_for_platform_id("WX-1")
    store.link_platform_id("C1", "WX-1")
    assert store.linked_case("WX-1") == store.case_for_platform_id("WX-1") == "C1"
    store.open_case(facts(case_id="C2"))
    with pytest.raises(Conflict):
        store.link_platform_id("C2", "WX-1")
    assert store.complaint_id("C1") is None
    store.link_complaint("C1", "CP-1")
    assert store.complaint_id("C1") == "CP-1"
    kept = {
        "key": "k1",
        "platform_id": "WX-1",
        "status": "MERCHANT_PROCESSING",
        "case_id": "C1",
        "our_state": "requested",
        "reason": "why",
        "at": at(1),
    }
    assert store.record_divergence(**kept) is True
    assert store.record_divergence(**kept) is False  # once per message
    [divergence] = store.divergences("C1")
    assert (divergence.platform_status, divergence.reason) == ("MERCHANT_PROCESSING", "why")
    assert store.divergences("C2") == []


def test_a_unit_of_work_commits_or_rolls_back_everything(store):
    with store.unit_of_work() as session:
        store.open_case(facts(), session=session)
        store.link_platform_id("C1", "WX-1", session=session)
    assert store.linked_case("WX-1") == "C1"
    with pytest.raises(RuntimeError), store.unit_of_work() as session:
        store.open_case(facts(case_id="C2"), session=session)
        raise RuntimeError
    assert store.count_cases() == 1
    with store.unit_of_work() as session:
        with pytest.raises(Conflict), store.savepoint(session):
            store.link_complaint("C1", "CP-1", session=session)
            raise Conflict("x", "x", "x")
        assert store.complaint_id("C1", session=session) is None  # the savepoint was undone


def test_the_divergences_of_a_period_are_those_of_its_cases(store):
    store.open_case(facts())
    common = {"platform_id": "WX", "status": "S", "our_state": None, "reason": "r", "at": at(1)}
    store.record_divergence(key="linked", case_id="C1", **common)
    store.record_divergence(key="unlinked", case_id=None, **common)
    assert [d.case_id for d in store.divergences(period=Period())] == ["C1", None]
    assert [d.case_id for d in store.divergences(period=Period(shop="S1"))] == ["C1"]
    assert store.divergences(period=Period(shop="S2")) == []
    assert store.divergences(period=Period(since=at(1))) == []  # C1 opened before
