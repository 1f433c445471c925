"""Many writers: real threads and processes on one case, and sweepers side by side."""

from __future__ import annotations

import multiprocessing as mp
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from aftersales import AftersalesError, Conflict
from aftersales.storage import CaseStore, make_engine
from aftersales.storage.feed import FEED_LOCK, PLACE_FEED
from aftersales.storage.tables import case_table
from aftersales.storage.verify import verify
from tests.support import BUYER, MERCHANT, PLATFORM, T0, at, ev, facts


def seqs(store: CaseStore, case_id: str) -> list[int]:
    return [record.seq for record in store.history(case_id)]


def test_two_writers_on_one_version_exactly_one_wins(store):
    store.open_case(facts())
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def writer(event: str, actor) -> None:
        barrier.wait()
        try:
            store.send("C1", event, actor=actor, at=at(1), expected_version=1)
            outcomes.append("won")
        except Conflict:
            outcomes.append("conflict")

    threads = [
        threading.Thread(target=writer, args=("agree", MERCHANT)),
        threading.Thread(target=writer, args=("withdraw", BUYER)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "won"]
    assert seqs(store, "C1") == [1, 2]


def _hammer(url: str, worker: int, rounds: int) -> tuple[int, int]:
    """Send ``rounds`` evidence submissions, retrying lost races; return (sent, conflicts)."""
    store = CaseStore(url, retries=0)
    sent = conflicts = 0
    for n in range(rounds):
        while True:
            try:
                store.send(
                    "C1",
                    "submit_evidence",
                    actor=MERCHANT,
                    at=at(2),
                    data={"evidence": [ev("image", f"w{worker}-{n}")]},
                )
                sent += 1
                break
            except Conflict:
                conflicts += 1
    store.engine.dispose()
    return sent, conflicts


def _under_intervention(store: CaseStore) -> None:
    store.open_case(facts())
    store.send("C1", "intervene", actor=PLATFORM, at=at(1), data={"message": "auto"})


def test_threads_lose_and_duplicate_nothing(store, db_url):
    _under_intervention(store)
    results: list[tuple[int, int]] = []
    threads = [
        threading.Thread(target=lambda w=w: results.append(_hammer(db_url, w, 15)))
        for w in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(sent for sent, _ in results) == 60
    assert seqs(store, "C1") == list(range(1, 63))
    refs = {e["ref"] for r in store.history("C1")[2:] for e in r.data["evidence"]}
    assert len(refs) == 60
    assert verify(store).ok


def test_processes_lose_and_duplicate_nothing(store, db_url):
    _under_intervention(store)
    with mp.get_context("spawn").Pool(4) as pool:
        results = pool.starmap(_hammer, [(db_url, w, 10) for w in range(4)])
    assert sum(sent for sent, _ in results) == 40
    assert seqs(store, "C1") == list(range(1, 43))
    assert verify(store).ok


def _sweep(url: str, now_iso: str) -> int:
    store = CaseStore(url, retries=0)
    fired = 0
    while True:
        try:
            batch = store.fire_due_timers(now_iso, batch=50)
        except AftersalesError:
            continue
        if not batch:
            break
        fired += len(batch)
    store.engine.dispose()
    return fired


def test_parallel_sweepers_fire_each_timer_once(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers: one sweeper at a time is its contract")
    store = CaseStore(db_url)
    store.create_schema()
    cases = 2000
    for n in range(cases):
        store.open_case(facts(case_id=f"K{n}", opened_at=T0 + timedelta(seconds=n)))
    now = (at(0, days=3)).isoformat()
    with mp.get_context("spawn").Pool(4) as pool:
        fired = pool.starmap(_sweep, [(db_url, now)] * 4)
    # Each merchant-response timer fired exactly once: one expire event per case.
    assert sum(fired) == cases
    with store.engine.connect() as conn:
        states = conn.execute(
            sa.select(case_table.c.state, sa.func.count()).group_by(case_table.c.state)
        ).all()
    assert dict(states) == {"refunding": cases}
    assert all(len(store.history(f"K{n}")) == 2 for n in range(0, cases, 97))
    store.engine.dispose()


def test_feed_readers_never_see_an_event_appear_behind_their_cursor(store, db_url):
    """A writer that inserted its feed row first may commit last. A reader that already read
    past the later writer's event must still get the earlier one: positions are given in the
    order events become visible."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite's one writer commits in the order it inserts: nothing to reorder")
    for case_id in ("C1", "C2"):
        store.open_case(facts(case_id=case_id))
    cursor = store.events_since(0)[-1].position
    slow = Session(store.engine)
    store.send("C1", "agree", actor=MERCHANT, at=at(1), session=slow)  # feed row first, open
    store.send("C2", "agree", actor=MERCHANT, at=at(1))  # feed row second, committed
    seen = store.events_since(cursor)
    assert [(i.case_id, i.event.event) for i in seen] == [("C2", "agree")]
    slow.commit()
    slow.close()
    later = store.events_since(seen[-1].position)
    assert [(i.case_id, i.event.event) for i in later] == [("C1", "agree")]
    assert store.events_since(cursor) == seen + later


def test_feed_keeps_each_case_in_order_under_parallel_writers(store):
    """Four writers and a reader side by side: every event read once, each case in order."""
    cases = [f"C{n}" for n in range(4)]
    for case_id in cases:
        store.open_case(facts(case_id=case_id))
    read = store.events_since(0)
    invite = {"negotiation_type": "invite_cancel", "reason": "agreed_cancel"}
    barrier = threading.Barrier(len(cases))

    def writer(case_id: str) -> None:
        barrier.wait()
        for hours in range(1, 6):
            if hours % 2:
                store.send(
                    case_id,
                    "negotiate",
                    actor=MERCHANT,
                    at=at(hours),
                    data={**invite, "evidence": [ev("image")]},
                )
            else:
                store.send(case_id, "decline", actor=BUYER, at=at(hours))

    threads = [threading.Thread(target=writer, args=(case_id,)) for case_id in cases]
    for t in threads:
        t.start()
    while True:
        writing = any(t.is_alive() for t in threads)
        batch = store.events_since(read[-1].position, limit=3)
        read.extend(batch)
        if not writing and not batch:
            break
    for t in threads:
        t.join()
    assert len({(i.case_id, i.event.seq) for i in read}) == len(read)
    for case_id in cases:
        assert [i.event.seq for i in read if i.case_id == case_id] == [1, 2, 3, 4, 5, 6]


def test_feed_placing_sees_the_previous_readers_positions_under_repeatable_read(db_url):
    """A reader waiting for the placing lock must not place from a snapshot taken before the
    reader ahead of it committed, even on an engine whose default is REPEATABLE READ."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite places feed rows on insert: no readers place")
    store = CaseStore(make_engine(db_url, isolation_level="REPEATABLE READ"))
    store.create_schema()
    for case_id in ("C1", "C2"):
        store.open_case(facts(case_id=case_id))
    ahead = store.engine.connect()
    ahead_tx = ahead.begin()
    ahead.execute(sa.select(sa.func.pg_advisory_xact_lock(FEED_LOCK)))
    ahead.execute(PLACE_FEED)
    results: list = []

    def read() -> None:
        try:
            results.append(store.events_since(0))
        except Exception as exc:  # reported below, from the test's own thread
            results.append(exc)

    waiting = threading.Thread(target=read)
    waiting.start()
    with store.engine.connect() as probe:  # until the reader waits for the lock
        query = sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        while not probe.execute(query).scalar():
            probe.rollback()
    ahead_tx.commit()
    ahead.close()
    waiting.join(timeout=30)
    [items] = results
    assert not isinstance(items, Exception), items
    assert [(i.position, i.case_id) for i in items] == [(1, "C1"), (2, "C2")]
    store.engine.dispose()
