"""Issue #21 items 6, 7 and 9: the platform's clock and every status it sends, read right."""

from __future__ import annotations

import threading
from typing import Any

from aftersales import Actor
from aftersales.storage import CaseStore
from aftersales.wechat import ShopConfig, parse_notification, reconcile, sync
from tests.conftest import fresh_pg, pg_url_or_skip
from tests.support import MERCHANT, SYSTEM, at, facts
from tests.wechat.platform import notify, order

SHOP = ShopConfig(shop_id="S1")


def clocked(tmp_path, hours: float) -> CaseStore:
    """A store whose clock stands at ``at(hours)``."""
    store = CaseStore(f"sqlite:///{tmp_path / 'clock.db'}", clock=lambda: at(hours))
    store.create_schema()
    store.open_case(facts(platform_id="WX-1"))
    return store


# -- item 7 ------------------------------------------------------------------------------------
def test_item_7_a_notification_stamped_ahead_of_our_clock_is_applied(tmp_path):
    store = clocked(tmp_path, 1)
    found = reconcile(store, notify("USER_CANCELD", 1.5), shop=SHOP)  # 30 min ahead of us
    assert (found.action, found.our_state) == ("applied", "cancelled")
    [_, withdrawal] = store.history("C1")
    assert withdrawal.at == at(1)  # recorded at our now: our later commands still follow it
    assert reconcile(store, notify("USER_CANCELD", 1.5), shop=SHOP).action == "in_sync"
    assert store.divergences() == []


def test_item_7_an_order_stamped_ahead_of_our_clock_opens_and_applies(tmp_path):
    store = CaseStore(f"sqlite:///{tmp_path / 'o.db'}", clock=lambda: at(1))
    store.create_schema()
    ahead = order("USER_CANCELD", 2, create_time=int(at(1.5).timestamp()))
    found = sync(store, ahead, shop=SHOP)
    assert (found.action, found.our_state) == ("applied", "cancelled")
    assert store.get("wx-WX-1").record.facts.opened_at == at(1)


def deliver_six(store: CaseStore, platform_id: str) -> tuple[list[str], list[BaseException]]:
    """The same notification delivered six times at once; each delivery's result or error."""
    body = {
        "CreateTime": int(at(1).timestamp()),
        "Event": "channels_ec_aftersale_update",
        "finder_shop_aftersale_status_update": {
            "status": "USER_CANCELD",
            "after_sale_order_id": platform_id,
        },
    }
    results: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def deliver() -> None:
        start.wait()
        try:
            results.append(reconcile(store, parse_notification(body), shop=SHOP).action)
        except Exception as exc:  # the point: nothing may raise
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_item_7_six_concurrent_deliveries_on_postgresql_apply_once():
    store = CaseStore(fresh_pg(pg_url_or_skip()))
    store.create_schema()
    for round_ in range(8):
        store.open_case(facts(case_id=f"C{round_}", platform_id=f"WX-{round_}"))
        results, errors = deliver_six(store, f"WX-{round_}")
        assert errors == []
        assert sorted(results) == ["applied"] + ["in_sync"] * 5
        assert [e.event for e in store.history(f"C{round_}")] == ["open", "withdraw"]
    store.engine.dispose()


# -- item 6 ------------------------------------------------------------------------------------
def test_item_6_a_deadline_as_remaining_seconds_is_read(tmp_path):
    store = clocked(tmp_path, 2)
    found = sync(store, order("MERCHANT_PROCESSING", 1, deadline=20 * 3600), shop=SHOP)
    assert found.action == "applied"
    assert store.get("C1").timer.due == at(2 + 20)  # counted from the fetch, our clock


def test_item_6_an_absolute_deadline_as_today(tmp_path):
    store = clocked(tmp_path, 2)
    sync(store, order("MERCHANT_PROCESSING", 1, deadline=int(at(36).timestamp())), shop=SHOP)
    assert store.get("C1").timer.due == at(36)


# -- item 9 ------------------------------------------------------------------------------------
def test_item_9_user_wait_confirm_is_not_final(store):
    store.open_case(facts(platform_id="WX-1"))
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    store.send("C1", "refund_failed", actor=SYSTEM, at=at(2))
    waiting = order(
        "USER_WAIT_CONFIRM", 3, merchant_upload_info={"refund_certificates": ["wx-cert"]}
    )
    assert sync(store, waiting, shop=SHOP).action == "in_sync"
    assert store.get("C1").state == "refund_failed" and not store.get("C1").final
    done = order(
        "MERCHANT_REFUND_SUCCESS", 4, merchant_upload_info={"refund_certificates": ["wx-cert"]}
    )
    assert sync(store, done, shop=SHOP).our_state == "refunded"
    offline = store.history("C1")[-1]
    assert offline.event == "refund_offline"
    assert offline.data["evidence"][0]["media_id"] == "wx-cert"


