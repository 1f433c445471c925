"""Issue #21, items 1-4 and 12: what the merchant gave reaches WeChat and our log, through
outbound intents (spec section 12.2), and a shop's configuration only acts on its own cases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from aftersales import AftersalesError
from aftersales.wechat import ShopConfig, act, parse_notification, reconcile, sync
from tests.support import BUYER, MERCHANT, at, ev, facts
from tests.wechat.platform import notify

SHOP = ShopConfig(shop_id="S1", reject_reason_types={"refund": 4, "return_refund": 20})
OK = {"errcode": 0, "errmsg": "ok"}


class Gateway:
    """The caller's HTTP client, faked: records each call; answers ``replies`` in turn (an
    exception instance is raised, a callable is called first: WeChat's echo racing the reply)."""

    def __init__(self, *replies: Any) -> None:
        self.replies = list(replies) or [OK]
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, api: str, body: dict[str, Any]) -> Any:
        self.calls.append((api, body))
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, BaseException):
            raise reply
        if callable(reply):
            return reply()
        return reply


def image(ref: str = "m-1", media_id: str | None = "wx-1", kind: str = "image") -> dict[str, Any]:
    return {**ev(kind, ref), **({"media_id": media_id} if media_id else {})}


def opened(store, **overrides):
    store.open_case(facts(platform_id="WX-1", **overrides))


def declined(store):
    """A negotiation without evidence the buyer declined: a rejection now needs a media item."""
    opened(store, type="return_refund", category="fresh")
    data = {"negotiation_type": "modify_request", "reason": "refund_without_return"}
    store.send("C1", "negotiate", actor=MERCHANT, at=at(1), data={**data, "amount": 5000})
    store.send("C1", "decline", actor=BUYER, at=at(2))


def run(store, event, gateway, hours=3, shop=SHOP, command_id=None, **data):
    return act(
        store,
        "C1",
        event,
        actor=MERCHANT,
        at=at(hours),
        gateway=gateway,
        shop=shop,
        data=data,
        command_id=command_id,
    )


# -- item 1 ------------------------------------------------------------------------------------
def test_item_1_rejectapply_carries_reject_certificates(store):
    declined(store)
    gateway = Gateway()
    record = run(store, "reject", gateway, reject_reason="已发货", evidence=[image()])
    assert gateway.calls == [
        (
            "rejectapply",
            {
                "after_sale_order_id": "WX-1",
                "reject_reason_type": 20,
                "reject_reason": "已发货",
                "reject_certificates": ["wx-1"],
            },
        )
    ]
    assert record.data["evidence"][0]["media_id"] == "wx-1"
    assert store.assess("C1").rules == ("R4_defensible",)  # on evidence WeChat received


def test_item_1_defensible_only_on_evidence_without_media_id_is_refused_before_any_call(store):
    declined(store)
    gateway = Gateway()
    with pytest.raises(AftersalesError) as info:
        run(store, "reject", gateway, evidence=[image(media_id=None)])
    assert (info.value.code, info.value.field) == ("evidence_required", "evidence")
    assert gateway.calls == [] and store.get("C1").state == "buyer_declined"
    assert store.open_intents("C1") == []


# -- item 2 ------------------------------------------------------------------------------------
def test_item_2_reject_reason_type_chosen_per_command_else_the_shops_default(store):
    declined(store)
    gateway = Gateway()
    run(store, "reject", gateway, reject_reason_type=6, evidence=[image()])
    assert gateway.calls[-1][1]["reject_reason_type"] == 6
    assert store.history("C1")[-1].data["reject_reason_type"] == 6


def test_item_2_without_any_reject_reason_type_the_refusal_names_the_field(store):
    declined(store)
    gateway = Gateway()
    with pytest.raises(AftersalesError) as info:
        run(store, "reject", gateway, shop=ShopConfig(shop_id="S1"), evidence=[image()])
    assert (info.value.code, info.value.field) == ("invalid_input", "reject_reason_type")
    assert gateway.calls == []


# -- item 3 ------------------------------------------------------------------------------------
NEGOTIATION = {
    "negotiation_type": "invite_cancel",
    "reason": "shipped_interception_failed",
    "message": "已联系快递",
    "evidence": [image()],
}


