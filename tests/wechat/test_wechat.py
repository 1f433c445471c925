"""WeChat Shop interop: status mapping both ways, payload bodies, replies and callbacks."""

from __future__ import annotations

import json

import pytest

from aftersales import AftersalesError, InvalidInput, NotFound, open_case
from aftersales.storage import CaseStore
from aftersales.wechat import (
    PlatformTargetError,
    acceptapply_body,
    error_for_platform_reply,
    merchantupdateaftersale_body,
    parse_notification,
    reconcile,
    rejectapply_body,
    states_for_status,
    status_for,
)
from aftersales.workflow.graph import machine_graph
from tests.support import MERCHANT, at, ev, facts, negotiate

# -- status mapping ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "case_type", "status"),
    [
        ("requested", "refund", "MERCHANT_PROCESSING"),
        ("buyer_declined", "refund", "MERCHANT_PROCESSING"),
        ("buyer_timed_out", "return_refund", "MERCHANT_PROCESSING"),
        ("evidence_supplied", "refund", "MERCHANT_PROCESSING"),
        ("negotiating", "refund", "USER_WAIT_CONFIRM_UPDATE"),
        ("awaiting_return", "return_refund", "USER_WAIT_RETURN"),
        ("awaiting_receipt", "return_refund", "MERCHANT_WAIT_RECEIPT"),
        ("refunding", "refund", "PLATFORM_REFUNDING"),
        ("refund_failed", "refund", "PLATFORM_REFUND_FAIL"),
        ("rejected", "refund", "MERCHANT_REJECT_REFUND"),
        ("rejected", "return_refund", "MERCHANT_REJECT_RETURN"),
        ("cancelled", "refund", "USER_CANCELD"),
        ("refunded", "refund", "MERCHANT_REFUND_SUCCESS"),
        ("refunded", "return_refund", "MERCHANT_RETURN_SUCCESS"),
        ("partially_refunded", "return_refund", "MERCHANT_REFUND_SUCCESS"),
        ("closed", "refund", "MERCHANT_FAIL"),
    ],
)
def test_status_both_ways(state, case_type, status):
    assert status_for(state, case_type) == status
    assert state in states_for_status(status)


def test_reverse_mapping_lists_every_meaning_and_refuses_unknown():
    assert states_for_status("MERCHANT_PROCESSING") == {
        "requested",
        "buyer_declined",
        "buyer_timed_out",
        "evidence_supplied",
    }
    assert states_for_status("MERCHANT_REFUND_SUCCESS") == {"refunded", "partially_refunded"}
    with pytest.raises(InvalidInput) as info:
        states_for_status("EXCHANGE_SOMETHING")
    assert info.value.field == "status"
    unmapped = {s for s in machine_graph().states if status_for(s, "refund") is None}
    assert unmapped == {"buyer_accepted", "platform_intervention"}


# -- outgoing payloads ------------------------------------------------------------------------


def test_negotiation_body_has_the_platform_fields():
    case = open_case(facts(category="fresh", type="return_refund"))
    record = negotiate(
        case,
        "refund_without_return",
        amount=8000,
        message="不用寄回",
        evidence=[ev("image", "media-9"), ev("reshipment_tracking", "SF1")],
    )
    body = merchantupdateaftersale_body(case, record, "AS-1")
    assert body == {
        "after_sale_order_id": "AS-1",
        "type": 1,
        "amount": 8000,
        "merchant_update_desc": body["merchant_update_desc"],
        "update_reason_type": 8,
        "merchant_update_type": 3,
        "media_ids": ["media-9"],
    }
    assert body["merchant_update_desc"].endswith("不用寄回")


def test_reason_without_wechat_code_is_refused_by_name():
    case = open_case(facts())
    record = negotiate(case, "agreed_cancel", evidence=[ev("chat_record")])
    with pytest.raises(PlatformTargetError) as info:
        merchantupdateaftersale_body(case, record, "AS-1")
    assert "agreed_cancel" in str(info.value) and info.value.code == "invalid_input"


def test_reject_and_accept_bodies():
    case = open_case(facts(type="return_refund"))
    assert acceptapply_body(case, "AS-2", "addr-1") == {
        "after_sale_order_id": "AS-2",
        "accept_type": 1,
        "address_id": "addr-1",
    }
    with pytest.raises(InvalidInput):
        acceptapply_body(case, "AS-2")
    assert acceptapply_body(open_case(facts()), "AS-3") == {
        "after_sale_order_id": "AS-3",
        "accept_type": 2,
    }
    record = case.send("reject", actor=MERCHANT, at=at(1), reject_reason="商品已影响二次销售")
    assert rejectapply_body(record, "AS-2", 20) == {
        "after_sale_order_id": "AS-2",
        "reject_reason_type": 20,
        "reject_reason": "商品已影响二次销售",
    }


