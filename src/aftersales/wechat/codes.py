"""WeChat Shop's codes, as data, and what each means here. Translated at this edge only.


Sources (stored copies of the official pages; SDK mirrors where a page's table was cut off):

- refund reasons (``refund_info.refund_reason``): getaftersaleorder,
  https://developers.weixin.qq.com/doc/store/shop/API/channels-shop-aftersale/aftersale/
  api_getaftersaleorder.html
  (1-11 in two SDKs, 12 confirmed by an official answer, 13-24 in one SDK);
- complaint statuses (``complaint_status``): the official complaint notification page,
  https://developers.weixin.qq.com/doc/store/shop/notify/aftersale_callback/
  channels_ec_complaint_update.html (one URL, broken over two lines);
- complaint history item types (rulings 30-33): SDK mirror of getcomplaintorder (the official
  enum table was not readable);
- buyer reasons: reason/get,
  https://developers.weixin.qq.com/doc/store/shop/API/channels-shop-aftersale/
  api_getaftersalereason.html
  and codes seen in real orders;
- error codes: each API's page and the common error codes page,
  https://developers.weixin.qq.com/doc/store/shop/dev_before/commErrCode.md .
"""

from __future__ import annotations

from typing import Final

REFUND_REASONS: Final[dict[int, str]] = {
    1: "merchant refunded in the shop console",
    2: "merchant confirmed receipt and refunded without the buyer's waybill",
    3: "merchant refunded through the API",
    4: "not shipped: the platform agreed automatically",
    5: "platform refund after a dispute",
    6: "platform forced refund",
    7: "merchant confirmed receipt and refunded; the buyer accepted no waybill",
    8: "merchant shipped too late: platform refund",
    9: "merchant answered too late: the platform agreed automatically",
    10: "buyer confirmed receipt too late: platform refund",
    11: "merchant confirmed receipt too late: platform refund",
    12: "the buyer accepted the merchant's negotiation",
    17: "the buyer accepted a refund the merchant opened",
    21: "a negotiation turned a return into a refund",
    22: "the merchant's interception of the parcel succeeded",
    23: "partial refund after a dispute ruling",
    24: "freight insurance refund",
}
"""Why money moved, as the after-sale order says it. Unknown codes mean "reason unknown"."""

EXPIRY_REASONS: Final = frozenset({4, 9, 11})
"""Platform auto-agreements and the receipt timeout: our timers, expiring on WeChat's clock."""
AGREEMENT_REASONS: Final = frozenset({1, 2, 3, 7})
ACCEPTANCE_REASONS: Final = frozenset({12, 21})
RULING_REASONS: Final = frozenset({5, 6, 23})
INTERCEPTION_REASONS: Final = frozenset({22})

CASE_TYPES: Final = {"REFUND": "refund", "RETURN": "return_refund", "EXCHANGE": "exchange"}
"""The after-sale order's ``type`` and our case types (``RESHIP`` is not modelled)."""
NOT_MODELLED_TYPES: Final = {
    "RESHIP": "a reship after-sale (补寄): the merchant sends the goods again, no case of ours",
    "REFUND_PRICE_DIFF": "a price-difference refund (sub_type REFUND_PRICE_DIFF, 退差价)",
}
"""After-sale ``type`` and ``sub_type`` values (SDKs) that open no case: kept as divergences."""
TYPE_CODES: Final = {"refund": 1, "return_refund": 2, "exchange": 3}
"""Case types as ``merchantupdateaftersale``'s ``type`` (3, exchange, is not in the official
table: an SDK reports it) and ``merchant_update_detail``'s ``new_after_sale_type``."""
NEGOTIATION_TYPE_CODES: Final = {"invite_cancel": 1, "request_evidence": 2, "modify_request": 3}

