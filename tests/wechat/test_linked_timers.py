"""Issue #21 item 5 (spec 12.1, 12.3): the platform's clock owns linked cases opened under
contract version 3; unlinked cases keep their timers; a version-2 case that ran ahead is
reconciled, not stuck."""

from __future__ import annotations

from aftersales.storage import CaseStore, DueForFetch
from aftersales.wechat import ShopConfig, sync
from aftersales.workflow import case as case_module
from tests.support import BUYER, MERCHANT, at, facts
from tests.wechat.platform import order

SHOP = ShopConfig(shop_id="S1")
MODIFY = {
    "negotiation_type": "modify_request",
    "reason": "modify_amount_only",
    "amount": 5000,
    "evidence": [{"kind": "image", "ref": "m-1", "media_id": "wx-1"}],
}


def test_item_5_a_linked_v3_case_is_due_for_a_fetch_not_moved(store):
    store.open_case(facts(platform_id="WX-1"))
    assert store.get("C1").record.workflow_version == 3
    swept = store.fire_due_timers(at(49))  # our 48 h merchant_response window is over
    assert list(swept) == []
    assert swept.due_for_fetch == [DueForFetch("C1", "WX-1", "merchant_response", at(48))]
    assert store.get("C1").state == "requested"
    # WeChat's own clock says the merchant still has time: its deadline replaces ours
    deadline = int(at(72).timestamp())
    found = sync(store, order("MERCHANT_PROCESSING", 50, deadline=deadline), shop=SHOP)
    assert found.action == "applied" and store.get("C1").timer.due == at(72)
    # so the merchant may still negotiate
    store.send("C1", "negotiate", actor=MERCHANT, at=at(51), data=MODIFY)
    assert store.get("C1").state == "negotiating"


def test_item_5_the_platforms_auto_agree_comes_through_sync(store):
    store.open_case(facts(platform_id="WX-1"))
    assert store.fire_due_timers(at(80)).due_for_fetch[0].case_id == "C1"
    agreed = order("PLATFORM_REFUNDING", 72, refund_info={"amount": 10000, "refund_reason": 9})
    found = sync(store, agreed, shop=SHOP)
    assert (found.action, found.our_state) == ("applied", "refunding")
    expiry = store.history("C1")[-1]
    assert (expiry.event, expiry.origin, expiry.at) == ("expire", "platform", at(72))
    assert store.fire_due_timers(at(80)).due_for_fetch == []


def test_item_5_unlinked_cases_keep_todays_timers(store):
    store.open_case(facts())
    swept = store.fire_due_timers(at(49))
    assert [e.event for e in swept] == ["expire"] and swept.due_for_fetch == []
    assert store.get("C1").state == "refunding"


def test_item_5_a_local_command_does_not_fire_a_platform_owned_timer(store):
    store.open_case(facts(platform_id="WX-1"))
    record = store.send("C1", "negotiate", actor=MERCHANT, at=at(60), data=MODIFY)
    assert [e.event for e in store.history("C1")] == ["open", "negotiate"]
    assert record.state_before == "requested"


def test_item_5_a_v2_case_that_ran_ahead_is_reconciled_not_stuck(store, monkeypatch):
    monkeypatch.setattr(case_module, "WORKFLOW_VERSION", 2)
    store.open_case(facts(platform_id="WX-1"))
    monkeypatch.undo()
    assert store.get("C1").record.workflow_version == 2
    store.fire_due_timers(at(49))  # v2: our timer fires, ahead of WeChat
    assert store.get("C1").state == "refunding"
    for hours in (50, 55, 60):  # every periodic sync: one divergence, naming the timer
        found = sync(store, order("MERCHANT_PROCESSING", hours), shop=SHOP)
        assert found.action == "divergence" and "merchant_response timer ran ahead" in found.reason
    assert len(store.divergences("C1")) == 1
    # WeChat's later statuses apply where they follow from the case's state
    agreed = order("PLATFORM_REFUNDING", 72, refund_info={"amount": 10000, "refund_reason": 9})
    assert sync(store, agreed, shop=SHOP).action == "in_sync"
    done = order("MERCHANT_REFUND_SUCCESS", 73, refund_info={"amount": 10000, "refund_reason": 9})
    assert sync(store, done, shop=SHOP).our_state == "refunded"


def test_item_5_timers_the_spec_leaves_local_still_fire_on_linked_cases(store):
    store.open_case(facts(platform_id="WX-1"))
    store.send("C1", "reject", actor=MERCHANT, at=at(1))
    swept = store.fire_due_timers(at(1, days=8))  # the escalation window is not listed in 12.1
    assert store.get("C1").state == "closed" and swept.due_for_fetch == []


def test_a_case_linked_after_opening_follows_the_platforms_clock_cached_or_not(db_url):
    """Linked later (link_platform_id) rather than opened with WeChat's id: the store's cache
    held the record from before the link, and must not let a local timer move the case."""
    for size in (1024, 0):
        store = CaseStore(db_url, cache_size=size)
        store.create_schema()
        case_id = f"L{size}"
        store.open_case(facts(case_id=case_id, order_id=case_id, type="return_refund"))
        store.link_platform_id(case_id, f"WX-{case_id}")
        # past our 48 h window: WeChat decides what happened, so no local expiry is recorded
        store.send(case_id, "withdraw", actor=BUYER, at=at(50))
        events = [event.event for event in store.history(case_id)]
        assert events == ["open", "withdraw"], (size, events)
        store.dispose()


def test_cases_waiting_for_wechat_never_hold_back_the_cases_behind_them(store):
    """More linked cases past WeChat's deadline than a batch holds: the unlinked case behind
    them still fires, and the waiting ones are listed (at most a batch of them)."""
    for n in range(3):
        store.open_case(facts(case_id=f"W{n}", order_id=f"OW{n}", platform_id=f"WX-{n}"))
    store.open_case(facts(case_id="LOCAL", order_id="OL", opened_at=at(1)))
    swept = store.fire_due_timers(at(60), batch=2)
    assert [e.event for e in swept] == ["expire"] and store.get("LOCAL").state == "refunding"
    assert [w.case_id for w in swept.due_for_fetch] == ["W0", "W1"]
    assert swept.due_for_fetch[0] == DueForFetch("W0", "WX-0", "merchant_response", at(48))
    again = store.fire_due_timers(at(60), batch=2)
    assert list(again) == [] and len(again.due_for_fetch) == 2
    assert store.fire_due_timers(at(60), case_id="W2").due_for_fetch[0].platform_id == "WX-2"