def test_item_3_act_racing_the_echo_records_the_merchant_command(store):
    opened(store)

    def echo_first():  # WeChat's notification of the step arrives before its reply
        result = reconcile(store, notify("USER_WAIT_CONFIRM_UPDATE", 1), shop=SHOP)
        assert result.action == "applied"
        return OK

    record = run(store, "negotiate", Gateway(echo_first), hours=1, **NEGOTIATION)
    [_, negotiation] = store.history("C1")
    assert record == negotiation
    assert (negotiation.origin, negotiation.actor) == ("local", MERCHANT)
    assert negotiation.data["reason"] == "shipped_interception_failed"
    assert negotiation.data["message"] == "已联系快递"
    assert negotiation.data["evidence"][0]["media_id"] == "wx-1"
    assert store.open_intents() == []
    # later deliveries of the echo write nothing
    assert reconcile(store, notify("USER_WAIT_CONFIRM_UPDATE", 1), shop=SHOP).action == "in_sync"
    assert len(store.history("C1")) == 2


def test_item_3_a_crash_after_wechats_success_is_healed_with_the_full_data(store, monkeypatch):
    opened(store)
    real = store.send

    def crash(*args, **kwargs):
        raise OSError("the process died before writing")

    monkeypatch.setattr(store, "send", crash)
    with pytest.raises(OSError):
        run(store, "negotiate", Gateway(), hours=1, **NEGOTIATION)
    monkeypatch.setattr(store, "send", real)
    [intent] = store.open_intents("C1")
    assert intent.api == "merchantupdateaftersale" and intent.body["media_ids"] == ["wx-1"]
    order = {
        "after_sale_order_id": "WX-1",
        "status": "USER_WAIT_CONFIRM_UPDATE",
        "type": "REFUND",
        "update_time": int(at(1.1).timestamp()),
        "refund_info": {"amount": 10000},
    }
    assert sync(store, order, shop=SHOP).action == "applied"
    negotiation = store.history("C1")[-1]
    assert (negotiation.event, negotiation.origin) == ("negotiate", "local")
    assert negotiation.data["message"] == "已联系快递"
    assert store.open_intents() == [] and store.intent("C1", intent.command_id).status == "done"


# -- item 4 ------------------------------------------------------------------------------------
def test_item_4_a_retried_command_id_calls_wechat_once(store):
    opened(store)
    gateway = Gateway()
    first = run(store, "agree", gateway, hours=1, command_id="req-1")
    again = run(store, "agree", gateway, hours=1.5, command_id="req-1")
    assert first == again and len(gateway.calls) == 1
    assert first.command_id == "req-1"
    with pytest.raises(AftersalesError) as info:  # the same id for another command
        run(store, "reject", gateway, hours=2, command_id="req-1")
    assert info.value.code == "conflict" and len(gateway.calls) == 1


def test_item_4_clock_skew_is_checked_before_the_gateway(store):
    opened(store)
    gateway = Gateway()
    ahead = store.clock() + timedelta(hours=1)
    with pytest.raises(AftersalesError) as info:
        act(store, "C1", "agree", actor=MERCHANT, at=ahead, gateway=gateway, shop=SHOP)
    assert (info.value.code, info.value.field) == ("invalid_input", "at")
    assert gateway.calls == [] and store.open_intents() == []


def test_item_4_a_gateway_that_raises_is_retryable_and_nothing_is_done(store):
    opened(store)
    gateway = Gateway(TimeoutError("read timed out"), OK)
    with pytest.raises(AftersalesError) as info:
        run(store, "agree", gateway, hours=1, command_id="req-2")
    assert (info.value.code, info.value.retryable) == ("platform_error", True)
    assert [e.event for e in store.history("C1")] == ["open"]
    [intent] = store.open_intents("C1")  # WeChat may or may not have applied it
    assert (intent.command_id, intent.status) == ("req-2", "open")
    record = run(store, "agree", gateway, hours=1.2, command_id="req-2")  # the retry settles it
    assert record.state_after == "refunding" and len(gateway.calls) == 2
    assert store.intent("C1", "req-2").status == "done" and store.open_intents() == []


def test_item_4_a_refusal_closes_the_intent_as_failed(store):
    opened(store)
    gateway = Gateway({"errcode": 10021059, "errmsg": "too fast"}, OK)
    with pytest.raises(AftersalesError) as info:
        run(store, "agree", gateway, hours=1, command_id="req-3")
    assert info.value.retryable is True
    assert store.intent("C1", "req-3").status == "failed" and store.open_intents() == []
    assert run(store, "agree", gateway, hours=1.1, command_id="req-3").event == "agree"