def test_platform_replies_map_to_our_codes():
    assert error_for_platform_reply(0) is None
    assert error_for_platform_reply(10021068, "需先协商").code == "negotiation_required"
    assert error_for_platform_reply(10020001).code == "transition_not_allowed"
    assert error_for_platform_reply(10021041).code == "transition_not_allowed"
    assert error_for_platform_reply(9700223) is None


# -- callbacks --------------------------------------------------------------------------------


def notification(status: str, create_time: int = 1772330400, after_sale_order_id: str = "AS-1"):
    return json.dumps(
        {
            "ToUserName": "gh_shop",
            "FromUserName": "OpenID",
            "CreateTime": create_time,
            "MsgType": "event",
            "Event": "channels_ec_aftersale_update",
            "finder_shop_aftersale_status_update": {
                "status": status,
                "after_sale_order_id": after_sale_order_id,
                "order_id": "O1",
            },
        }
    )


@pytest.fixture
def linked(tmp_path):
    store = CaseStore(f"sqlite:///{tmp_path / 'wx.db'}")
    store.create_schema()

    def make(**overrides):
        store.open_case(facts(**overrides))
        store.link_platform_id("C1", "AS-1")
        return store

    yield make
    store.engine.dispose()


def test_parse_notification_and_bad_input():
    parsed = parse_notification(notification("USER_CANCELD"))
    assert (parsed.status, parsed.after_sale_order_id, parsed.order_id) == (
        "USER_CANCELD",
        "AS-1",
        "O1",
    )
    for bad in ('{"Event": "other"}', "not json", notification("NO_SUCH_STATUS")):
        with pytest.raises(AftersalesError):
            parse_notification(bad)


def test_buyer_cancelled_is_applied_and_a_redelivery_changes_nothing(linked):
    store = linked()
    done = reconcile(store, parse_notification(notification("USER_CANCELD")))
    assert (done.action, done.event) == ("applied", "withdraw")
    events = len(store.history("C1"))
    again = reconcile(store, parse_notification(notification("USER_CANCELD")))
    assert again.action == "in_sync" and len(store.history("C1")) == events


def test_buyer_accepting_an_invitation_to_cancel(linked):
    store = linked()
    store.send(
        "C1",
        "negotiate",
        actor=MERCHANT,
        at=at(1),
        negotiation_type="invite_cancel",
        reason="agreed_cancel",
        evidence=[ev("chat_record")],
    )
    done = reconcile(store, parse_notification(notification("USER_CANCELD")))
    assert (done.action, done.event) == ("applied", "accept")
    assert store.get("C1").path[-2:] == ["buyer_accepted", "cancelled"]


@pytest.mark.parametrize(
    ("status", "event", "state"),
    [
        ("MERCHANT_REFUND_SUCCESS", "refund_succeeded", "refunded"),
        ("PLATFORM_REFUND_FAIL", "refund_failed", "refund_failed"),
    ],
)
def test_refund_outcomes(linked, status, event, state):
    store = linked()
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    done = reconcile(store, parse_notification(notification(status)))
    assert (done.action, done.event, store.get("C1").state) == ("applied", event, state)


def test_return_shipped(linked):
    store = linked(type="return_refund")
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    done = reconcile(store, parse_notification(notification("MERCHANT_WAIT_RECEIPT")))
    assert (done.action, store.get("C1").state) == ("applied", "awaiting_receipt")
    assert store.history("C1")[-1].data == {"tracking": "wechat:AS-1"}


def test_unexplained_status_is_a_divergence_recorded_once(linked):
    store = linked()
    for _ in range(2):  # the platform pushes the same notification again
        done = reconcile(store, parse_notification(notification("MERCHANT_FAIL")))
        assert done.action == "divergence"
    [divergence] = store.divergences()
    assert (divergence["our_state"], divergence["platform_status"]) == (
        "requested",
        "MERCHANT_FAIL",
    )
    assert store.get("C1").state == "requested"


def test_unknown_platform_id(linked):
    store = linked()
    with pytest.raises(NotFound):
        reconcile(store, parse_notification(notification("USER_CANCELD", after_sale_order_id="X")))
    store.link_platform_id("C1", "AS-NEW")  # a re-application brought a new platform id
    assert store.case_for_platform_id("AS-NEW") == "C1"
