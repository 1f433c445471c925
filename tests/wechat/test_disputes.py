"""Issue #21 item 10: disputes. What the merchant sends during one, and what WeChat keeps
showing meanwhile."""

from __future__ import annotations

from typing import Any

from aftersales.wechat import ShopConfig, act, parse_notification, reconcile, sync, sync_complaint
from tests.support import BUYER, MERCHANT, at, facts

SHOP = ShopConfig(shop_id="S1")
OK = {"errcode": 0, "errmsg": "ok"}


def complaint(status: int, hours: float) -> Any:
    return parse_notification(
        {
            "CreateTime": int(at(hours).timestamp()),
            "Event": "channels_ec_complaint_update",
            "finder_shop_complaint": {
                "complaint_status": status,
                "after_sale_order_id": "WX-1",
                "complaint_id": "CP-1",
                "order_id": "O1",
            },
        }
    )


def disputed(store) -> list[tuple[str, dict[str, Any]]]:
    """A rejected case the buyer took to the platform (dispute status 103); the gateway's calls."""
    store.open_case(facts(platform_id="WX-1"))
    store.send("C1", "reject", actor=MERCHANT, at=at(1))
    store.send("C1", "escalate", actor=BUYER, at=at(2))
    assert reconcile(store, complaint(103, 2.5)).action == "in_sync"
    return []


def submit(store, calls, hours, **data):
    def gateway(api: str, body: dict[str, Any]) -> dict[str, Any]:
        calls.append((api, body))
        if api == "addcomplaintproof" and not store.get("C1").record.evidence_demanded:
            return {"errcode": 10021504, "errmsg": "not in merchant-evidence status"}
        return OK

    return act(
        store,
        "C1",
        "submit_evidence",
        actor=MERCHANT,
        at=at(hours),
        gateway=gateway,
        shop=SHOP,
        data=data,
    )


def test_item_10_a_message_during_customer_service_goes_by_addcomplaintmaterial(store):
    calls = disputed(store)
    note = {"kind": "chat_record", "ref": "c-1", "note": "买家已同意取消"}
    record = submit(store, calls, 3, evidence=[note])
    assert record.event == "submit_evidence"
    assert calls == [
        (
            "addcomplaintmaterial",
            {"complaint_id": "CP-1", "content": "买家已同意取消", "media_id_list": []},
        )
    ]


def test_item_10_evidence_the_platform_demands_goes_by_addcomplaintproof(store):
    calls = disputed(store)
    assert reconcile(store, complaint(106, 3)).action == "applied"
    proof = {"kind": "image", "ref": "m-1", "media_id": "wx-1"}
    submit(store, calls, 4, evidence=[proof])
    assert [api for api, _ in calls] == ["addcomplaintproof"]
    assert calls[0][1]["media_id_list"] == ["wx-1"]


def test_item_10_the_status_wechat_keeps_showing_during_a_dispute_is_in_sync(store):
    disputed(store)
    for hours in (3, 10, 30):  # every periodic sync of the after-sale order
        order = {
            "after_sale_order_id": "WX-1",
            "status": "MERCHANT_REJECT_REFUND",
            "type": "REFUND",
            "update_time": int(at(hours).timestamp()),
            "complaint_id": "CP-1",
            "refund_info": {"amount": 10000},
        }
        assert sync(store, order, shop=SHOP).action == "in_sync"
    assert store.divergences() == [] and store.get("C1").state == "platform_intervention"


# -- appeals: complaint history items 34-37 --------------------------------------------------
def dispute_history(*items: tuple[int, float]) -> dict[str, Any]:
    """A getcomplaintorder reply whose history holds ``(item_type, hours)``, newest first as
    the official example lists it."""
    history = [
        {"item_type": kind, "time": int(at(hours).timestamp()), "media_id_list": []}
        for kind, hours in sorted(items, key=lambda item: -item[1])
    ]
    return {
        "errcode": 0,
        "complaint_id": "CP-1",
        "after_sale_order_id": "WX-1",
        "order_id": "O1",
        "status": 112,
        "history": [{"item_type": 1, "time": int(at(2).timestamp())}, *history],
    }


def test_item_10_appeal_effective_lifts_the_merchants_liability(store):
    disputed(store)
    found = sync_complaint(store, dispute_history((31, 5), (35, 9)))
    assert (found.action, found.our_state) == ("applied", "refunding")
    case = store.get("C1")
    assert case.liability == "none"  # the merchant's appeal held: no party at fault
    assert case.record.refund_due == 10000  # the platform's refund on its ruling stands
    ruling = store.history("C1")[-1]
    assert (ruling.event, ruling.at) == ("rule", at(9))
    assert sync_complaint(store, dispute_history((31, 5), (35, 9))).action == "in_sync"


def test_item_10_appeal_invalid_leaves_the_ruling(store):
    disputed(store)
    found = sync_complaint(store, dispute_history((31, 5), (34, 9)))
    assert found.our_state == "refunding" and store.get("C1").liability == "merchant"


def test_item_10_appeal_history_is_read_in_time_order(store):
    disputed(store)
    # listed newest first: the ruling that stands is the latest, and an appeal judged before
    # it does not reverse it
    sync_complaint(store, dispute_history((30, 4), (35, 5), (31, 8)))
    assert store.get("C1").liability == "merchant"


def test_item_10_appeal_effective_after_the_case_took_the_ruling_is_a_divergence(store):
    disputed(store)
    assert sync_complaint(store, dispute_history((31, 5))).our_state == "refunding"
    found = sync_complaint(store, dispute_history((31, 5), (35, 9)))
    assert found.action == "divergence" and "appeal effective" in found.reason
    assert store.get("C1").liability == "merchant"  # nothing changed, said once
    assert sync_complaint(store, dispute_history((31, 5), (35, 9))).action == "divergence"
    assert len(store.divergences()) == 1


def test_item_10_appeal_refund_checks_change_no_ruling(store):
    disputed(store)
    found = sync_complaint(store, dispute_history((30, 5), (36, 6), (37, 7)))
    assert found.our_state == "closed" and store.get("C1").liability == "buyer"