def test_item_9_reship_and_price_difference_refunds_are_typed_divergences(store):
    reship = order("MERCHANT_PROCESSING", 1, type="RESHIP", after_sale_order_id="WX-R")
    found = sync(store, reship, shop=SHOP)
    assert found.action == "divergence" and "reship" in found.reason
    diff = order("MERCHANT_PROCESSING", 1, sub_type="REFUND_PRICE_DIFF", after_sale_order_id="WX-D")
    found = sync(store, diff, shop=SHOP)
    assert found.action == "divergence" and "REFUND_PRICE_DIFF" in found.reason
    assert store.count_cases() == 0


def test_item_9_the_platforms_auto_agree_is_recorded_as_the_platforms_act(store):
    store.open_case(facts(platform_id="WX-1", shipped=False))
    agreed = order("PLATFORM_REFUNDING", 0.1, refund_info={"amount": 10000, "refund_reason": 4})
    assert sync(store, agreed, shop=SHOP).our_state == "refunding"
    expiry = store.history("C1")[-1]
    assert (expiry.event, expiry.origin) == ("expire", "platform")
    assert expiry.actor.id == "platform_auto_agree"  # not a merchant who let the window lapse
    assert expiry.at == at(0.1)  # at once, long before the merchant's 48 h


def test_item_9_an_exchange_records_the_new_sku(store):
    store.open_case(facts(platform_id="WX-1", type="exchange", sku_id="SKU1"))
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    store.send("C1", "ship_return", actor=Actor.buyer("B1"), at=at(2), data={"tracking": "SF1"})
    shipped = order(
        "USER_WAIT_RECEIPT",
        3,
        type="EXCHANGE",
        exchange_delivery_info={"waybill_id": "YD9"},
        exchange_product_info={"product_id": "P1", "sku_id": "SKU2", "product_cnt": 1},
    )
    assert sync(store, shipped, shop=SHOP).our_state == "exchange_shipped"
    reship = store.history("C1")[-1]
    assert (reship.event, reship.data) == ("reship", {"tracking": "YD9", "sku_id": "SKU2"})


def opened_goods(store: CaseStore, ident: str, **extra: Any) -> tuple[bool, bool]:
    """Open a case from an order and return its ``shipped`` and ``received`` facts."""
    sync(store, order("MERCHANT_PROCESSING", 0.5, after_sale_order_id=ident, **extra), shop=SHOP)
    got = store.get(f"wx-{ident}").record.facts
    return got.shipped, got.received


def test_item_9_shipped_comes_from_the_fetched_order(store):
    received = {"receive_product": True}
    assert opened_goods(store, "A", order_id="OA", details=received) == (True, True)
    assert opened_goods(store, "B", order_id="OB", details={"receive_product": 1}) == (True, True)
    returned = {"waybill_id": "SF123"}
    assert opened_goods(store, "C", order_id="OC", type="RETURN", return_info=returned) == (
        True,
        True,
    )
    assert opened_goods(store, "D", order_id="OD", type="RETURN") == (True, False)
    # the after-sale order says nothing more: a refund-only request WeChat did not agree at once
    assert opened_goods(store, "E", order_id="OE") == (True, False)


def test_item_9_shipped_is_false_where_the_platform_says_the_goods_never_left(store):
    for reason in (4, 8):
        ident = f"N{reason}"
        refunding = order(
            "PLATFORM_REFUNDING",
            0.1,
            after_sale_order_id=ident,
            order_id=f"O{ident}",
            refund_info={"amount": 10000, "refund_reason": reason},
        )
        assert sync(store, refunding, shop=SHOP).our_state == "refunding"
        facts_ = store.get(f"wx-{ident}").record.facts
        assert (facts_.shipped, facts_.received) == (False, False)


def test_item_9_shipped_an_intercepted_parcel_is_shipped_not_received(store):
    intercepting = order("WAIT_PACKAGE_INTERCEPT", 1, after_sale_order_id="I1", order_id="OI")
    found = sync(store, intercepting, shop=SHOP)
    assert found.our_state == "intercepting"  # which a case with shipped false could not reach
    facts_ = store.get("wx-I1").record.facts
    assert (facts_.shipped, facts_.received) == (True, False)


