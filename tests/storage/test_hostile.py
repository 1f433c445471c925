"""Nothing a caller, a file or one bad case can send breaks the store (issue: input hygiene,
idempotency keys, sweeper isolation, a verify that sees everything). One test per problem, named
after it, on every backend."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from aftersales import Actor, AftersalesError
from aftersales.storage import CaseStore
from aftersales.storage.tables import case_table, event_table, refused_table
from aftersales.storage.verify import verify
from tests.support import BUYER, MERCHANT, PLATFORM, T0, at, ev, facts


def count(store: CaseStore, table: sa.Table) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def refused_code(fn) -> str:
    with pytest.raises(AftersalesError) as info:
        fn()
    return info.value.code


# -- 1. one case stops every timer -----------------------------------------------------------


def test_1_an_absurd_or_negative_policy_duration_is_refused(store):
    for duration in ("P2930000D", "-P1D", "PT0S"):
        code = refused_code(
            lambda d=duration: store.open_case(facts(), policy={"return_shipping": d})
        )
        assert code == "invalid_input"
    assert count(store, case_table) == 0


def test_1_one_case_that_cannot_expire_does_not_stop_the_others(store):
    for n in range(5):
        store.open_case(facts(case_id=f"C{n}"))
    with store.engine.begin() as conn:  # C2: no readable snapshot, and a log that is wrong
        conn.execute(case_table.update().where(case_table.c.case_id == "C2").values(snapshot=None))
        conn.execute(
            event_table.update().where(event_table.c.case_id == "C2").values(event="bogus")
        )
    fired = store.fire_due_timers(at(0, days=3))
    assert sorted({e.seq for e in fired}) == [2] and len(fired) == 4
    [parked] = store.parked_timers()
    assert parked.case_id == "C2" and "cannot be rebuilt" in parked.error
    assert store.fire_due_timers(at(0, days=4)) == []  # parked: skipped, not retried forever
    store.unpark_timer("C2")
    assert store.parked_timers() == []


def test_1_a_stale_timer_row_is_repaired_not_left_to_starve_the_sweeper(store):
    store.open_case(facts())
    with store.engine.begin() as conn:  # the row says due long ago; the case says 48 h
        conn.execute(case_table.update().values(due_at=T0 - timedelta(days=30)))
    assert store.fire_due_timers(at(1)) == []
    with store.engine.connect() as conn:
        due = conn.execute(sa.select(case_table.c.due_at)).scalar_one()
    assert due == at(0, days=2)


# -- 2. a reused command_id skips every check --------------------------------------------------


def test_2_a_reused_command_id_is_checked_like_any_command(store):
    store.open_case(facts())
    store.send("C1", "agree", actor=MERCHANT, at=at(1), command_id="k1")
    other_shop = Actor.merchant("S2")
    assert (
        refused_code(lambda: store.send("C1", "agree", actor=other_shop, at=at(1), command_id="k1"))
        == "permission_denied"
    )
    assert (
        refused_code(
            lambda: store.send(
                "C1", "agree", actor=MERCHANT, at="2026-03-01T11:00", command_id="k1"
            )
        )
        == "invalid_input"
    )
    assert (
        refused_code(lambda: store.send("C1", "nope", actor=MERCHANT, at=at(1), command_id="k1"))
        == "invalid_input"
    )
    assert (
        refused_code(lambda: store.send("C1", "withdraw", actor=BUYER, at=at(1), command_id="k1"))
        == "conflict"
    )
    assert count(store, event_table) == 2


def test_2_command_ids_are_scoped_to_their_case(store):
    store.open_case(facts())
    store.open_case(facts(case_id="C2"))
    store.send("C1", "agree", actor=MERCHANT, at=at(1), command_id="same")
    record = store.send("C2", "agree", actor=MERCHANT, at=at(1), command_id="same")
    assert record.command_id == "same" and record.seq == 2


# -- 3. `at` is trusted without limit ------------------------------------------------------------


def test_3_a_command_stamped_in_the_future_is_refused_and_fires_nothing(db_url):
    store = CaseStore(db_url, clock=lambda: T0 + timedelta(hours=2))
    store.create_schema()
    store.open_case(facts())
    store.send(
        "C1",
        "negotiate",
        actor=MERCHANT,
        at=at(1),
        data={
            "negotiation_type": "invite_cancel",
            "reason": "agreed_cancel",
            "evidence": [ev("chat_record")],
        },
    )
    # Three days ahead: the buyer's timer would fire first and make the rejection defensible.
    with pytest.raises(AftersalesError) as info:
        store.send("C1", "reject", actor=MERCHANT, at=at(1, days=3))
    assert (info.value.code, info.value.field) == ("invalid_input", "at")
    assert store.get("C1").state == "negotiating"  # no timer fired
    store.send("C1", "decline", actor=BUYER, at=at(2))  # the buyer's real answer still counts
    assert refused_code(lambda: store.fire_due_timers(at(1, days=3))) == "invalid_input"
    within = CaseStore(db_url, clock=lambda: T0 + timedelta(hours=2), max_skew=timedelta(days=4))
    within.send("C1", "reject", actor=MERCHANT, at=at(3))  # an hour ahead: a wider skew allows
    store.engine.dispose()
    within.engine.dispose()


# -- 4. raw tracebacks for bad input --------------------------------------------------------------

BAD_SENDS = [
    ("decline", BUYER, {"message": "a\udc80b"}),
    ("decline", BUYER, {"message": "nul\x00byte"}),
    ("decline", BUYER, {"message": "x" * 100_000}),
    ("submit_evidence", MERCHANT, {"evidence": [{**ev("image"), "note": "n" * 1_000_000}]}),
    ("submit_evidence", MERCHANT, {"evidence": [ev("image", f"r{n}") for n in range(10_000)]}),
    ("ship_return", BUYER, {"tracking": "   "}),
    ("rule", PLATFORM, {"outcome": "merchant", "amount": 100}),
    ("rule", PLATFORM, {"amount": 2**63}),
    ("negotiate", MERCHANT, {"negotiation_type": ["x"], "reason": {}}),
    ("agree", None, {}),
    ("agree", {"role": "merchant", "id": "S1"}, {}),
    ("agree", Actor(None, None), {}),  # type: ignore[arg-type]
    ("agree", MERCHANT, "not a mapping"),
    ("expire", Actor.system(), {}),  # no timer is due yet
]


@pytest.mark.parametrize(("event", "actor", "data"), BAD_SENDS, ids=range(len(BAD_SENDS)))
def test_4_bad_input_is_refused_with_a_code_and_writes_nothing(store, event, actor, data):
    store.open_case(facts())
    with pytest.raises(AftersalesError) as info:
        store.send("C1", event, actor=actor, at=at(1), data=data)
    assert info.value.code in ("invalid_input", "transition_not_allowed", "invalid_amount")
    assert count(store, event_table) == 1
    assert store.get("C1").state == "requested"


BAD_FACTS = [
    {"case_id": "nul\x00id"},
    {"case_id": "x" * 3000},
    {"case_id": "   "},
    {"shop_id": "a\udc80"},
    {"paid_amount": 2**31, "requested_amount": 2**31},  # fits: BIGINT (accepted below)
    {"paid_amount": 2**63, "requested_amount": 1},
    {"opened_at": 1_772_330_400},
    {"opened_at": "2026-03-01T10:00:00"},
    {"sku_id": "line\nbreak"},
]


@pytest.mark.parametrize("bad", BAD_FACTS, ids=range(len(BAD_FACTS)))
def test_4_bad_facts_are_refused_with_a_code(store, bad):
    if bad.get("paid_amount") == 2**31:
        assert store.open_case(facts(**bad)).record.facts.paid_amount == 2**31
        assert verify(store).ok
        return
    with pytest.raises(AftersalesError) as info:
        store.open_case(facts(**bad))
    assert info.value.code in ("invalid_input", "invalid_amount")
    assert count(store, case_table) == 0


def test_4_other_bad_calls_are_refused_with_a_code(store):
    store.open_case(facts())
    assert refused_code(lambda: store.open_case(facts(case_id="C9"), policy="fast")) == (
        "invalid_input"
    )
    assert refused_code(lambda: store.send("C1", "agree", actor=MERCHANT, at=at(1), command_id=7))
    assert store.get("C1").would("x", MERCHANT, data={"foo": 1}).code == "invalid_input"
    assert refused_code(lambda: store.get("nul\x00")) == "invalid_input"
    assert refused_code(lambda: store.get("")) == "invalid_input"


def test_4_refusals_of_nasty_input_are_logged_clean(store):
    store.open_case(facts())
    with pytest.raises(AftersalesError):
        store.send(
            "C1",
            "decline",
            actor=Actor("buyer\x00", "B1\udc80"),
            at=at(1),
            data={"message": "\udc80", "k" * 100: [[[[[[[1]]]]]]], "n": 2**80},
            command_id="c\x00",
        )
    assert count(store, refused_table) == 1
    [refusal] = store.refusals("C1")
    assert "\x00" not in refusal.actor.role and "\udc80" not in (refusal.actor.id or "")


# -- 6. verify has blind spots -------------------------------------------------------------------


def test_6_verify_sees_an_edited_snapshot_and_an_edited_fact(store):
    store.open_case(facts())
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    store.send("C1", "refund_succeeded", actor=Actor.system(), at=at(2))
    assert verify(store).ok
    with store.engine.begin() as conn:
        snapshot = conn.execute(sa.select(case_table.c.snapshot)).scalar_one()
        edited = copy.deepcopy(snapshot)
        edited["refund_amount"] = 1
        conn.execute(case_table.update().values(snapshot=edited, refund_amount=1, shop_id="S2"))
    problems = [d.problem for d in verify(store).divergences]
    assert any(p.startswith("refund_amount is 1") for p in problems)
    assert any(p.startswith("shop_id is 'S2'") for p in problems)
    assert any("snapshot differs" in p for p in problems)


def test_6_a_keyed_chain_cannot_be_forged_without_the_key(db_url):
    keyed = CaseStore(db_url, secret=b"the shop's secret")
    keyed.create_schema()
    keyed.open_case(facts())
    keyed.send("C1", "agree", actor=MERCHANT, at=at(1))
    assert verify(keyed).ok
    assert not verify(CaseStore(db_url)).ok  # an unkeyed chain is not this chain
    # A writer without the key rewrites a row and recomputes the plain SHA-256 chain.
    from aftersales.storage.codec import digest

    with keyed.engine.begin() as conn:
        rows = conn.execute(sa.select(event_table).order_by(event_table.c.seq)).all()
        prev = ""
        for row in rows:
            values = dict(row._mapping)
            if values["seq"] == 2:
                values["actor_id"] = "S1-forged"
            values["digest"] = digest(values, prev)
            prev = values["digest"]
            conn.execute(
                event_table.update()
                .where(event_table.c.case_id == "C1", event_table.c.seq == values["seq"])
                .values(actor_id=values["actor_id"], digest=values["digest"])
            )
        conn.execute(case_table.update().values(digest=prev))
    first, *others = verify(keyed).divergences
    assert first.seq == 1 and "digest" in first.problem
    assert [str(d) for d in others] == [  # the rewritten digests are not the committed ones
        "store: the store commitment of slot 43 differs from the cases, events and refusals "
        "found: one was deleted, added, altered or put back as it was"
    ]
    keyed.engine.dispose()


def test_6_verify_reads_a_batch_of_cases_at_a_time(store):
    for n in range(7):
        store.open_case(facts(case_id=f"C{n}"))
    seen = []
    report = verify(store, batch=3, progress=seen.append)
    assert report.checked == 7 and seen == [3, 3, 1]


# -- 7. a long-lived case gets quadratically slower --------------------------------------------


def test_7_the_snapshot_does_not_grow_with_the_number_of_commands(store):
    store.open_case(facts())
    store.send("C1", "intervene", actor=PLATFORM, at=at(1), data={"message": "auto"})
    sizes = []
    for n in range(60):
        store.send(
            "C1",
            "submit_evidence",
            actor=MERCHANT,
            at=at(2),
            data={"evidence": [ev("image", f"r{n}")]},
            command_id=f"cmd-{n}",
        )
        with store.engine.connect() as conn:
            snapshot = conn.execute(sa.select(case_table.c.snapshot)).scalar_one()
        sizes.append(len(str(snapshot)))
    assert max(sizes) - min(sizes) <= 2  # the version's digits, nothing per command


# -- idempotency under concurrency ---------------------------------------------------------------


def test_2_concurrent_identical_opens_all_get_the_first_result(db_url):
    import threading

    store = CaseStore(db_url)
    store.create_schema()
    barrier = threading.Barrier(8)
    outcomes: list[object] = []

    def opener() -> None:
        mine = CaseStore(db_url)
        barrier.wait()
        try:
            outcomes.append(mine.open_case(facts(), command_id="open-once").case_id)
        except AftersalesError as err:
            outcomes.append(err.code)
        mine.engine.dispose()

    threads = [threading.Thread(target=opener) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == ["C1"] * 8
    assert count(store, event_table) == 1
    store.engine.dispose()


def test_clock_is_injectable_and_defaults_to_utc():
    from aftersales.storage.store import utc_now

    assert utc_now().tzinfo is UTC and abs(utc_now() - datetime.now(UTC)) < timedelta(seconds=5)