def test_item_4_a_command_id_kept_for_another_command_is_a_conflict_before_any_call(store):
    opened(store)
    down = Gateway(TimeoutError("read timed out"))
    with pytest.raises(AftersalesError):
        run(store, "agree", down, hours=1, command_id="k1")  # left open: WeChat may have it
    gateway = Gateway()
    with pytest.raises(AftersalesError) as info:
        run(store, "reject", gateway, hours=2, command_id="k1", reject_reason="fine")
    assert (info.value.code, info.value.field) == ("conflict", "command_id")
    assert gateway.calls == [] and [e.event for e in store.history("C1")] == ["open"]
    assert store.intent("C1", "k1").event == "agree"  # the first command's intent, untouched


def test_item_4_a_gateway_that_could_not_send_is_not_a_maybe(store):
    from aftersales import InvalidInput, PlatformError

    opened(store)
    no_token = PlatformError("no token", "无令牌", "access_token", errcode=40125, errmsg="bad")
    for error, code in ((no_token, 40125), (InvalidInput("bad url", "坏地址", "api_name"), None)):
        with pytest.raises(AftersalesError) as info:
            run(store, "agree", Gateway(error), hours=1, command_id=f"k-{code}")
        assert info.value is error  # passed through, not "WeChat may or may not have acted"
        assert store.intent("C1", f"k-{code}").status == "failed"
    assert store.open_intents() == []


# -- item 12 -----------------------------------------------------------------------------------
def test_item_12_act_refuses_another_shops_config(store):
    opened(store)
    gateway = Gateway()
    with pytest.raises(AftersalesError) as info:
        run(store, "agree", gateway, hours=1, shop=ShopConfig(shop_id="S2"))
    assert (info.value.code, info.value.field) == ("permission_denied", "shop_id")
    assert gateway.calls == []


def test_item_12_a_dispute_with_another_shops_config_is_refused_too(store):
    from aftersales.wechat import sync_complaint

    opened(store)
    other = ShopConfig(shop_id="S2")
    pushed = {
        "Event": "channels_ec_complaint_update",
        "CreateTime": int(at(2).timestamp()),
        "finder_shop_complaint": {
            "after_sale_order_id": "WX-1",
            "complaint_status": 101,
            "complaint_id": "CP-1",
        },
    }
    with pytest.raises(AftersalesError) as info:
        reconcile(store, parse_notification(pushed), shop=other)
    assert (info.value.code, info.value.field) == ("permission_denied", "shop_id")
    fetched = {"after_sale_order_id": "WX-1", "status": 101, "history": []}
    with pytest.raises(AftersalesError):
        sync_complaint(store, fetched, shop=other)
    assert store.get("C1").state == "requested" and store.complaint_id("C1") is None


def test_item_12_sync_refuses_another_shops_config_and_never_opens_its_lines(store):
    opened(store)
    fetched = {
        "after_sale_order_id": "WX-1",
        "status": "USER_CANCELD",
        "order_id": "O1",
        "type": "REFUND",
        "create_time": int(at(0).timestamp()),
        "update_time": int(at(1).timestamp()),
        "refund_info": {"amount": 10000},
    }
    other = ShopConfig(shop_id="S2")
    with pytest.raises(AftersalesError) as info:
        sync(store, fetched, shop=other)
    assert info.value.code == "permission_denied"
    with pytest.raises(AftersalesError):
        reconcile(store, notify("USER_CANCELD", 1), shop=other)
    assert store.get("C1").state == "requested"
    # another after-sale of the same order, fetched with another shop's configuration
    second = {**fetched, "after_sale_order_id": "WX-2", "status": "MERCHANT_PROCESSING"}
    found = sync(store, second, shop=other)
    assert found.action == "divergence" and "another shop" in found.reason
    assert store.count_cases() == 1


def test_item_4_verify_lists_an_intent_nobody_completed(tmp_path):
    from aftersales.storage import CaseStore
    from aftersales.storage.verify import verify

    now = [at(1)]
    store = CaseStore(f"sqlite:///{tmp_path / 'v.db'}", clock=lambda: now[0])
    store.create_schema()
    opened(store)
    with pytest.raises(AftersalesError):
        run(store, "agree", Gateway(TimeoutError("lost")), hours=1, command_id="req-9")
    assert verify(store).notes == ()  # within the bound: WeChat may still answer
    now[0] = at(2.5)
    report = verify(store)
    assert report.ok  # information for an operator, not a failed verification
    [note] = report.notes
    assert "req-9" in note and "sync" in note
