"""Platform first (spec section 10.4): WeChat hears a merchant command before it is recorded."""

from __future__ import annotations

from typing import Any

import pytest

from aftersales import AftersalesError
from aftersales.wechat import (
    ShopConfig,
    act,
    error_for_platform_reply,
    parse_notification,
    reconcile,
    sync,
)
from tests.support import BUYER, MERCHANT, SYSTEM, at, ev, facts

SHOP = ShopConfig(
    shop_id="S1",
    reject_reason_types={"refund": 4, "return_refund": 20, "exchange": 20, "reship": 19},
    address_id="ADDR-1",
    delivery_id="YD",
)


class Gateway:
    """The caller's HTTP client, faked: records each call and answers ``reply``."""

    def __init__(self, reply: dict[str, Any] | None = None) -> None:
        self.reply = reply or {"errcode": 0, "errmsg": "ok"}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, api: str, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((api, body))
        return self.reply


def image(ref: str = "m-1", media_id: str | None = "wx-1") -> dict[str, Any]:
    return {**ev("image", ref), **({"media_id": media_id} if media_id else {})}


def opened(store, **overrides):
    store.open_case(facts(platform_id="WX-1", **overrides))


def send(store, event, gateway, actor=MERCHANT, hours=1, shop=SHOP, **data):
    return act(store, "C1", event, actor=actor, at=at(hours), gateway=gateway, shop=shop, data=data)


def test_agree_on_a_refund_and_on_a_return(store):
    opened(store)
    gateway = Gateway()
    record = send(store, "agree", gateway)
    assert gateway.calls == [("acceptapply", {"after_sale_order_id": "WX-1", "accept_type": 2})]
    assert record.state_after == "refunding" and record.command_id.startswith("wechat:WX-1:")


def test_agree_to_a_return_needs_the_address(store):
    opened(store, type="return_refund")
    gateway = Gateway()
    with pytest.raises(AftersalesError) as info:
        send(store, "agree", gateway, shop=ShopConfig(shop_id="S1"))
    assert (info.value.code, info.value.field, gateway.calls) == ("invalid_input", "address_id", [])
    send(store, "agree", gateway)
    assert gateway.calls[-1][1] == {
        "after_sale_order_id": "WX-1",
        "accept_type": 1,
        "address_id": "ADDR-1",
    }
    store.send("C1", "ship_return", actor=BUYER, at=at(2), data={"tracking": "SF1"})
    send(store, "confirm_receipt", gateway, hours=3)
    assert gateway.calls[-1] == ("acceptapply", {"after_sale_order_id": "WX-1", "accept_type": 2})


def test_negotiation_body_with_the_catalogs_code_and_media_ids(store):
    opened(store)
    gateway = Gateway()
    send(
        store,
        "negotiate",
        gateway,
        negotiation_type="invite_cancel",
        reason="shipped_interception_failed",
        message="已联系快递",
        evidence=[image(), ev("reshipment_tracking", "SF9"), image("m-2", media_id=None)],
    )
    [(api, body)] = gateway.calls
    assert api == "merchantupdateaftersale"
    assert body["update_reason_type"] == 9 and body["merchant_update_type"] == 1
    assert body["type"] == 1 and body["amount"] == 10000
    assert body["media_ids"] == ["wx-1"]  # only items uploaded to WeChat, and only media
    assert body["merchant_update_desc"].endswith(" 已联系快递")


def test_a_reason_without_a_wechat_code_is_refused_before_any_call(store):
    opened(store)
    gateway = Gateway()
    data = {"negotiation_type": "invite_cancel", "reason": "agreed_cancel", "evidence": [image()]}
    with pytest.raises(AftersalesError) as info:
        send(store, "negotiate", gateway, **data)
    assert (info.value.code, info.value.field) == ("invalid_reason", "reason")
    assert "agreed_cancel" in info.value.message_en and gateway.calls == []
    configured = ShopConfig(shop_id="S1", reason_codes={"agreed_cancel": 46})
    send(store, "negotiate", gateway, shop=configured, **data)
    assert gateway.calls[0][1]["update_reason_type"] == 46


def test_a_need_image_reason_without_a_wechat_media_id_is_refused_before_any_call(store):
    opened(store)
    gateway = Gateway()
    with pytest.raises(AftersalesError) as info:
        send(
            store,
            "negotiate",
            gateway,
            negotiation_type="invite_cancel",
            reason="shipped_interception_failed",
            evidence=[image(media_id=None)],
        )
    assert info.value.code == "evidence_required" and gateway.calls == []


def test_a_command_the_library_refuses_never_reaches_wechat(store):
    opened(store)
    gateway = Gateway()
    with pytest.raises(AftersalesError) as info:
        send(store, "confirm_receipt", gateway)
    assert info.value.code == "transition_not_allowed" and gateway.calls == []
    with pytest.raises(AftersalesError):
        send(store, "agree", gateway, actor=BUYER)
    assert gateway.calls == [] and len(store.history("C1")) == 1


def test_rejections_and_the_refusal_to_reship(store):
    opened(store)
    gateway = Gateway()
    send(store, "reject", gateway, reject_reason="已在约定时间发货")
    assert gateway.calls[-1] == (
        "rejectapply",
        {
            "after_sale_order_id": "WX-1",
            "reject_reason_type": 4,
            "reject_reason": "已在约定时间发货",
        },
    )