BUYER_REASONS: Final[dict[str, str]] = {
    **dict.fromkeys(
        (
            "10000000",
            "10000019",
            "10000002",
            "10000003",
            "10000004",
            "NO_LONGER_WANT",
            "NO_REASON_7_DAYS",
            "INCORRECT_SELECTION",
        ),
        "no_reason",
    ),
    **dict.fromkeys(
        (
            "10000021",
            "10000040",
            "10000031",
            "10000033",
            "QUALITY_ISSUE",
            "FAKE_PRODUCT",
            "THREE_NO_PRODUCT",
        ),
        "quality_issue",
    ),
    **dict.fromkeys(
        (
            "10000011",
            "10000023",
            "10000039",
            "10000041",
            "10000042",
            "10000043",
            "10000581",
            "NOT_MATCH_PRODUCT_DESC",
        ),
        "not_as_described",
    ),
    **dict.fromkeys(("10000006", "10000005", "SEND_WRONG_GOODS"), "wrong_item"),
    **dict.fromkeys(
        (
            "10000007",
            "10000015",
            "10000016",
            "10000017",
            "10000018",
            "10000010",
            "NO_EXPRESS_INFO",
            "EMPTY_PACKAGE",
            "REJECT_RECEIVE_PACKAGE",
            "NOT_DELIVERED_TOO_LONG",
        ),
        "not_received",
    ),
}
"""The buyer's ``reason`` code and our ``buyer_reason``; anything else reads as ``other``."""

REASON_WORDS: Final[tuple[tuple[str, str], ...]] = (
    ("无理由", "no_reason"),
    ("不想要", "no_reason"),
    ("拍错", "no_reason"),
    ("质量", "quality_issue"),
    ("破损", "quality_issue"),
    ("描述不符", "not_as_described"),
    ("发错", "wrong_item"),
    ("少件", "wrong_item"),
    ("未收到", "not_received"),
    ("未送达", "not_received"),
)
"""Words of ``reason_text`` that decide a code the table does not know (new reasons come as
codes without literal meaning)."""


def buyer_reason(code: str, text: str = "") -> str:
    """Our ``buyer_reason`` for WeChat's reason code (and its text, for codes not in the table)."""
    if code in BUYER_REASONS:
        return BUYER_REASONS[code]
    for word, reason in REASON_WORDS:
        if word in text:
            return reason
    return "other"


COMPLAINT_STATUSES: Final[dict[int, str]] = {
    100: "待商家处理纠纷",
    101: "待客服处理",
    102: "取消客服介入",
    103: "客服处理中",
    104: "待用户补充凭证",
    105: "用户已补充凭证",
    106: "待商家补充凭证",
    107: "商家已补充凭证",
    108: "待双方补充凭证",
    109: "双方补充凭证超时",
    110: "待商家确认",
    111: "商家申诉中",
    112: "调解完成",
    113: "客服核实",
    114: "重新退款中",
    115: "退款核实完成",
    116: "调解关闭",
    305: "用户补充凭证超时",
    307: "商家补充凭证超时",
}
"""The dispute (纠纷单) statuses of the official complaint notification page (URL above)."""

MERCHANT_EVIDENCE_DEMANDED: Final = frozenset({106, 108})
INTERVENTION_CANCELLED: Final = frozenset({102})
MERCHANT_EVIDENCE_LAPSED: Final = frozenset({307})
CONCLUDED: Final = frozenset({112, 116})
"""Mediation done or closed: the ruling is in the dispute's history (see RULINGS)."""

RULINGS: Final[dict[int, str]] = {30: "buyer", 31: "merchant", 32: "both", 33: "none"}
"""Complaint history ``item_type`` of the platform's judgement and the party held liable
(30 平台判定用户责任, 31 平台判定商家责任, 32 平台判定双方责任, 33 平台判定无责任: WxJava's
``ComplaintItemType``, see docs/concepts/wechat.md)."""

APPEALS: Final[dict[int, bool]] = {34: False, 35: True}
"""Complaint history ``item_type`` of the platform's judgement of the merchant's appeal (商家申诉,
dispute status 111), and whether it took effect: 34 平台判定申诉无效, 35 平台判定申诉生效."""
REFUND_VERIFICATIONS: Final[dict[int, bool]] = {36: True, 37: False}
"""Complaint history ``item_type`` 36 平台判定退款有效 and 37 平台判定退款无效: the platform
checking a refund (dispute statuses 113-115), not a judgement of liability; they change no
case."""
APPEALABLE: Final = frozenset({"merchant", "both"})
"""The rulings a merchant's appeal can reverse: only the merchant appeals (status 111)."""

RETRYABLE: Final = frozenset({-1, 45009, 45011, 10021044, 10021059, 9700223, 100004})
"""Errors that say "busy" or "too fast": the same call may succeed later."""
NEGOTIATE_FIRST: Final = frozenset({10021068})
WRONG_STATE: Final = frozenset({10020001, 10021041, 10021051, 10021065, 10021503, 10021504})
BAD_INPUT: Final = frozenset({10021060, 10021062, 9700224, 10020261, 10021501, 10021502})
