"""A notification of an after-sale order no case is linked to: a typed ``unknown`` result that
says to fetch it and sync it (nothing recorded), or, with ``fetch=``, done in the same call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aftersales import PlatformError
from aftersales.wechat import ShopConfig, parse_notification, reconcile

FIXTURES = Path(__file__).parent / "fixtures"
SHOP = ShopConfig(shop_id="S1")
ORDER = json.loads((FIXTURES / "order_merchant_processing.json").read_text(encoding="utf-8"))


def notification(kind: str = "aftersale", status: Any = "MERCHANT_PROCESSING"):
    if kind == "complaint":
        inner = {"complaint_status": status, "after_sale_order_id": "WX-NEW", "complaint_id": "CP"}
        body = {"Event": "channels_ec_complaint_update", "finder_shop_complaint": inner}
    else:
        inner = {"status": status, "after_sale_order_id": "WX-NEW", "order_id": "O-WX-NEW"}
        body = {
            "Event": "channels_ec_aftersale_update",
            "finder_shop_aftersale_status_update": inner,
        }
    return parse_notification(json.dumps({**body, "CreateTime": 1772330400}))


class Fetch:
    def __init__(self, reply: Any = ORDER) -> None:
        self.reply, self.asked = reply, []

    def __call__(self, after_sale_order_id: str) -> Any:
        self.asked.append(after_sale_order_id)
        return self.reply


@pytest.mark.parametrize("kind", ["aftersale", "complaint"])
def test_an_unknown_order_says_fetch_it_and_keeps_no_divergence(store, kind):
    message = notification(kind, 100 if kind == "complaint" else "MERCHANT_PROCESSING")
    result = reconcile(store, message, shop=SHOP)
    assert (result.action, result.case_id, result.our_state) == ("unknown", None, None)
    assert "fetch it and sync it" in (result.reason or "")
    assert store.divergences() == [] and store.count_cases() == 0


def test_with_fetch_the_order_is_fetched_and_synced_in_one_call(store):
    fetch = Fetch()
    result = reconcile(store, notification(), shop=SHOP, fetch=fetch)
    assert fetch.asked == ["WX-NEW"]
    assert (result.action, result.case_id) == ("applied", "wx-WX-NEW")  # opened, deadline set
    case = store.get("wx-WX-NEW")
    assert case.state == "requested" and [e.event for e in case.events] == ["open", "set_deadline"]
    again = reconcile(store, notification(), shop=SHOP, fetch=fetch)  # now known: no fetch
    assert again.action == "in_sync" and fetch.asked == ["WX-NEW"]


def test_a_dispute_of_an_unknown_order_is_followed_once_the_order_is_synced(store):
    result = reconcile(store, notification("complaint", 100), shop=SHOP, fetch=Fetch())
    assert (result.action, result.case_id) == ("applied", "wx-WX-NEW")
    assert store.get("wx-WX-NEW").state == "platform_intervention"


def test_a_fetch_wechat_refuses_raises_and_records_nothing(store):
    fetch = Fetch({"errcode": 10021050, "errmsg": "after-sale order not found"})
    with pytest.raises(PlatformError) as info:
        reconcile(store, notification(), shop=SHOP, fetch=fetch)
    assert info.value.errcode == 10021050
    assert store.divergences() == [] and store.count_cases() == 0
