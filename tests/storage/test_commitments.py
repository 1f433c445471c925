"""Keyed commitments: kept only with a secret, in the same transaction as every write (opening,
commands, refusals, sweeps, parking, links), consistent under writers side by side, and
"no commitment" said plainly for a case written before the store had its secret."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from aftersales import AftersalesError
from aftersales.storage import CaseStore
from aftersales.storage.commitments import SLOTS
from aftersales.storage.tables import case_table, commitment_table
from aftersales.storage.verify import NO_COMMITMENT, verify
from aftersales.workflow.case import Case
from tests.support import BUYER, MERCHANT, T0, at, facts

SECRET = b"the shop's secret"


def keyed(db_url: str) -> CaseStore:
    store = CaseStore(db_url, secret=SECRET)
    store.create_schema()
    return store


def slots(store: CaseStore) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(commitment_table)).scalar_one()


def test_without_a_secret_nothing_is_sealed_or_committed(store):
    store.open_case(facts())
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    with store.engine.connect() as conn:
        seals = conn.execute(sa.select(case_table.c.seal, case_table.c.link_seal)).one()
    assert tuple(seals) == (None, None) and slots(store) == 0
    assert verify(store).ok


def test_every_write_with_a_secret_keeps_verify_whole(db_url, monkeypatch):
    store = keyed(db_url)
    store.open_case(facts(case_id="C1", platform_id="WX1"))
    assert slots(store) == SLOTS
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    store.open_case(facts(case_id="C2"))
    with pytest.raises(AftersalesError):
        store.send("C2", "accept", actor=BUYER, at=at(1), data={"note": 1e300, "z": -0.0})
    store.link_platform_id("C2", "WX2")
    store.link_complaint("C2", "CMP2")
    store.open_case(facts(case_id="C3"))
    store.fire_due_timers(at(0, days=3))  # a sweep: C2 and C3 expire
    assert verify(store).ok, verify(store).divergences
    # A case whose expiry fails is parked: its seal covers the error, and verify explains it.
    store.open_case(facts(case_id="C4", opened_at=at(2)))
    real = Case.fire_due_timers

    def failing(self, now):
        if self.case_id == "C4":
            raise RuntimeError("a bug")
        return real(self, now)

    monkeypatch.setattr(Case, "fire_due_timers", failing)
    store.fire_due_timers(at(0, days=4))
    [parked] = store.parked_timers()
    assert parked.case_id == "C4"
    assert verify(store).ok, verify(store).divergences
    monkeypatch.undo()
    found = [str(d) for d in verify(store).divergences]
    assert found == [
        "C4 case row: timer_error is 'RuntimeError: a bug', but the timer fires: the park is not "
        "explained (if its cause was mended, unpark it)"
    ]
    assert store.unpark_timer("C4")
    assert verify(store).ok


def test_a_secret_added_later_says_no_commitment_once_per_earlier_case(db_url):
    plain = CaseStore(db_url)
    plain.create_schema()
    plain.open_case(facts(case_id="OLD"))
    store = CaseStore(db_url, secret=SECRET)
    store.open_case(facts(case_id="NEW"))
    report = verify(store)
    assert [(d.case_id, d.problem) for d in report.divergences] == [("OLD", NO_COMMITMENT)]


def test_a_store_with_no_commitment_at_all_says_so(db_url):
    plain = CaseStore(db_url)
    plain.create_schema()
    plain.open_case(facts())
    problems = [str(d) for d in verify(CaseStore(db_url, secret=SECRET)).divergences]
    assert problems[0] == f"C1 case row: {NO_COMMITMENT}"
    assert problems[1].startswith("store: no commitment")


def test_a_store_written_while_it_is_verified_is_noted_not_failed(db_url):
    store = keyed(db_url)
    for n in range(3):
        store.open_case(facts(case_id=f"C{n}"))
    writer = CaseStore(db_url, secret=SECRET)
    written: list[str] = []

    def write_meanwhile(_: int) -> None:
        written.append(f"W{len(written)}")
        writer.open_case(facts(case_id=written[-1]))

    report = verify(store, batch=1, progress=write_meanwhile)
    assert report.ok and report.notes and "written to while it was verified" in report.notes[0]
    assert verify(store).ok and not verify(store).notes


def test_keyed_writers_side_by_side_keep_the_store_commitment(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time")
    store = keyed(db_url)
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        mine = CaseStore(db_url, secret=SECRET)
        try:
            for n in range(15):
                case_id = f"W{worker}-{n}"
                mine.open_case(facts(case_id=case_id, opened_at=T0 + timedelta(seconds=n)))
                mine.send(case_id, "agree", actor=MERCHANT, at=at(1))
                with pytest.raises(AftersalesError):
                    mine.send(case_id, "agree", actor=BUYER, at=at(1))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            mine.engine.dispose()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    report = verify(store)
    assert report.checked == 60 and report.ok and not report.notes, report.divergences
