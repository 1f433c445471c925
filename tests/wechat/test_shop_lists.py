"""Issue #21 item 8: ShopConfig built from the platform's own reason lists, fetched through the
gateway, matched to the catalog by their Chinese labels."""

from __future__ import annotations

from typing import Any

import pytest

from aftersales import AftersalesError
from aftersales.wechat import act, match_reason, shop_config_from_platform, sync
from aftersales.workflow.reasons import catalog
from tests.support import MERCHANT, at, facts

# The documented replies (getaftersalereason and getrejectreason pages' examples), plus rows of
# the merchantupdateaftersale page's MerchantUpdateReason table (9, 7) and one hypothetical row
# (46) standing for a list that does offer a seed reason.
REASONS = {
    "errcode": 0,
    "errmsg": "ok",
    "reason_list": [
        {"reason": "10000002", "reason_text": "拍错/多拍"},
        {"reason": "10000001", "reason_text": "缺货"},
        {"reason": "10000000", "reason_text": "不想要了"},
        {"update_reason_type": 9, "update_reason_desc": "已发货没有拦截成功"},
        {"update_reason_type": 7, "update_reason_desc": "无法联系或联系不上买家"},
        {"update_reason_type": 46, "update_reason_desc": "已与买家协商取消售后"},
    ],
}
REJECTIONS = {
    "errcode": 0,
    "errmsg": "ok",
    "reason_list": [
        {
            "reject_reason_type": 6,
            "reject_reason_type_text": "买家误操作/已协商取消申请",
            "reject_reason": "亲,真是抱歉给您带来麻烦了……",
            "reject_scene": 1,
        },
        {"reject_reason_type": 4, "reject_reason_type_text": "包裹已发货", "reject_scene": 1},
        {
            "reject_reason_type": 20,
            "reject_reason_type_text": "商品影响二次销售",
            "reject_scene": 4,
        },
        {"reject_reason_type": 19, "reject_reason_type_text": "单号有误", "reject_scene": 6},
    ],
}


class Lists:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, api: str, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(api)
        if api == "reason/get":
            return REASONS
        if api == "rejectreason/get":
            return REJECTIONS
        return {"errcode": 0, "errmsg": "ok"}


def test_item_8_shop_config_from_the_platforms_lists():
    lists = Lists()
    shop = shop_config_from_platform("S1", lists, address_id="ADDR-1")
    assert lists.calls == ["reason/get", "rejectreason/get"]
    assert shop.reason_codes["agreed_cancel"] == 46  # matched by its Chinese label
    assert shop.reason_code("shipped_interception_failed") == 9
    assert shop.reject_reason_types == {"refund": 6, "return_refund": 20, "reship": 19}
    assert shop.buyer_reasons["10000000"] == "no_reason"
    assert shop.address_id == "ADDR-1"


def test_item_8_labels_match_punctuation_aside():
    assert match_reason("虚拟商品已完成服务／激活") == "virtual_service_completed"  # full-width
    assert match_reason("已发货, 没有拦截成功") == "shipped_interception_failed"
    assert match_reason(" 仅修改退款金额。") == "modify_amount_only"
    assert match_reason("缺货") is None and match_reason(None) is None


def test_every_catalog_label_matches_its_own_reason_and_only_it():
    for reason in catalog().values():
        assert match_reason(reason.label_zh) == reason.key


@pytest.mark.parametrize(
    "label",
    # review r2: general labels were matched by substring to specific reasons
    ["退款", "质量问题", "协商一致", "其他", "虚拟商品已完成服务", "已协商一致新的售后方案(新)"],
)
def test_a_label_that_only_contains_or_extends_ours_matches_no_reason(label):
    assert match_reason(label) is None


def test_a_general_platform_label_gives_no_reason_its_code():
    rows = [
        {"update_reason_type": 3, "update_reason_desc": "退款"},
        {"update_reason_type": 5, "update_reason_desc": "质量问题"},
        {"update_reason_type": 9, "update_reason_desc": "已发货没有拦截成功"},
    ]

    def gateway(api: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"errcode": 0, "reason_list": rows if api == "reason/get" else []}

    shop = shop_config_from_platform("S1", gateway)
    assert shop.reason_codes == {"shipped_interception_failed": 9}


def test_item_8_a_seed_reason_the_platform_does_not_offer_is_refused_with_how_to_map_it(store):
    store.open_case(facts(platform_id="WX-1", category="virtual"))
    shop = shop_config_from_platform("S1", Lists())
    data = {
        "negotiation_type": "invite_cancel",
        "reason": "virtual_service_completed",
        "evidence": [{"kind": "service_completion_proof", "ref": "p", "media_id": "wx-p"}],
    }
    calls: list[str] = []

    def gateway(api: str, body: dict[str, Any]) -> dict[str, Any]:
        calls.append(api)
        return {"errcode": 0}

    with pytest.raises(AftersalesError) as info:
        act(
            store,
            "C1",
            "negotiate",
            actor=MERCHANT,
            at=at(1),
            gateway=gateway,
            shop=shop,
            data=data,
        )
    assert info.value.code == "invalid_reason" and calls == []
    assert "virtual_service_completed" in info.value.message_en
    assert "reason_codes" in info.value.message_en


def test_item_8_a_refused_list_raises_like_act():
    with pytest.raises(AftersalesError) as info:
        shop_config_from_platform("S1", lambda api, body: {"errcode": 45011, "errmsg": "busy"})
    assert (info.value.code, info.value.retryable) == ("platform_error", True)


def test_item_8_buyer_reasons_from_the_list_open_cases(store):
    shop = shop_config_from_platform("S1", Lists())
    order = {
        "after_sale_order_id": "WX-9",
        "status": "MERCHANT_PROCESSING",
        "order_id": "O9",
        "type": "REFUND",
        "reason": "10000002",
        "create_time": int(at(0).timestamp()),
        "update_time": int(at(0).timestamp()),
        "refund_info": {"amount": 10000},
    }
    assert sync(store, order, shop=shop).action == "opened"
    assert store.get("wx-WX-9").record.facts.buyer_reason == "no_reason"
