"""Issue #21 item 11: never raises, on any input. The shapes found this round (``1e400`` ids and
amounts, ``update_reason_type: "¹"``, ``media_ids: 5`` or ``null``, 100k-deep nesting) and a
generator that puts hostile values into every field the library reads."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftersales import AftersalesError
from aftersales.storage import CaseStore
from aftersales.wechat import ShopConfig, parse_notification, reconcile, sync, sync_complaint
from tests.support import at, facts

SHOP = ShopConfig(shop_id="S1")
HOSTILE = [
    "1e400",
    "-1e400",
    "1E+999999",
    '"¹"',
    '"١٢"',
    '"99999999999999999999999"',
    "99999999999999999999999999999",
    "5",
    "null",
    "-1",
    "0.5",
    '""',
    "[]",
    "{}",
    "[5, null, {}]",
    '[{"picture_media_id": 1e400}]',
    "true",
    '"\\ud800"',
]
"""JSON texts of values WeChat's fields must survive (placed raw into the body's text)."""
FIELDS = [
    ("after_sale_order_id",),
    ("order_id",),
    ("status",),
    ("type",),
    ("openid",),
    ("create_time",),
    ("update_time",),
    ("deadline",),
    ("complaint_id",),
    ("reason",),
    ("refund_info", "amount"),
    ("refund_info", "refund_reason"),
    ("product_info", "count"),
    ("product_info", "sku_id"),
    ("details", "media_id_list"),
    ("details", "media_infos"),
    ("details", "receive_product"),
    ("merchant_update_detail", "update_reason_type"),
    ("merchant_update_detail", "merchant_update_type"),
    ("merchant_update_detail", "media_ids"),
    ("merchant_update_detail", "new_after_sale_amount"),
    ("merchant_update_detail", "new_after_sale_type"),
    ("merchant_update_detail", "merchant_update_desc"),
    ("merchant_upload_info", "refund_certificates"),
    ("return_info", "waybill_id"),
]


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory):
    store = CaseStore(str(tmp_path_factory.mktemp("hostile") / "h.db"))
    store.create_schema()
    store.open_case(facts(platform_id="WX-1"), policy={"merchant_response": "P1095D"})
    yield store
    store.engine.dispose()


def order_text(path: tuple[str, ...], raw: str, *more: tuple[tuple[str, ...], str]) -> str:
    """A fetched order whose field at ``path`` is the JSON text ``raw`` (and so on for
    ``more``)."""
    base: dict[str, Any] = {
        "after_sale_order_id": "WX-1",
        "status": "USER_WAIT_CONFIRM_UPDATE",
        "order_id": "O1",
        "type": "REFUND",
        "create_time": int(at(0).timestamp()),
        "update_time": int(at(1).timestamp()),
        "refund_info": {"amount": 10000},
        "merchant_update_detail": {
            "merchant_update_type": 1,
            "update_reason_type": 9,
            "media_ids": ["wx-1"],
        },
    }
    raws = {}
    for index, (where, value) in enumerate(((path, raw), *more)):
        marker = f"__HOSTILE_{index}__"
        node = base
        for key in where[:-1]:
            found = node.get(key)
            node[key] = found if isinstance(found, dict) else {}
            node = node[key]
        node[where[-1]] = marker
        raws[marker] = value
    text = json.dumps({"after_sale_order": base})
    for marker, value in raws.items():
        text = text.replace(f'"{marker}"', value)
    return text


def deep(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def followed(store: CaseStore, payload: Any) -> None:
    """Every entrance takes the payload and returns normally (or refuses with our error)."""
    for call in (
        lambda: sync(store, payload, shop=SHOP),
        lambda: sync_complaint(store, payload),
        lambda: reconcile(store, parse_notification(payload), shop=SHOP),
    ):
        try:
            result = call()
        except AftersalesError as exc:  # a clean refusal is allowed; nothing else
            assert exc.code != "storage_unavailable"
        else:
            assert result.action in ("divergence", "opened", "applied", "in_sync", "stale")


@pytest.mark.parametrize("raw", HOSTILE)
@pytest.mark.parametrize("path", FIELDS, ids=".".join)
def test_item_11_never_raises_on_hostile_field_values(hostile_store, path, raw):
    text = order_text(path, raw)
    followed(hostile_store, text)
    followed(hostile_store, json.loads(text))  # the same as a mapping (1e400 is then inf)


@pytest.mark.parametrize("depth", [100, 100_000])
def test_item_11_never_raises_on_deep_nesting(hostile_store, depth):
    nested = deep(depth)
    followed(hostile_store, "[" * depth + "]" * depth)
    followed(hostile_store, {"after_sale_order": nested})
    body = {"after_sale_order_id": "WX-1", "status": "MERCHANT_PROCESSING", "details": nested}
    followed(hostile_store, {"after_sale_order": body})
    note = {"Event": "channels_ec_aftersale_update", "finder_shop_aftersale_status_update": nested}
    followed(hostile_store, note)


fields = st.sampled_from(FIELDS)
raws = st.one_of(st.sampled_from(HOSTILE), st.integers().map(str), st.floats().map(json.dumps))


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=st.lists(st.tuples(fields, raws), min_size=1, max_size=4))
def test_item_11_generated_hostile_orders(hostile_store, changes):
    text = order_text(*changes[0], *changes[1:])
    followed(hostile_store, text)
    followed(hostile_store, json.loads(text))