def waiting_receipt(status: str = "MERCHANT_WAIT_RECEIPT") -> Any:
    return parse_notification(
        {
            "CreateTime": int(at(3).timestamp()),
            "Event": "channels_ec_aftersale_update",
            "finder_shop_aftersale_status_update": {
                "status": status,
                "after_sale_order_id": "WX-1",
                "order_id": "O1",
            },
        }
    )


def test_item_9_waybill_a_notification_records_the_real_waybill_from_the_order(store):
    store.open_case(facts(platform_id="WX-1", type="return_refund"))
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    fetched: list[str] = []

    def fetch(ident: str) -> dict[str, Any]:
        fetched.append(ident)
        return order("MERCHANT_WAIT_RECEIPT", 3, type="RETURN", return_info={"waybill_id": "SF9"})

    found = reconcile(store, waiting_receipt(), shop=SHOP, fetch=fetch)
    assert (found.action, found.our_state) == ("applied", "awaiting_receipt")
    shipped = store.history("C1")[-1]
    assert (shipped.event, shipped.data) == ("ship_return", {"tracking": "SF9"})
    assert fetched == ["WX-1"]
    assert reconcile(store, waiting_receipt(), shop=SHOP, fetch=fetch).action == "in_sync"
    assert fetched == ["WX-1"]  # in sync: nothing to fetch


def test_item_9_waybill_the_replacements_waybill_comes_from_the_order(store):
    store.open_case(facts(platform_id="WX-1", type="exchange"))
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    store.send("C1", "ship_return", actor=Actor.buyer("B1"), at=at(2), data={"tracking": "SF1"})

    def fetch(ident: str) -> dict[str, Any]:
        return order(
            "USER_WAIT_RECEIPT",
            3,
            type="EXCHANGE",
            exchange_delivery_info={"waybill_id": "YD7"},
            exchange_product_info={"sku_id": "SKU2"},
        )

    found = reconcile(store, waiting_receipt("USER_WAIT_RECEIPT"), shop=SHOP, fetch=fetch)
    assert found.our_state == "exchange_shipped"
    assert store.history("C1")[-1].data == {"tracking": "YD7", "sku_id": "SKU2"}


def test_item_9_waybill_placeholder_only_where_wechat_shows_none(store):
    store.open_case(facts(platform_id="WX-1", type="return_refund"))
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    fetched: list[str] = []

    def fetch(ident: str) -> dict[str, Any]:  # WeChat's order does not show it yet
        fetched.append(ident)
        return order("MERCHANT_WAIT_RECEIPT", 3, type="RETURN")

    assert reconcile(store, waiting_receipt(), shop=SHOP, fetch=fetch).action == "applied"
    assert store.history("C1")[-1].data == {"tracking": "wechat:WX-1"}
    assert fetched == ["WX-1"]  # fetched once, then followed with the placeholder


def test_item_9_waybill_placeholder_in_the_log_is_replaced_by_a_later_sync(store):
    store.open_case(facts(platform_id="WX-1", type="return_refund"))
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    # A notification followed without fetching the order: the placeholder is recorded.
    assert reconcile(store, waiting_receipt(), shop=SHOP).our_state == "awaiting_receipt"
    assert store.get("C1").tracking == "wechat:WX-1"
    timer = store.get("C1").timer
    # The order, fetched later (stamped as the notification was), shows the real waybill.
    shown = order("MERCHANT_WAIT_RECEIPT", 3, type="RETURN", return_info={"waybill_id": "SF9"})
    found = sync(store, shown, shop=SHOP)
    assert (found.action, found.our_state) == ("applied", "awaiting_receipt")
    [update] = found.events
    assert (update.event, update.data, update.origin) == (
        "update_tracking",
        {"tracking": "SF9"},
        "platform",
    )
    assert update.actor.role == "platform" and update.command_id == "wechat:WX-1:waybill:SF9"
    case = store.get("C1")
    assert (case.tracking, case.state, case.timer) == ("SF9", "awaiting_receipt", timer)
    # Recorded once: the same order again, or a later one showing the same waybill, is in sync.
    logged = len(store.history("C1"))
    assert sync(store, shown, shop=SHOP).action == "in_sync"
    later = order("MERCHANT_WAIT_RECEIPT", 4, type="RETURN", return_info={"waybill_id": "SF9"})
    assert sync(store, later, shop=SHOP).action == "in_sync"
    assert len(store.history("C1")) == logged
    assert store.divergences() == []
    # The case goes on from the real waybill: the merchant confirms the goods.
    received = order("PLATFORM_REFUNDING", 5, type="RETURN", return_info={"waybill_id": "SF9"})
    assert sync(store, received, shop=SHOP).our_state == "refunding"
    assert store.get("C1").tracking == "SF9"


