"""A refusal inside the host's transaction: written there (kept if the host commits), and
carried by the error, so that one call keeps it after the host rolled back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from aftersales import AftersalesError, open_case
from aftersales.storage import CaseStore, Refusal
from tests.support import BUYER, MERCHANT, at, facts


def refuse_in_session(store: CaseStore, commit: bool) -> AftersalesError:
    """The host's transaction: a refused command, then a commit or a rollback."""
    with Session(store.engine) as session:
        session.begin()
        with pytest.raises(AftersalesError) as info:
            store.send("C1", "reject", actor=BUYER, at=at(1), data={"x": 1}, session=session)
        if commit:
            session.commit()
        else:
            session.rollback()
    return info.value


def test_a_refusal_rolled_back_with_the_host_is_kept_by_one_call(store):
    store.open_case(facts())
    error = refuse_in_session(store, commit=False)
    assert store.refusals() == []  # the host's rollback took it
    assert isinstance(error.refusal, Refusal) and error.refusal.code == error.code
    assert store.keep_refusal_of(error) is True
    [kept] = store.refusals()
    assert (kept.case_id, kept.event, kept.actor, kept.code, kept.data) == (
        "C1",
        "reject",
        BUYER,
        error.code,
        {"x": 1},
    )
    assert kept.at == at(1) and kept.state == "requested"
    assert store.keep_refusal_of(error) is False  # once only
    assert len(store.refusals()) == 1


def test_a_refusal_the_host_commits_is_kept_once(store):
    store.open_case(facts())
    error = refuse_in_session(store, commit=True)
    assert len(store.refusals()) == 1
    assert store.keep_refusal_of(error) is False
    assert len(store.refusals()) == 1


def test_a_refusal_in_the_stores_own_transaction_is_kept_already(store):
    store.open_case(facts())
    with pytest.raises(AftersalesError) as info:
        store.send("C1", "reject", actor=BUYER, at=at(1))
    assert store.keep_refusal_of(info.value) is False
    assert [r.id for r in store.refusals()] == [info.value.refusal.id]


def test_another_refusal_under_a_rolled_back_id_is_not_taken_for_it(store):
    # SQLite gives a rolled-back row's id to the next row: the content decides.
    store.open_case(facts())
    error = refuse_in_session(store, commit=False)
    with pytest.raises(AftersalesError):
        store.send("C1", "confirm_receipt", actor=MERCHANT, at=at(2))
    assert store.keep_refusal_of(error) is True
    assert [r.event for r in store.refusals()] == ["confirm_receipt", "reject"]


def test_an_error_the_store_did_not_refuse_carries_nothing_to_keep(store):
    case = open_case(facts())
    with pytest.raises(AftersalesError) as info:
        case.send("reject", actor=BUYER, at=at(1))
    assert info.value.refusal is None
    with pytest.raises(AftersalesError) as again:
        store.keep_refusal_of(info.value)
    assert (again.value.code, again.value.field) == ("invalid_input", "error")


def test_a_naive_clock_is_refused_when_the_store_is_made(db_url):
    with pytest.raises(AftersalesError) as info:
        CaseStore(db_url, clock=datetime.now)
    assert (info.value.code, info.value.field) == ("invalid_input", "clock")
    assert CaseStore(db_url, clock=lambda: datetime.now(UTC)).clock().tzinfo is not None