def test_exchange_calls(store):
    opened(store, type="exchange")
    gateway = Gateway()
    send(store, "agree", gateway)
    store.send("C1", "ship_return", actor=BUYER, at=at(2), data={"tracking": "SF1"})
    probe = store.get("C1")
    assert probe.state == "awaiting_receipt"
    send(store, "reship", gateway, hours=3, tracking="YD123")
    assert gateway.calls[-1] == (
        "acceptexchangereship",
        {"after_sale_order_id": "WX-1", "waybill_id": "YD123", "delivery_id": "YD"},
    )


def test_refusing_to_reship_carries_the_certificates(store):
    opened(store, type="exchange")
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    store.send("C1", "ship_return", actor=BUYER, at=at(2), data={"tracking": "SF1"})
    gateway = Gateway()
    send(store, "reject", gateway, hours=3, evidence=[image()])
    assert gateway.calls[-1] == (
        "rejectexchangereship",
        {"after_sale_order_id": "WX-1", "reject_reason_type": 19, "reject_certificates": ["wx-1"]},
    )


def test_refund_certificate_and_dispute_evidence(store):
    opened(store)
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    store.send("C1", "refund_failed", actor=SYSTEM, at=at(2))
    gateway = Gateway()
    proof = {**ev("payment_proof"), "media_id": "wx-pay"}
    send(store, "refund_offline", gateway, hours=3, evidence=[proof])
    assert gateway.calls[-1][0] == "uploadrefundcertificate"
    assert gateway.calls[-1][1]["refund_certificates"] == ["wx-pay"]


def test_dispute_evidence_needs_the_dispute(store):
    opened(store)
    store.send("C1", "reject", actor=MERCHANT, at=at(1))
    gateway = Gateway()
    store.send("C1", "escalate", actor=BUYER, at=at(2))
    with pytest.raises(AftersalesError) as info:
        send(store, "submit_evidence", gateway, hours=3, evidence=[image()])
    assert info.value.field == "complaint_id" and gateway.calls == []
    note = {
        "CreateTime": int(at(2.5).timestamp()),
        "Event": "channels_ec_complaint_update",
        "finder_shop_complaint": {
            "complaint_status": 103,
            "after_sale_order_id": "WX-1",
            "complaint_id": "CP-9",
            "order_id": "O1",
        },
    }
    reconcile(store, parse_notification(note))
    send(store, "submit_evidence", gateway, hours=3, evidence=[image()])
    assert gateway.calls[-1] == (  # 103: a message (#21 item 10); a proof only at 106/108
        "addcomplaintmaterial",
        {"complaint_id": "CP-9", "content": "商家按平台要求补充凭证。", "media_id_list": ["wx-1"]},
    )


@pytest.mark.parametrize(
    ("errcode", "code", "retryable"),
    [
        (10021068, "negotiation_required", None),
        (10020001, "transition_not_allowed", None),
        (10021041, "transition_not_allowed", None),
        (10021051, "transition_not_allowed", None),
        (10021060, "invalid_input", None),
        (10021062, "invalid_input", None),
        (10021059, "platform_error", True),
        (-1, "platform_error", True),
        (45011, "platform_error", True),
        (10021045, "platform_error", False),
        (10021046, "platform_error", False),
        (99999999, "platform_error", False),
    ],
)
def test_wechat_refusals_record_nothing(store, errcode, code, retryable):
    opened(store)
    gateway = Gateway({"errcode": errcode, "errmsg": "refused"})
    with pytest.raises(AftersalesError) as info:
        send(store, "reject", gateway)
    assert info.value.code == code
    if retryable is not None:
        assert (info.value.errcode, info.value.retryable) == (errcode, retryable)
    assert [e.event for e in store.history("C1")] == ["open"]
    [refusal] = store.refusals("C1")  # kept with the store's own refusals
    assert (refusal.event, refusal.code) == ("reject", code)


def test_error_for_platform_reply_is_none_only_for_success():
    assert error_for_platform_reply(0) is None
    assert error_for_platform_reply(12345).code == "platform_error"


def test_a_crash_after_wechats_success_is_healed_by_the_next_sync(store, monkeypatch):
    opened(store)
    gateway = Gateway()
    real_send = store.send

    def crash(*args, **kwargs):
        raise OSError("the process died before writing")

    monkeypatch.setattr(store, "send", crash)
    with pytest.raises(OSError):
        send(store, "agree", gateway)
    monkeypatch.setattr(store, "send", real_send)
    assert len(gateway.calls) == 1 and store.get("C1").state == "requested"
    order = {
        "after_sale_order": {
            "after_sale_order_id": "WX-1",
            "status": "PLATFORM_REFUNDING",
            "type": "REFUND",
            "update_time": int(at(1).timestamp()),
            "refund_info": {"amount": 10000, "refund_reason": 3},
        }
    }
    assert sync(store, order).action == "applied"
    assert sync(store, order).action == "in_sync"
    assert [e.event for e in store.history("C1")] == ["open", "agree"]


def test_a_notification_echoing_a_local_command_writes_nothing(store):
    opened(store)
    send(store, "agree", Gateway())
    body = {
        "CreateTime": int(at(1).timestamp()),
        "Event": "channels_ec_aftersale_update",
        "finder_shop_aftersale_status_update": {
            "status": "PLATFORM_REFUNDING",
            "after_sale_order_id": "WX-1",
            "order_id": "O1",
        },
    }
    for _ in range(10):
        assert reconcile(store, parse_notification(body)).action == "in_sync"
    assert [e.event for e in store.history("C1")] == ["open", "agree"]


def test_link_platform_id_refuses_a_second_case(store):
    opened(store)
    store.open_case(facts(case_id="C2"))
    with pytest.raises(AftersalesError) as info:
        store.link_platform_id("C2", "WX-1")
    assert info.value.code == "conflict"
