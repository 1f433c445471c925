"""The store contract, run on every backend."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from aftersales import Actor, Conflict, NotFound, TransitionNotAllowed
from aftersales.storage import CaseStore
from aftersales.storage.engine import raw_transaction
from aftersales.storage.tables import case_table, event_table, feed_table, timer_table
from aftersales.storage.verify import verify_all, verify_case
from aftersales.storage.writes import Loaded, append_batch
from tests.support import BUYER, MERCHANT, PLATFORM, at, ev, facts


def count(store: CaseStore, table: sa.Table) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def negotiate(store: CaseStore, case_id: str = "C1", hours: float = 1, **extra):
    return store.send(
        case_id,
        "negotiate",
        actor=MERCHANT,
        at=at(hours),
        negotiation_type="invite_cancel",
        reason="agreed_cancel",
        evidence=[ev("chat_record")],
        **extra,
    )


def test_open_send_read_back(store):
    store.open_case(facts())
    record = negotiate(store)
    assert (record.seq, record.state_after) == (2, "negotiating")
    case = store.get("C1")
    assert case.state == "negotiating" and case.path == ["requested", "negotiating"]
    history = store.history("C1")
    assert [h.event for h in history] == ["open", "negotiate"]
    assert history[1].data["evidence"] == [{"kind": "chat_record", "ref": "m-1"}]
    assert history[1].at == at(1)
    assert verify_case(store, "C1") is None


def test_unknown_case_and_taken_id(store):
    with pytest.raises(NotFound):
        store.get("nope")
    with pytest.raises(NotFound):
        store.send("nope", "agree", actor=MERCHANT, at=at(1))
    store.open_case(facts(), command_id="open-1")
    with pytest.raises(Conflict):
        store.open_case(facts())
    # Retrying the same opening is not an error.
    assert store.open_case(facts(), command_id="open-1").case_id == "C1"
    assert count(store, event_table) == 1


def test_refused_command_changes_nothing_but_is_logged(store):
    store.open_case(facts())
    with pytest.raises(TransitionNotAllowed):
        store.send("C1", "confirm_receipt", actor=MERCHANT, at=at(1))
    assert store.get("C1").state == "requested"
    assert count(store, event_table) == 1
    [refusal] = store.refusals("C1")
    assert (refusal["event"], refusal["code"], refusal["state"]) == (
        "confirm_receipt",
        "transition_not_allowed",
        "requested",
    )


def test_timers_due_before_a_refused_command_stand(store):
    store.open_case(facts())
    store.send("C1", "reject", actor=MERCHANT, at=at(1))
    with pytest.raises(TransitionNotAllowed):
        store.send("C1", "escalate", actor=BUYER, at=at(1, days=8))
    assert store.get("C1").state == "closed"
    assert [h.event for h in store.history("C1")] == ["open", "reject", "expire"]
    assert store.refusals("C1")[0]["code"] == "transition_not_allowed"


def test_repeated_command_id_writes_nothing(store):
    store.open_case(facts())
    first = store.send("C1", "agree", actor=MERCHANT, at=at(1), command_id="c-1")
    again = store.send("C1", "agree", actor=MERCHANT, at=at(2), command_id="c-1")
    assert again == first
    assert count(store, event_table) == 2 and count(store, feed_table) == 2


def test_expected_version_conflict(store):
    store.open_case(facts())
    negotiate(store, expected_version=1)
    with pytest.raises(Conflict):
        store.send("C1", "accept", actor=BUYER, at=at(2), expected_version=1)
    assert store.get("C1").state == "negotiating"


def test_failure_between_writes_leaves_nothing(store, monkeypatch):
    store.open_case(facts())

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("aftersales.storage.writes.write_timers", boom)
    with pytest.raises(RuntimeError):
        negotiate(store)
    monkeypatch.undo()
    assert store.get("C1").state == "requested"
    assert (count(store, event_table), count(store, feed_table)) == (1, 1)
    assert [t["status"] for t in store.timers("C1")] == ["running"]
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(case_table.c.version)).scalar_one() == 1
    assert verify_case(store, "C1") is None


def test_timer_rows_follow_the_case(store):
    store.open_case(facts())
    negotiate(store)
    assert store.fire_due_timers(at(1, days=3)) == 1
    timers = [(t["kind"], t["status"]) for t in store.timers("C1")]
    assert timers == [
        ("merchant_response", "cancelled"),
        ("buyer_response", "fired"),
        ("merchant_response", "running"),
    ]
    assert store.get("C1").state == "buyer_timed_out"


def test_sweeper_fires_chained_expiries_each_at_its_due_time(store):
    store.open_case(facts(type="return_refund"))
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    assert store.fire_due_timers(at(1, days=30)) == 1
    history = store.history("C1")
    assert (history[-1].event, history[-1].at, history[-1].state_after) == (
        "expire",
        at(1, days=7),
        "cancelled",
    )
    assert store.fire_due_timers(at(1, days=60)) == 0


def test_feed_is_monotonic_and_pages(store):
    for n in range(3):
        store.open_case(facts(case_id=f"C{n}"))
        negotiate(store, case_id=f"C{n}")
    first = store.events_since(0, limit=4)
    rest = store.events_since(first[-1].position)
    items = first + rest
    assert len(items) == 6
    assert [i.position for i in items] == sorted({i.position for i in items})
    assert [(i.case_id, i.event.seq) for i in items[:2]] == [("C0", 1), ("C0", 2)]


def test_verify_finds_tampering_and_rule_divergence(store):
    store.open_case(facts())
    negotiate(store)
    store.send("C1", "decline", actor=BUYER, at=at(2))
    assert verify_all(store) == []
    with store.engine.begin() as conn:
        conn.execute(
            event_table.update().where(event_table.c.seq == 3).values(actor_id="someone-else")
        )
    problem = verify_case(store, "C1")
    assert problem is not None and problem.seq == 3 and "digest" in problem.problem


def test_verify_reports_an_event_the_rules_refuse(store):
    from aftersales.storage.codec import event_row
    from aftersales.workflow.record import EventRecord

    store.open_case(facts())
    # A forged but well-chained row: accept without any negotiation.
    with store.engine.begin() as conn:
        prev = conn.execute(sa.select(case_table.c.digest)).scalar_one()
        forged = EventRecord(2, "accept", BUYER, at(1), {}, "requested", "cancelled")
        conn.execute(event_table.insert().values(**event_row("C1", forged, prev)))
    problem = verify_case(store, "C1")
    assert problem is not None and "refuse accept" in problem.problem


def test_inside_a_callers_session(store):
    store.open_case(facts())
    with Session(store.engine) as session:
        negotiate(store, session=session)
        assert store.get("C1", session=session).state == "negotiating"
        session.rollback()
    assert store.get("C1").state == "requested"
    with Session(store.engine) as session, session.begin():
        negotiate(store, session=session)
    assert store.get("C1").state == "negotiating"


def test_full_dispute_on_the_store(store):
    store.open_case(facts(category="fresh"))
    store.send("C1", "reject", actor=MERCHANT, at=at(1))
    store.send("C1", "escalate", actor=BUYER, at=at(2))
    store.send("C1", "demand_evidence", actor=PLATFORM, at=at(3))
    store.fire_due_timers(at(100))
    assert store.assess("C1").rules == ("R1_direct_rejection", "R3_evidence_timeout")
    store.send("C1", "rule", actor=PLATFORM, at=at(101))
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(case_table.c.state, case_table.c.liability)).one()
    assert tuple(row) == ("refunding", "merchant")
    assert count(store, timer_table) == 3
    assert verify_all(store) == []


def test_allowed_reads_the_stored_case(store):
    store.open_case(facts())
    verdicts = store.allowed("C1", Actor.merchant("S1"))
    assert verdicts["reject"].allowed and verdicts["reject"].risk == ("R1_direct_rejection",)
    assert verdicts["confirm_receipt"].code == "transition_not_allowed"


def test_a_record_cached_by_one_store_is_not_used_after_another_writes(db_url):
    first, second = CaseStore(db_url), CaseStore(db_url)
    first.create_schema()
    first.open_case(facts())
    negotiate(first)  # `first` now holds the case in its cache
    second.send("C1", "decline", actor=BUYER, at=at(2))
    # `first` must see the decline: a cached `negotiating` would refuse this negotiation.
    negotiate(first, hours=3)
    assert [e.event for e in first.history("C1")] == ["open", "negotiate", "decline", "negotiate"]
    assert verify_case(first, "C1") is None
    for store in (first, second):
        store.engine.dispose()


def test_report_queries_run_on_the_backend(store):
    from aftersales.metrics import report

    store.open_case(facts())
    negotiate(store)
    store.send("C1", "decline", actor=BUYER, at=at(2))
    store.send("C1", "reject", actor=MERCHANT, at=at(3), evidence=[ev("chat_record")])
    m = report(store)["all"]
    assert (m.cases, m.rejected_cases, m.direct_rejections) == (1, 1, 0)
    [stat] = m.negotiations
    assert (stat.negotiation_type, stat.reason, stat.count, stat.accepted) == (
        "invite_cancel",
        "agreed_cancel",
        1,
        0,
    )


def test_a_batch_with_one_stale_case_writes_nothing(store):
    """The sweep writes many cases at once; one case row not at the version read fails the
    whole batch, and the transaction leaves every row as it was."""
    for case_id in ("C1", "C2"):
        store.open_case(facts(case_id=case_id))
    batch = []
    for case_id in ("C1", "C2"):
        case = store.get(case_id)
        version, timer = case.version, case.timer
        case.record.events = []
        case.fire_due_timers(at(1, days=3))
        stale = version + 1 if case_id == "C2" else version
        batch.append(Loaded(case, stale, digest_of(store, case_id), timer))
    before = {t.name: count(store, t) for t in (case_table, event_table, feed_table, timer_table)}
    with pytest.raises(Conflict) as info, raw_transaction(store.engine) as tx:
        append_batch(tx, batch)
    assert "One of cases C1, C2 was changed" in info.value.message_en
    after = {t.name: count(store, t) for t in (case_table, event_table, feed_table, timer_table)}
    assert after == before
    assert [store.get(c).state for c in ("C1", "C2")] == ["requested", "requested"]
    assert store.fire_due_timers(at(1, days=3)) == 2


def digest_of(store: CaseStore, case_id: str) -> str:
    with store.engine.connect() as conn:
        query = sa.select(case_table.c.digest).where(case_table.c.case_id == case_id)
        return conn.execute(query).scalar_one()
