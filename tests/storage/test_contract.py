"""The store contract, run on every backend."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from aftersales import Actor, Conflict, NotFound, TransitionNotAllowed
from aftersales.storage import CaseStore
from aftersales.storage.tables import case_table, event_table, refused_table
from aftersales.storage.verify import verify
from tests.support import BUYER, MERCHANT, PLATFORM, at, ev, facts


def count(store: CaseStore, table: sa.Table) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def negotiate(store: CaseStore, case_id: str = "C1", hours: float = 1, **options):
    return store.send(
        case_id,
        "negotiate",
        actor=MERCHANT,
        at=at(hours),
        data={
            "negotiation_type": "invite_cancel",
            "reason": "agreed_cancel",
            "evidence": [ev("chat_record")],
        },
        **options,
    )


def row(store: CaseStore, case_id: str = "C1"):
    with store.engine.connect() as conn:
        return conn.execute(sa.select(case_table).where(case_table.c.case_id == case_id)).one()


def test_open_send_read_back(store):
    store.open_case(facts())
    record = negotiate(store)
    assert (record.seq, record.state_after, record.origin) == (2, "negotiating", "local")
    case = store.get("C1")
    assert case.state == "negotiating" and case.path == ["requested", "negotiating"]
    history = store.history("C1")
    assert [h.event for h in history] == ["open", "negotiate"]
    assert history[1].data["evidence"] == [{"kind": "chat_record", "ref": "m-1"}]
    assert history[1].at == at(1)
    assert verify(store, "C1").ok


def test_unknown_case_and_taken_id(store):
    with pytest.raises(NotFound):
        store.get("nope")
    with pytest.raises(NotFound):
        store.send("nope", "agree", actor=MERCHANT, at=at(1))
    store.open_case(facts(), command_id="open-1")
    with pytest.raises(Conflict):
        store.open_case(facts())
    # Retrying the same opening is not an error; the same key with other facts is.
    assert store.open_case(facts(), command_id="open-1").case_id == "C1"
    with pytest.raises(Conflict) as info:
        store.open_case(facts(requested_amount=500), command_id="open-1")
    assert info.value.field == "command_id"
    assert count(store, event_table) == 1


def test_refused_command_changes_nothing_but_is_logged(store):
    store.open_case(facts())
    with pytest.raises(TransitionNotAllowed):
        store.send("C1", "confirm_receipt", actor=MERCHANT, at=at(1))
    assert store.get("C1").state == "requested"
    assert count(store, event_table) == 1
    [refusal] = store.refusals("C1")
    assert (refusal.event, refusal.code, refusal.state, refusal.actor) == (
        "confirm_receipt",
        "transition_not_allowed",
        "requested",
        MERCHANT,
    )


def test_timers_due_before_a_refused_command_stand(store):
    store.open_case(facts())
    store.send("C1", "reject", actor=MERCHANT, at=at(1))
    with pytest.raises(TransitionNotAllowed):
        store.send("C1", "escalate", actor=BUYER, at=at(1, days=8))
    assert store.get("C1").state == "closed"
    assert [h.event for h in store.history("C1")] == ["open", "reject", "expire"]
    assert store.refusals("C1")[0].code == "transition_not_allowed"


def test_repeated_command_id_writes_nothing(store):
    store.open_case(facts())
    first = store.send("C1", "agree", actor=MERCHANT, at=at(1), command_id="c-1")
    again = store.send("C1", "agree", actor=MERCHANT, at=at(2), command_id="c-1")
    assert again == first
    assert count(store, event_table) == 2 and [i.event for i in store.events_since(0)][1] == first


def test_command_id_reused_for_another_command_is_conflict(store):
    store.open_case(facts())
    store.send(
        "C1", "modify", actor=BUYER, at=at(1), data={"requested_amount": 500}, command_id="k"
    )
    with pytest.raises(Conflict) as info:
        store.send("C1", "withdraw", actor=BUYER, at=at(2), command_id="k")
    assert info.value.field == "command_id"
    with pytest.raises(Conflict):
        store.send(
            "C1", "modify", actor=BUYER, at=at(2), data={"requested_amount": 400}, command_id="k"
        )
    assert count(store, event_table) == 2
    assert [r.code for r in store.refusals("C1")] == ["conflict", "conflict"]


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

    monkeypatch.setattr(store.repository, "_write_log", boom)
    with pytest.raises(RuntimeError):
        negotiate(store)
    monkeypatch.undo()
    assert store.get("C1").state == "requested"
    assert (count(store, event_table), len(store.events_since(0))) == (1, 1)
    assert (row(store).version, row(store).timer_kind) == (1, "merchant_response")
    assert verify(store, "C1").ok


def test_the_case_row_keeps_the_running_timer(store):
    store.open_case(facts())
    assert (row(store).timer_kind, row(store).due_at) == ("merchant_response", at(0, days=2))
    negotiate(store)
    assert (row(store).timer_kind, row(store).due_at) == ("buyer_response", at(1, days=2))
    [fired] = store.fire_due_timers(at(1, days=3))
    assert (fired.event, fired.state_after, fired.at) == (
        "expire",
        "buyer_timed_out",
        at(1, days=2),
    )
    assert (row(store).timer_kind, row(store).due_at) == ("merchant_response", at(1, days=4))


def test_sweeper_fires_chained_expiries_each_at_its_due_time(store):
    store.open_case(facts(type="return_refund"))
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    fired = store.fire_due_timers(at(1, days=30))
    assert [(e.at, e.state_after) for e in fired] == [
        (at(1, days=7), "return_lapsed"),
        (at(1, days=14), "cancelled"),
    ]
    assert store.fire_due_timers(at(1, days=60)) == []
    assert row(store).due_at is None and row(store).final


def test_feed_is_monotonic_and_pages(store):
    for n in range(3):
        store.open_case(facts(case_id=f"C{n}", order_id=f"O{n}"))
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
    assert verify(store).ok
    with store.engine.begin() as conn:
        conn.execute(
            event_table.update().where(event_table.c.seq == 3).values(actor_id="someone-else")
        )
    [problem] = verify(store, "C1").divergences
    assert problem.seq == 3 and "digest" in problem.problem


def test_verify_reports_an_event_the_rules_refuse(store):
    from aftersales.storage.codec import event_row
    from aftersales.workflow.record import EventRecord

    store.open_case(facts())
    # A forged but well-chained row: accept without any negotiation.
    with store.engine.begin() as conn:
        prev = conn.execute(sa.select(case_table.c.digest)).scalar_one()
        forged = EventRecord(2, "accept", BUYER, at(1), {}, "requested", "cancelled")
        conn.execute(event_table.insert().values(**event_row("C1", forged, prev)))
    [problem] = verify(store, "C1").divergences
    assert "refuse accept" in problem.problem


def test_inside_a_callers_session(store):
    store.open_case(facts())
    with Session(store.engine) as session:
        negotiate(store, session=session)
        assert store.get("C1", session=session).state == "negotiating"
        session.rollback()
    assert store.get("C1").state == "requested"
    with Session(store.engine) as session, session.begin():
        negotiate(store, session=session)
        store.fire_due_timers(at(1, days=3), session=session)
        assert [f.case_id for f in store.events_since(0, session=session)] == ["C1"] * 3
    assert store.get("C1").state == "buyer_timed_out"


def test_a_duplicate_opening_inside_a_callers_session_keeps_the_transaction(store):
    store.open_case(facts(), command_id="open-1")
    with Session(store.engine) as session, session.begin():
        again = store.open_case(facts(), command_id="open-1", session=session)
        assert again.case_id == "C1"
        with pytest.raises(Conflict):
            store.open_case(facts(case_id="C2", order_id="O1"), session=session)  # same line
        negotiate(store, session=session)  # the transaction goes on
    assert store.get("C1").state == "negotiating"


def test_full_dispute_on_the_store(store):
    store.open_case(facts(category="fresh"))
    store.send("C1", "reject", actor=MERCHANT, at=at(1))
    store.send("C1", "escalate", actor=BUYER, at=at(2))
    store.send("C1", "demand_evidence", actor=PLATFORM, at=at(3))
    store.fire_due_timers(at(100))
    assert store.assess("C1").rules == ("R1_direct_rejection", "R3_evidence_timeout")
    store.send("C1", "rule", actor=PLATFORM, at=at(101))
    assert (row(store).state, row(store).liability) == ("refunding", "merchant")
    assert verify(store).ok


def test_allowed_reads_the_stored_case(store):
    store.open_case(facts())
    verdicts = store.allowed("C1", Actor.merchant("S1"))
    assert verdicts["reject"].allowed and verdicts["reject"].risk == ("R1_direct_rejection",)
    assert verdicts["confirm_receipt"].code == "transition_not_allowed"
    assert store.would("C1", "agree", MERCHANT).state_after == "refunding"


def test_two_stores_on_one_database_see_each_other(db_url):
    first, second = CaseStore(db_url), CaseStore(db_url)
    first.create_schema()
    first.open_case(facts())
    negotiate(first)
    second.send("C1", "decline", actor=BUYER, at=at(2))
    negotiate(first, hours=3)  # a stale `negotiating` would refuse this negotiation
    assert [e.event for e in first.history("C1")] == ["open", "negotiate", "decline", "negotiate"]
    assert verify(first, "C1").ok
    for store in (first, second):
        store.engine.dispose()


def test_report_queries_run_on_the_backend(store):
    store.open_case(facts())
    negotiate(store)
    store.send("C1", "decline", actor=BUYER, at=at(2))
    store.send("C1", "reject", actor=MERCHANT, at=at(3), data={"evidence": [ev("chat_record")]})
    m = store.report().overall
    assert (m.cases, m.rejected_cases, m.direct_rejections) == (1, 1, 0)
    [stat] = m.negotiations
    assert (stat.negotiation_type, stat.reason, stat.count, stat.accepted) == (
        "invite_cancel",
        "agreed_cancel",
        1,
        0,
    )


def test_refused_input_is_kept_cleaned(store):
    store.open_case(facts())
    nasty = {"message": "a\x00b\udc80c", "x": 2**70, "deep": [[[[[[["d"]]]]]]]}
    with pytest.raises(Exception) as info:
        store.send("C1", "decline", actor=BUYER, at=at(1), data=nasty)
    assert info.value.code == "invalid_input"
    [refusal] = store.refusals("C1")
    assert "\x00" not in refusal.data["message"] and "\udc80" not in refusal.data["message"]
    assert count(store, refused_table) == 1
