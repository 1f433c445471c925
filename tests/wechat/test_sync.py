"""Following WeChat: each recorded-looking order or notification, followed twice.

Each scenario sets a case up with local commands, then hands WeChat's message to ``sync`` (a
fetched order), ``reconcile`` (a notification) or ``sync_complaint`` (a fetched dispute), twice:
the first time applies the events that explain WeChat's status (or keeps a divergence), the
second writes nothing new.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from aftersales.storage import CaseStore
from aftersales.wechat import (
    ShopConfig,
    parse_notification,
    reconcile,
    sync,
    sync_complaint,
)
from tests.support import BUYER, MERCHANT, SYSTEM, at, ev, facts

FIXTURES = Path(__file__).parent / "fixtures"
SHOP = ShopConfig(shop_id="S1")
INVITE = {
    "negotiation_type": "invite_cancel",
    "reason": "agreed_cancel",
    "evidence": [ev("chat_record")],
}


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class Scenario:
    fixture: str
    facts: dict[str, Any] = field(default_factory=dict)
    setup: list[tuple[str, Any, float, dict[str, Any]]] = field(default_factory=list)
    state: str = ""
    events: list[str] = field(default_factory=list)
    """The events the message adds, in order."""
    action: str = "applied"
    before: list[str] = field(default_factory=list)
    """Messages followed first (setting the scene), without checks."""


def given(store: CaseStore, scenario: Scenario) -> None:
    store.open_case(facts(platform_id="WX-1", **scenario.facts))
    for event, actor, hours, data in scenario.setup:
        store.send("C1", event, actor=actor, at=at(hours), data=data)


def follow(store: CaseStore, name: str):
    body = load(name)
    if name.startswith("order_"):
        return sync(store, body, shop=SHOP)
    if name.startswith("complaint_order"):
        return sync_complaint(store, body)
    return reconcile(store, parse_notification(json.dumps(body)), shop=SHOP)


RETURN, EXCHANGE = {"type": "return_refund"}, {"type": "exchange"}
AGREE = ("agree", MERCHANT, 1, {})
SHIPPED_BACK = ("ship_return", BUYER, 2, {"tracking": "SF1234567890"})
FAILED = ("refund_failed", SYSTEM, 2, {})

SCENARIOS: dict[str, Scenario] = {
    # Every after-sale status of spec section 10.2.
    "USER_WAIT_CONFIRM_UPDATE": Scenario(
        "order_user_wait_confirm_update.json", state="negotiating", events=["negotiate"]
    ),
    "WAIT_PACKAGE_INTERCEPT": Scenario(
        "order_wait_package_intercept.json", state="intercepting", events=["intercept"]
    ),
    "MERCHANT_REJECT_REFUND": Scenario(
        "order_merchant_reject_refund.json", state="rejected", events=["reject"]
    ),
    "MERCHANT_REJECT_RETURN": Scenario(
        "order_merchant_reject_return.json", RETURN, state="rejected", events=["reject"]
    ),
    "MERCHANT_REJECT_EXCHANGE": Scenario(
        "order_merchant_reject_exchange.json", EXCHANGE, state="rejected", events=["reject"]
    ),
    "MERCHANT_REJECT_RESHIP": Scenario(
        "order_merchant_reject_reship.json",
        EXCHANGE,
        [AGREE, SHIPPED_BACK],
        state="rejected",
        events=["reject"],
    ),
    "USER_WAIT_RETURN": Scenario(
        "order_user_wait_return.json", RETURN, state="awaiting_return", events=["agree"]
    ),
    "RETURN_CLOSED": Scenario(
        "order_return_closed.json", RETURN, [AGREE], state="return_lapsed", events=["expire"]
    ),
    "MERCHANT_WAIT_RECEIPT": Scenario(
        "order_merchant_wait_receipt.json",
        RETURN,
        [AGREE],
        state="awaiting_receipt",
        events=["ship_return"],
    ),
    "PLATFORM_REFUNDING": Scenario(
        "order_platform_refunding_r9.json", state="refunding", events=["expire"]
    ),
    "PLATFORM_REFUND_FAIL": Scenario(
        "order_platform_refund_fail.json", {}, [AGREE], "refund_failed", ["refund_failed"]
    ),
    "MERCHANT_OVERDUE_REFUND": Scenario(
        "order_merchant_overdue_refund.json", {}, [AGREE, FAILED], "refund_failed", [], "in_sync"
    ),
    # #21 item 9: the buyer has yet to confirm the offline refund: not final.
    "USER_WAIT_CONFIRM": Scenario(
        "order_user_wait_confirm.json", {}, [AGREE, FAILED], "refund_failed", [], "in_sync"
    ),
    "MERCHANT_REFUND_SUCCESS": Scenario(
        "order_merchant_refund_success.json", {}, [AGREE], "refunded", ["refund_succeeded"]
    ),
    "MERCHANT_RETURN_SUCCESS": Scenario(
        "order_merchant_return_success_r11.json",
        RETURN,
        [AGREE, SHIPPED_BACK],
        state="refunded",
        events=["expire", "refund_succeeded"],
    ),
    "USER_WAIT_RECEIPT": Scenario(
        "order_user_wait_receipt.json",
        EXCHANGE,
        [AGREE, SHIPPED_BACK],
        state="exchange_shipped",
        events=["reship"],
    ),
    "MERCHANT_EXCHANGE_SUCCESS": Scenario(
        "order_merchant_exchange_success.json",
        EXCHANGE,
        [AGREE, SHIPPED_BACK, ("reship", MERCHANT, 3, {"tracking": "YD98765"})],
        state="exchanged",
        events=["confirm_exchange"],
    ),
    "USER_CANCELD": Scenario("order_user_canceld.json", state="cancelled", events=["withdraw"]),
    "MERCHANT_FAIL": Scenario("order_merchant_fail.json", state="closed", events=["close"]),
    "MERCHANT_REFUND_RETRY_FAIL": Scenario(
        "order_merchant_refund_retry_fail.json", {}, [AGREE, FAILED], "closed", ["close"]
    ),
    "USER_WAIT_HANDLE_MERCHANT_AFTER_SALE": Scenario(
        "order_user_wait_handle_merchant_after_sale.json", state="requested", action="divergence"
    ),
    "unknown status": Scenario(
        "order_platform_processing_unknown.json", state="requested", action="divergence"
    ),
    # Every refund reason the sync reads.
    "refund_reason 1": Scenario(
        "order_refund_r1_console.json", state="refunded", events=["agree", "refund_succeeded"]
    ),
    "refund_reason 3": Scenario("order_refund_r3_api.json", state="refunding", events=["agree"]),
    "refund_reason 4": Scenario(
        "order_refund_r4_unshipped.json",
        {"shipped": False},
        state="refunded",
        events=["expire", "refund_succeeded"],
    ),
    "refund_reason 12": Scenario(
        "order_refund_r12_accepted.json",
        {},
        [
            (
                "negotiate",
                MERCHANT,
                1,
                {
                    "negotiation_type": "modify_request",
                    "reason": "modify_amount_only",
                    "amount": 6000,
                    "evidence": [ev("chat_record")],
                },
            )
        ],
        state="partially_refunded",
        events=["accept", "refund_succeeded"],
    ),
    "refund_reason 21": Scenario(
        "order_refund_r21_return_to_refund.json",
        {"type": "return_refund", "category": "fresh"},
        [
            (
                "negotiate",
                MERCHANT,
                1,
                {
                    "negotiation_type": "modify_request",
                    "reason": "refund_without_return",
                    "amount": 10000,
                },
            )
        ],
        state="refunding",
        events=["accept"],
    ),
    "refund_reason 22": Scenario(
        "order_refund_r22_intercepted.json",
        {},
        [("intercept", MERCHANT, 1, {"tracking": "SF1"})],
        state="refunding",
        events=["intercept_succeeded"],
    ),
    "refund_reason 5": Scenario(
        "order_refund_r5_dispute.json",
        {},
        [("reject", MERCHANT, 1, {}), ("escalate", BUYER, 2, {})],
        state="refunding",
        events=["rule"],
    ),
    "refund_reason 23": Scenario(
        "order_refund_r23_partial.json",
        {},
        [("reject", MERCHANT, 1, {}), ("escalate", BUYER, 2, {})],
        state="partially_refunded",
        events=["rule", "refund_succeeded"],
    ),
    # The buyer leaves a negotiation (spec section 10.3).
    "buyer supplied evidence": Scenario(
        "order_buyer_supplied_evidence.json",
        {"category": "fresh"},
        [
            (
                "negotiate",
                MERCHANT,
                1,
                {
                    "negotiation_type": "request_evidence",
                    "reason": "no_seven_day_return_request_quality_evidence",
                },
            )
        ],
        state="evidence_supplied",
        events=["supply_evidence"],
    ),
    "buyer declined": Scenario(
        "order_buyer_declined.json",
        {},
        [("negotiate", MERCHANT, 1, INVITE)],
        state="buyer_declined",
        events=["decline"],
    ),
    "buyer timed out": Scenario(
        "order_buyer_timed_out.json",
        {},
        [("negotiate", MERCHANT, 1, INVITE)],
        state="buyer_timed_out",
        events=["expire"],
    ),
    "buyer changed the request": Scenario(
        "order_buyer_modified.json", state="requested", events=["modify"]
    ),
    # Notifications.
    "notification USER_CANCELD": Scenario(
        "notify_user_canceld.json", state="cancelled", events=["withdraw"]
    ),
    "notification PLATFORM_REFUNDING": Scenario(
        "notify_platform_refunding.json", state="refunding", events=["agree"]
    ),
    "notification of an unknown status": Scenario(
        "notify_unknown_status.json", state="requested", action="divergence"
    ),
    "third-party notification": Scenario(
        "notify_third_party_flattened.json", state="cancelled", events=["withdraw"]
    ),
    # Disputes (spec section 10.5).
    "complaint 100": Scenario(
        "complaint_100_escalated.json",
        {},
        [("reject", MERCHANT, 1, {})],
        state="platform_intervention",
        events=["escalate"],
    ),
    "complaint 106": Scenario(
        "complaint_106_evidence_demanded.json",
        {},
        [("reject", MERCHANT, 1, {})],
        state="platform_intervention",
        events=["demand_evidence"],
        before=["complaint_100_escalated.json"],
    ),
    "complaint 307": Scenario(
        "complaint_307_evidence_lapsed.json",
        {},
        [("reject", MERCHANT, 1, {})],
        state="platform_intervention",
        events=["expire"],
        before=["complaint_100_escalated.json", "complaint_106_evidence_demanded.json"],
    ),
    "complaint 102": Scenario(
        "complaint_102_cancelled.json",
        {},
        [("reject", MERCHANT, 1, {})],
        state="cancelled",
        events=["withdraw"],
        before=["complaint_100_escalated.json"],
    ),
    "complaint 112": Scenario(
        "complaint_112_concluded.json",
        {},
        [("reject", MERCHANT, 1, {})],
        state="platform_intervention",
        action="in_sync",
        before=["complaint_100_escalated.json"],
    ),
    "complaint order ruling": Scenario(
        "complaint_order_ruled_merchant.json",
        {},
        [("reject", MERCHANT, 1, {})],
        state="refunding",
        events=["rule"],
        before=["complaint_100_escalated.json"],
    ),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_following_a_message_twice(store, name):
    scenario = SCENARIOS[name]
    given(store, scenario)
    for earlier in scenario.before:
        follow(store, earlier)
    before = len(store.history("C1"))
    first = follow(store, scenario.fixture)
    assert first.action == scenario.action, first
    events = store.history("C1")
    assert [e.event for e in events[before:]] == scenario.events
    assert store.get("C1").state == scenario.state
    second = follow(store, scenario.fixture)
    assert second.action in ("in_sync", "stale", "divergence") and not second.events
    assert len(store.history("C1")) == len(events)
    if scenario.action == "divergence":
        [kept] = store.divergences()  # kept once, with WeChat's raw status
        assert kept.case_id == "C1" and kept.platform_status == first.platform_status


def test_a_sync_opens_an_unknown_case_and_takes_the_platforms_deadline(store):
    order = load("order_merchant_processing.json")
    first = sync(store, order, shop=SHOP)
    case = store.get("wx-WX-NEW")
    assert first.case_id == "wx-WX-NEW" and case.state == "requested"
    assert [(e.event, e.origin) for e in case.events] == [
        ("open", "platform"),
        ("set_deadline", "platform"),
    ]
    assert case.timer.due == at(36)  # WeChat's deadline, not our 48 hours
    facts_of = case.record.facts
    assert (facts_of.buyer_reason, facts_of.sku_id, facts_of.platform_id) == (
        "quality_issue",
        "SKU1",
        "WX-NEW",
    )
    assert sync(store, order, shop=SHOP).action == "in_sync"
    assert len(store.history("wx-WX-NEW")) == 2
    # Without the shop's configuration an unknown order cannot be opened: a divergence.
    other = {
        **order,
        "after_sale_order": {**order["after_sale_order"], "after_sale_order_id": "WX-2"},
    }
    assert sync(store, other).action == "divergence"


def test_a_console_direct_rejection_is_judged_like_any_other(store):
    given(store, SCENARIOS["MERCHANT_REJECT_REFUND"])
    follow(store, "order_merchant_reject_refund.json")
    rejection = store.history("C1")[-1]
    assert (rejection.origin, rejection.note["findings"]) == ("platform", ["R1_direct_rejection"])
    assert rejection.data == {"reject_reason": "已在约定时间发货"}


def test_inferred_buyer_answers_are_marked(store):
    given(store, SCENARIOS["buyer declined"])
    follow(store, "order_buyer_declined.json")
    decline = store.history("C1")[-1]
    assert decline.note == {"inferred": True} and decline.origin == "platform"


def test_a_stale_notification_changes_nothing(store):
    given(store, Scenario("", setup=[("withdraw", BUYER, 5, {})]))
    result = follow(
        store, "notify_platform_refunding.json"
    )  # created at 2 h, the case moved at 5 h
    assert result.action == "stale" and store.get("C1").state == "cancelled"
    assert store.divergences() == []


def test_an_unreadable_notification_is_kept_not_raised(store):
    for body in ("not json", "[1, 2]", '{"Event": 7}', "{" * 100_000):
        notification = parse_notification(body)
        assert notification.kind == "unreadable" and notification.problem
        assert reconcile(store, notification).action == "divergence"
    reconcile(store, parse_notification("not json"))  # the same body again: kept once
    kept = store.divergences()
    assert len(kept) == 4
    # dated when it was read (the store's clock), not at a made-up time
    assert all(abs((d.at - store.clock()).total_seconds()) < 3600 for d in kept)


def test_a_push_of_an_event_we_do_not_follow_is_ignored_and_records_nothing(store):
    for event in ("channels_ec_order_pay", "product_spu_audit", "debug_demo"):
        notification = parse_notification({"Event": event, "CreateTime": 1772337600})
        assert (notification.kind, notification.status) == ("ignored", event)
        result = reconcile(store, notification)
        assert (result.action, result.case_id) == ("ignored", None)
    assert store.divergences() == [] and list(store.case_ids()) == []


def test_an_order_nobody_can_read_is_kept_not_raised(store):
    assert sync(store, {"after_sale_order": {"status": 5}}, shop=SHOP).action == "divergence"
    assert sync(store, "}{", shop=SHOP).action == "divergence"


def _walk(value: Any) -> Any:
    if isinstance(value, dict):
        yield value
        for inner in value.values():
            yield from _walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _walk(inner)


def test_every_status_and_named_refund_reason_of_section_10_has_a_scenario():
    from aftersales.wechat import STATUSES

    statuses, reasons = set(), set()
    for scenario in SCENARIOS.values():
        for name in [*scenario.before, scenario.fixture]:
            for obj in _walk(load(name)):
                if isinstance(obj.get("status"), str):
                    statuses.add(obj["status"])
                if isinstance(obj.get("refund_reason"), int):
                    reasons.add(obj["refund_reason"])
    assert set(STATUSES) <= statuses, set(STATUSES) - statuses
    # The refund reasons section 10 gives a meaning: expiries, acceptance, rulings, interception
    # and the merchant's agreement.
    assert {1, 3, 4, 5, 9, 11, 12, 22, 23} <= reasons
