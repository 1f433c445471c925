"""The spec's public vocabulary as data: display labels, actor roles, who acts next, timers.

Transitions are *not* listed here: they live only in :mod:`aftersales.workflow.machine`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, NamedTuple


class Role(StrEnum):
    """Who may send an event."""

    merchant = "merchant"
    buyer = "buyer"
    platform = "platform"
    system = "system"


class Label(NamedTuple):
    """A display label in Chinese and English."""

    zh: str
    en: str


STATE_LABELS: Final[dict[str, Label]] = {
    "requested": Label("待商家处理", "Awaiting merchant"),
    "negotiating": Label("待买家处理协商", "Awaiting buyer's answer to negotiation"),
    "buyer_accepted": Label("买家已同意协商", "Buyer accepted negotiation"),
    "buyer_declined": Label("买家已拒绝协商", "Buyer declined negotiation"),
    "buyer_timed_out": Label("买家超时未处理", "Buyer did not answer in time"),
    "evidence_supplied": Label("买家已补充凭证", "Buyer supplied evidence"),
    "awaiting_return": Label("待买家退货", "Awaiting buyer's return shipment"),
    "awaiting_receipt": Label("待商家收货", "Awaiting merchant's receipt"),
    "refunding": Label("退款中", "Refunding"),
    "refund_failed": Label("退款失败", "Refund failed"),
    "rejected": Label("商家已拒绝", "Rejected by merchant"),
    "platform_intervention": Label("平台介入中", "Platform intervening"),
    "cancelled": Label("售后已取消", "Cancelled"),
    "refunded": Label("退款完成", "Refunded"),
    "partially_refunded": Label("部分退款完成", "Partially refunded"),
    "closed": Label("售后关闭", "Closed"),
}
"""Every state id of spec section 2 with its training label."""

NEXT_ACTOR: Final[dict[str, str | None]] = {
    "requested": "merchant",
    "negotiating": "buyer",
    "buyer_accepted": None,
    "buyer_declined": "merchant",
    "buyer_timed_out": "merchant",
    "evidence_supplied": "merchant",
    "awaiting_return": "buyer",
    "awaiting_receipt": "merchant",
    "refunding": "system",
    "refund_failed": "merchant",
    "rejected": "buyer",
    "platform_intervention": "platform",
    "cancelled": None,
    "refunded": None,
    "partially_refunded": None,
    "closed": None,
}
"""Who acts next in each state (``None``: transient or final)."""

EVENT_ROLES: Final[dict[str, Role]] = {
    "agree": Role.merchant,
    "negotiate": Role.merchant,
    "reject": Role.merchant,
    "confirm_receipt": Role.merchant,
    "submit_evidence": Role.merchant,
    "refund_offline": Role.merchant,
    "accept": Role.buyer,
    "decline": Role.buyer,
    "supply_evidence": Role.buyer,
    "ship_return": Role.buyer,
    "withdraw": Role.buyer,
    "escalate": Role.buyer,
    "intervene": Role.platform,
    "demand_evidence": Role.platform,
    "rule": Role.platform,
    "expire": Role.system,
    "refund_succeeded": Role.system,
    "refund_failed": Role.system,
}
"""The one role allowed to send each event of spec section 3."""

NEGOTIATION_TYPE_LABELS: Final[dict[str, Label]] = {
    "invite_cancel": Label("已协商一致,邀请买家取消售后", "Agreed: invite the buyer to cancel"),
    "request_evidence": Label("邀请买家核实与补充凭证", "Ask the buyer to verify and add evidence"),
    "modify_request": Label("修改买家售后申请", "Modify the buyer's request"),
}
"""Console labels of the negotiation types (协商类型)."""

EVENT_LABELS: Final[dict[str, Label]] = {
    "agree": Label("同意", "agree"),
    "negotiate": Label("协商", "negotiate"),
    "reject": Label("拒绝", "reject"),
    "confirm_receipt": Label("确认收货", "confirm receipt"),
    "submit_evidence": Label("商家举证", "submit evidence"),
    "refund_offline": Label("线下退款", "refund offline"),
    "accept": Label("同意协商", "accept"),
    "decline": Label("拒绝协商", "decline"),
    "supply_evidence": Label("补充凭证", "supply evidence"),
    "ship_return": Label("寄回商品", "ship return"),
    "withdraw": Label("撤销售后", "withdraw"),
    "escalate": Label("申请平台介入", "escalate"),
    "intervene": Label("平台介入", "intervene"),
    "demand_evidence": Label("要求商家举证", "demand evidence"),
    "rule": Label("平台判责", "rule"),
    "expire": Label("超时", "expire"),
    "refund_succeeded": Label("退款成功", "refund succeeded"),
    "refund_failed": Label("退款失败", "refund failed"),
}
"""Training labels of the events."""

ROLE_LABELS: Final[dict[str, Label]] = {
    "merchant": Label("商家", "merchant"),
    "buyer": Label("买家", "buyer"),
    "platform": Label("平台", "platform"),
    "system": Label("系统", "system"),
}

STATE_TIMERS: Final[dict[str, str]] = {
    "requested": "merchant_response",
    "negotiating": "buyer_response",
    "buyer_declined": "merchant_response",
    "buyer_timed_out": "merchant_response",
    "evidence_supplied": "merchant_response",
    "awaiting_return": "return_shipping",
    "awaiting_receipt": "merchant_receipt",
    "rejected": "escalation",
}
"""The timer each state starts on entry. ``merchant_evidence`` is started by
``demand_evidence`` instead, since it runs only while evidence is demanded."""


def default_seven_day_return(category: str) -> str:
    """The seven-day no-reason return setting a category has unless the case says otherwise."""
    if category == "virtual":
        return "supported_until_used"
    if category in ("fresh", "plants", "custom"):
        return "not_supported"
    return "supported"
