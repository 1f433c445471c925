"""WeChat's side of a test, built once: an after-sale push and a fetched after-sale order of the
order ``WX-1`` (case ``C1`` of buyer ``B1`` when opened from it), at hours after ``T0``."""

from __future__ import annotations

from typing import Any

from aftersales.wechat import Notification, parse_notification
from tests.support import at


def notify(status: str, hours: float) -> Notification:
    """The ``channels_ec_aftersale_update`` push of ``WX-1`` at ``status``."""
    return parse_notification(
        {
            "CreateTime": int(at(hours).timestamp()),
            "Event": "channels_ec_aftersale_update",
            "finder_shop_aftersale_status_update": {
                "status": status,
                "after_sale_order_id": "WX-1",
                "order_id": "O1",
            },
        }
    )


def order(status: str, hours: float, **extra: Any) -> dict[str, Any]:
    """A fetched ``WX-1`` refund at ``status``, updated ``hours`` after ``T0``; ``extra``
    replaces top-level fields."""
    body: dict[str, Any] = {
        "after_sale_order_id": "WX-1",
        "status": status,
        "order_id": "O1",
        "openid": "B1",
        "type": "REFUND",
        "create_time": int(at(0).timestamp()),
        "update_time": int(at(hours).timestamp()),
        "refund_info": {"amount": 10000},
    }
    body.update(extra)
    return body
