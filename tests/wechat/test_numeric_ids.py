"""Review r2: WeChat's ids have 19 digits, beyond JSON's exact integers (2**53). Sent as JSON
numbers they must still be read, exactly, as their decimal text; times and amounts keep the
bound."""

from __future__ import annotations

import json

from aftersales.wechat import AfterSaleOrder, ComplaintOrder, parse_notification

BIG = 3705115058471208928
"""A real-shaped after-sale order id: 19 digits, more than 2**53."""


def test_a_numeric_19_digit_id_in_an_aftersale_push_is_read_exactly():
    body = (
        '{"Event":"channels_ec_aftersale_update","CreateTime":1772334000,'
        '"finder_shop_aftersale_status_update":{"status":"USER_CANCELD",'
        f'"after_sale_order_id":{BIG},"order_id":{BIG + 1}}}}}'
    )
    notification = parse_notification(body)
    assert notification.kind == "aftersale", notification.problem
    assert notification.after_sale_order_id == "3705115058471208928"
    assert notification.order_id == "3705115058471208929"
    assert notification.problem is None


def test_a_numeric_19_digit_id_in_a_complaint_push_is_read_exactly():
    body = json.dumps(
        {
            "Event": "channels_ec_complaint_update",
            "CreateTime": 1772334000,
            "finder_shop_complaint": {
                "after_sale_order_id": BIG,
                "complaint_id": BIG + 7,
                "complaint_status": 1,
            },
        }
    )
    notification = parse_notification(body)
    assert notification.kind == "complaint", notification.problem
    assert notification.after_sale_order_id == str(BIG)
    assert notification.complaint_id == str(BIG + 7)


def test_fetched_orders_keep_numeric_ids_exact_but_bound_times_and_amounts():
    reply = (
        f'{{"after_sale_order":{{"after_sale_order_id":{BIG},"status":"MERCHANT_PROCESSING",'
        f'"order_id":{BIG},"complaint_id":{BIG},"create_time":{BIG},'
        f'"refund_info":{{"amount":{BIG}}},"product_info":{{"sku_id":{BIG}}}}}}}'
    )
    order = AfterSaleOrder.read(reply)
    assert order.after_sale_order_id == order.order_id == order.complaint_id == str(BIG)
    assert order.sku_id == str(BIG)
    assert order.create_time is None  # not a time
    assert order.amount is None  # not an amount
    complaint = ComplaintOrder.read(f'{{"after_sale_order_id":{BIG},"status":1}}')
    assert complaint.after_sale_order_id == str(BIG)


def test_ids_that_are_not_integers_are_still_refused_without_raising():
    for raw in ("1e400", "-1e400", "true", "3.7051150584712090e18"):
        body = (
            '{"Event":"channels_ec_aftersale_update","finder_shop_aftersale_status_update":'
            f'{{"status":"USER_CANCELD","after_sale_order_id":{raw}}}}}'
        )
        assert parse_notification(body).kind == "unreadable", raw