def test_item_9_waybill_the_replacements_placeholder_is_replaced_with_its_sku(store):
    store.open_case(facts(platform_id="WX-1", type="exchange", sku_id="SKU1"))
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    store.send("C1", "ship_return", actor=Actor.buyer("B1"), at=at(2), data={"tracking": "SF1"})
    assert reconcile(store, waiting_receipt("USER_WAIT_RECEIPT"), shop=SHOP).action == "applied"
    assert store.history("C1")[-1].data == {"tracking": "wechat:WX-1"}
    shipped = order(
        "USER_WAIT_RECEIPT",
        3,
        type="EXCHANGE",
        exchange_delivery_info={"waybill_id": "YD7"},
        exchange_product_info={"sku_id": "SKU2"},
    )
    found = sync(store, shipped, shop=SHOP)
    assert (found.action, found.our_state) == ("applied", "exchange_shipped")
    assert [(e.event, e.data) for e in found.events] == [
        ("update_tracking", {"tracking": "YD7", "sku_id": "SKU2"})
    ]
    assert sync(store, shipped, shop=SHOP).action == "in_sync"


def test_item_9_waybill_an_order_without_a_waybill_keeps_the_placeholder(store):
    store.open_case(facts(platform_id="WX-1", type="return_refund"))
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    reconcile(store, waiting_receipt(), shop=SHOP)
    assert sync(store, order("MERCHANT_WAIT_RECEIPT", 4, type="RETURN"), shop=SHOP).action == (
        "in_sync"
    )
    # A waybill our rules refuse (control characters) is not recorded: still the placeholder.
    bad = order("MERCHANT_WAIT_RECEIPT", 4, type="RETURN", return_info={"waybill_id": "SF\x019"})
    assert sync(store, bad, shop=SHOP).action == "in_sync"
    assert store.get("C1").tracking == "wechat:WX-1"


def test_item_9_waybill_an_interceptions_placeholder_stays(store):
    store.open_case(facts(platform_id="WX-1"))
    found = reconcile(store, waiting_receipt("WAIT_PACKAGE_INTERCEPT"), shop=SHOP)
    assert found.our_state == "intercepting"
    # The after-sale order carries no waybill of the order's own delivery.
    shown = order("WAIT_PACKAGE_INTERCEPT", 4, return_info={"waybill_id": "SF9"})
    assert sync(store, shown, shop=SHOP).action == "in_sync"
    assert store.get("C1").tracking == "wechat:WX-1"


def test_item_9_waybill_a_notification_with_fetch_replaces_a_standing_placeholder(store):
    store.open_case(facts(platform_id="WX-1", type="return_refund"))
    store.send("C1", "agree", actor=MERCHANT, at=at(1))
    reconcile(store, waiting_receipt(), shop=SHOP)  # no fetch: the placeholder
    shown: dict[str, Any] = {}
    fetched: list[str] = []

    def fetch(ident: str) -> dict[str, Any]:
        fetched.append(ident)
        return order("MERCHANT_WAIT_RECEIPT", 3, type="RETURN", **shown)

    # The same status notified again: in sync, but the parcel still has the placeholder, so
    # the order is fetched; it shows no waybill yet, and nothing is recorded.
    assert reconcile(store, waiting_receipt(), shop=SHOP, fetch=fetch).action == "in_sync"
    assert fetched == ["WX-1"] and store.get("C1").tracking == "wechat:WX-1"
    shown["return_info"] = {"waybill_id": "SF9"}
    found = reconcile(store, waiting_receipt(), shop=SHOP, fetch=fetch)
    assert (found.action, [e.event for e in found.events]) == ("applied", ["update_tracking"])
    assert store.get("C1").tracking == "SF9"
    # The real waybill recorded: a further notification is in sync without a fetch.
    assert reconcile(store, waiting_receipt(), shop=SHOP, fetch=fetch).action == "in_sync"
    assert fetched == ["WX-1", "WX-1"]
