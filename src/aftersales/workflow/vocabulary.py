"""The spec's public vocabulary as data: display labels, actor roles, who acts next, timers.

Transitions are *not* listed here: they live only in :mod:`aftersales.workflow.machine`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, NamedTuple

WORKFLOW_VERSION: Final = 2
"""The version of the contract this code implements. Each case keeps the version it was opened
under; rules whose behaviour changed between versions are gated on it (see
:meth:`CaseRecord.follows`)."""


class Role(StrEnum):
    """Who may send an event."""

    merchant = "merchant"
    buyer = "buyer"
    platform = "platform"
    system = "system"


class Origin(StrEnum):
    """Where an event was learned: sent through this library, or from the platform."""

    local = "local"
    platform = "platform"


class Label(NamedTuple):
    """A display label in Chinese and English."""

    zh: str
    en: str


STATE_LABELS: Final[dict[str, Label]] = {
    "requested": Label("待商家处理", "Awaiting merchant"),
    "intercepting": Label("物流拦截中", "Parcel being intercepted"),
    "negotiating": Label("待买家处理协商", "Awaiting buyer's answer to negotiation"),
    "buyer_accepted": Label("买家已同意协商", "Buyer accepted negotiation"),
    "buyer_declined": Label("买家已拒绝协商", "Buyer declined negotiation"),
    "buyer_timed_out": Label("买家超时未处理", "Buyer did not answer in time"),
    "evidence_supplied": Label("买家已补充凭证", "Buyer supplied evidence"),
    "awaiting_return": Label("待买家退货", "Awaiting buyer's return shipment"),
    "return_lapsed": Label("退货超时关闭", "Return lapsed"),
    "awaiting_receipt": Label("待商家收货", "Awaiting merchant's receipt"),
    "exchange_shipped": Label("待用户收货(换货)", "Replacement on its way to the buyer"),
    "refunding": Label("退款中", "Refunding"),
    "refund_failed": Label("退款失败", "Refund failed"),
    "rejected": Label("商家已拒绝", "Rejected by merchant"),
    "platform_intervention": Label("平台介入中", "Platform intervening"),
    "cancelled": Label("售后已取消", "Cancelled"),
    "refunded": Label("退款完成", "Refunded"),
    "partially_refunded": Label("部分退款完成", "Partially refunded"),
    "exchanged": Label("换货完成", "Exchanged"),
    "closed": Label("售后关闭", "Closed"),
}
"""Every state id of spec sections 2 and 11 with its training label."""

NEXT_ACTOR: Final[dict[str, str | None]] = {
    "requested": "merchant",
    "intercepting": "system",
    "negotiating": "buyer",
    "buyer_accepted": None,
    "buyer_declined": "merchant",
    "buyer_timed_out": "merchant",
    "evidence_supplied": "merchant",
    "awaiting_return": "buyer",
    "return_lapsed": "buyer",
    "awaiting_receipt": "merchant",
    "exchange_shipped": "buyer",
    "refunding": "system",
    "refund_failed": "merchant",
    "rejected": "buyer",
    "platform_intervention": "platform",
    "cancelled": None,
    "refunded": None,
    "partially_refunded": None,
    "exchanged": None,
    "closed": None,
}
"""Who acts next in each state (``None``: transient or final)."""

EVENT_ROLES: Final[dict[str, Role]] = {
    "agree": Role.merchant,
    "negotiate": Role.merchant,
    "reject": Role.merchant,
    "confirm_receipt": Role.merchant,
    "reship": Role.merchant,
    "intercept": Role.merchant,
    "submit_evidence": Role.merchant,
    "refund_offline": Role.merchant,
    "accept": Role.buyer,
    "decline": Role.buyer,
    "supply_evidence": Role.buyer,
    "ship_return": Role.buyer,
    "confirm_exchange": Role.buyer,
    "modify": Role.buyer,
    "withdraw": Role.buyer,
    "escalate": Role.buyer,
    "intervene": Role.platform,
    "demand_evidence": Role.platform,
    "rule": Role.platform,
    "close": Role.platform,
    "set_deadline": Role.platform,
    "expire": Role.system,
    "intercept_succeeded": Role.system,
    "intercept_failed": Role.system,
    "refund_succeeded": Role.system,
    "refund_failed": Role.system,
}
"""The one role allowed to send each event of spec sections 3 and 11 (``set_deadline`` is
this package's: the platform moving a running deadline, spec section 10.3)."""

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
    "reship": Label("换货发货", "ship the replacement"),
    "intercept": Label("物流拦截", "intercept the parcel"),
    "submit_evidence": Label("商家举证", "submit evidence"),
    "refund_offline": Label("线下退款", "refund offline"),
    "accept": Label("同意协商", "accept"),
    "decline": Label("拒绝协商", "decline"),
    "supply_evidence": Label("补充凭证", "supply evidence"),
    "ship_return": Label("寄回商品", "ship return"),
    "confirm_exchange": Label("确认收到换货", "confirm the replacement"),
    "modify": Label("修改申请", "change the request"),
    "withdraw": Label("撤销售后", "withdraw"),
    "escalate": Label("申请平台介入", "escalate"),
    "intervene": Label("平台介入", "intervene"),
    "demand_evidence": Label("要求商家举证", "demand evidence"),
    "rule": Label("平台判责", "rule"),
    "close": Label("客服关闭", "close"),
    "set_deadline": Label("平台调整时限", "move the deadline"),
    "expire": Label("超时", "expire"),
    "intercept_succeeded": Label("拦截成功", "interception succeeded"),
    "intercept_failed": Label("拦截失败", "interception failed"),
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
    "intercepting": "interception",
    "negotiating": "buyer_response",
    "buyer_declined": "merchant_response",
    "buyer_timed_out": "merchant_response",
    "evidence_supplied": "merchant_response",
    "awaiting_return": "return_shipping",
    "return_lapsed": "escalation",
    "awaiting_receipt": "merchant_receipt",
    "exchange_shipped": "buyer_receipt",
    "rejected": "escalation",
}
"""The timer each state starts on entry. ``merchant_evidence`` is started by
``demand_evidence`` instead, since it runs only while evidence is demanded."""

TIMER_KINDS: Final = (*dict.fromkeys(STATE_TIMERS.values()), "merchant_evidence")
"""Every timer kind, each a duration of the policy."""

SPECIAL_CATEGORIES: Final = frozenset({"virtual", "fresh", "plants", "custom"})
"""Goods the platform treats as special: no seven-day no-reason return, or only until used."""


def default_seven_day_return(category: str) -> str:
    """The seven-day no-reason return setting a category has unless the case says otherwise."""
    if category == "virtual":
        return "supported_until_used"
    if category in ("fresh", "plants", "custom"):
        return "not_supported"
    return "supported"


# -- Training labels: everything a trainee reads about the machine, in one place. Code names
# (guards, timer kinds, evidence kinds, error codes) never reach a picture or the page.

GUARD_LABELS: Final[dict[str, Label]] = {
    "is_refund_case": Label("仅退款售后单", "refund-only case"),
    "is_partial_refund": Label("部分退款", "partial refund"),
    "accepted_invite_cancel": Label("是取消邀请", "an invitation to cancel"),
    "ruling_refunds": Label("判定需要退款", "the ruling refunds money"),
    "follows_contract_v1": Label("按旧版规则开的单", "case opened under the old rules"),
    "is_timer_due": Label("时限已到", "deadline reached"),
    "is_valid_deadline": Label("新时限晚于当前时间", "new deadline in the future"),
    "is_within_negotiation_limit": Label("协商次数未用完", "negotiations left"),
    "is_within_application_limit": Label("申请次数未用完", "applications left"),
    "is_valid_modification": Label("修改后的申请有效", "the changed request is valid"),
    "is_valid_negotiation": Label(
        "协商说明、金额与凭证符合要求", "reason, amount and evidence fit"
    ),
    "is_rejection_permitted": Label("店铺规则允许这次拒绝", "shop rules allow this rejection"),
    "is_not_exchange": Label("不是换货单", "not an exchange"),
    "is_exchange": Label("换货单", "exchange case"),
    "can_intercept": Label("已发货、买家未收货的仅退款", "refund of goods shipped, not received"),
    "has_evidence": Label("附有凭证", "evidence attached"),
    "has_refund_certificate": Label("附退款凭证或打款截图", "refund or payment proof attached"),
    "is_not_evidence_request": Label("不是补充凭证邀请", "not a request for evidence"),
    "is_evidence_request": Label("是补充凭证邀请", "a request for evidence"),
    "is_valid_due": Label("举证时限有效", "valid evidence deadline"),
    "is_valid_ruling": Label("判责金额有效", "valid ruling amount"),
}
"""Short phrases for the guards named in :class:`CaseMachine`, shown on the arrows."""

FALLBACK_LABEL: Final = Label("其他情况", "otherwise")
"""The unguarded last alternative of a routed transition."""

TIMER_LABELS: Final[dict[str, Label]] = {
    "merchant_response": Label("商家{}内处理", "merchant has {}"),
    "buyer_response": Label("买家{}内答复", "buyer has {} to answer"),
    "return_shipping": Label("买家{}内寄回", "buyer has {} to ship back"),
    "merchant_receipt": Label("商家{}内确认收货", "merchant has {} to confirm receipt"),
    "escalation": Label("买家{}内可申请平台介入", "buyer has {} to escalate"),
    "merchant_evidence": Label("商家{}内举证", "merchant has {} for evidence"),
    "interception": Label("物流{}内完成拦截", "carrier has {} to intercept"),
    "buyer_receipt": Label("买家{}内确认收货", "buyer has {} to confirm receipt"),
}
"""Each timer kind as a phrase; ``{}`` takes the duration (the policy default in training)."""

DURATION_UNITS: Final[dict[str, Label]] = {
    "hours": Label("{}小时", "{} h"),
    "days": Label("{}天", "{} d"),
}
"""How a duration reads inside a timer phrase."""

EVIDENCE_LABELS: Final[dict[str, Label]] = {
    "image": Label("图片", "photo"),
    "video": Label("视频", "video"),
    "chat_record": Label("聊天记录截图", "chat screenshots"),
    "service_completion_proof": Label("服务完成/激活凭证", "proof of service completed"),
    "reshipment_tracking": Label("补发单号", "reshipment tracking number"),
    "payment_proof": Label("打款截图", "payment screenshot"),
    "shipping_proof": Label("发货凭证", "shipping proof"),
    "refund_certificate": Label("退款凭证", "refund certificate"),
}
"""Every evidence kind (:data:`aftersales.workflow.inputs.EvidenceKind`) as staff call it."""

EVIDENCE_GROUP_LABELS: Final[dict[str, Label]] = {
    "media": Label("任一图片或视频类凭证", "any photo or video evidence"),
    "any": Label("任一凭证", "any evidence"),
}
"""The placeholders of an evidence need (:class:`EvidenceNeed`): any media item, any item."""

RISK_LABELS: Final[dict[str, Label]] = {
    "R1_direct_rejection": Label("直接拒绝:判商家责任", "direct rejection: merchant liable"),
    "R2_missing_evidence": Label("缺少所需凭证:判商家责任", "evidence missing: merchant liable"),
    "R3_evidence_timeout": Label("逾期未举证:判商家责任", "evidence too late: merchant liable"),
    "R4_defensible": Label("已协商且凭证齐全:商家无责", "negotiated with evidence: not liable"),
}
"""Each liability rule as a short risk phrase for arrows and quiz answers."""

ERROR_LABELS: Final[dict[str, Label]] = {
    "transition_not_allowed": Label("此时不能这样操作", "not possible at this point"),
    "permission_denied": Label("这一步不归你操作", "not yours to do"),
    "evidence_required": Label("缺少必需的凭证", "required evidence missing"),
    "negotiation_required": Label("必须先协商", "negotiate first"),
    "invalid_amount": Label("金额不符合要求", "the amount does not fit"),
    "invalid_reason": Label("协商说明不适用于这个售后单", "the reason does not fit this case"),
    "invalid_input": Label("填写的信息有误", "something is filled in wrongly"),
    "limit_reached": Label("次数已达上限", "limit reached"),
    "not_found": Label("找不到该售后单", "case not found"),
    "conflict": Label("与已有记录冲突", "conflicts with an earlier command"),
    "platform_error": Label("平台返回了错误", "the platform returned an error"),
}
"""What each refusal code means, in a trainee's words."""

CASE_TYPE_LABELS: Final[dict[str, Label]] = {
    "refund": Label("仅退款", "refund only"),
    "return_refund": Label("退货退款", "return and refund"),
    "exchange": Label("换货", "exchange"),
}
"""The after-sales types as the console names them."""

CATEGORY_LABELS: Final[dict[str, Label]] = {
    "ordinary": Label("普通商品", "ordinary goods"),
    "virtual": Label("虚拟商品", "virtual goods"),
    "fresh": Label("生鲜", "fresh food"),
    "plants": Label("绿植", "plants"),
    "custom": Label("定制品", "custom-made goods"),
}
"""Goods categories."""

BUYER_REASON_LABELS: Final[dict[str, Label]] = {
    "no_reason": Label("七天无理由/不想要了", "no reason (changed mind)"),
    "quality_issue": Label("质量问题", "quality problem"),
    "not_as_described": Label("与描述不符", "not as described"),
    "wrong_item": Label("发错货", "wrong item sent"),
    "not_received": Label("未收到货", "not received"),
    "other": Label("其他原因", "other reason"),
}
"""The buyer's reasons for asking."""

PHASE_LABELS: Final[dict[str, Label]] = {
    "request": Label("申请", "Request"),
    "negotiation": Label("协商", "Negotiation"),
    "return": Label("退货与换货", "Return and exchange"),
    "refund": Label("退款", "Refund"),
    "dispute": Label("拒绝与平台介入", "Rejection and dispute"),
    "outcome": Label("结果", "Outcome"),
}
"""The phases a case goes through, in the order training tells them."""

STATE_PHASES: Final[dict[str, str]] = {
    "requested": "request",
    "intercepting": "request",
    "negotiating": "negotiation",
    "buyer_accepted": "negotiation",
    "buyer_declined": "negotiation",
    "buyer_timed_out": "negotiation",
    "evidence_supplied": "negotiation",
    "awaiting_return": "return",
    "return_lapsed": "return",
    "awaiting_receipt": "return",
    "exchange_shipped": "return",
    "refunding": "refund",
    "refund_failed": "refund",
    "rejected": "dispute",
    "platform_intervention": "dispute",
    "cancelled": "outcome",
    "refunded": "outcome",
    "partially_refunded": "outcome",
    "exchanged": "outcome",
    "closed": "outcome",
}
"""The phase each state belongs to (a grouping for pictures; transitions stay in the machine)."""

LEGEND_LABELS: Final[dict[str, Label]] = {
    "merchant": Label("商家的操作", "the merchant acts"),
    "buyer": Label("买家的操作", "the buyer acts"),
    "platform": Label("平台的操作", "the platform acts"),
    "system": Label("自动发生(超时、物流、支付)", "automatic"),
    "mixed": Label("多方的操作", "several parties act"),
    "instant": Label("立即自动发生", "happens at once"),
    "anytime": Label("多数进行中的状态都可以", "from most open states"),
    "risk": Label("商家有判责风险", "merchant's liability risk"),
    "recommended": Label("推荐做法", "recommended path"),
    "risky": Label("错误做法", "wrong path"),
    "wait_merchant": Label("等商家处理", "waiting for the merchant"),
    "wait_buyer": Label("等买家处理", "waiting for the buyer"),
    "wait_platform": Label("等平台处理", "waiting for the platform"),
    "wait_system": Label("等系统(物流、支付)", "waiting for the system"),
    "transient": Label("经过即走的状态", "passed through at once"),
    "final": Label("结束状态", "final state"),
}
"""What each named style of a picture means; a picture's legend lists only the styles it drew."""

PICTURE_LABELS: Final[dict[str, Label]] = {
    "legend": Label("图例", "Legend"),
    "if": Label("条件:{}", "if: {}"),
    "except": Label("除了:{}", "except: {}"),
    "any_open": Label("任一进行中的状态", "any open state"),
    "final_group": Label("结束状态", "final states"),
    "overview_title": Label("售后单全流程(按阶段)", "An after-sales case by phase"),
    "actor_title": Label("{}可以做什么", "What the {} can do"),
    "case_title": Label("售后单 {} 的实际路径", "Path of case {}"),
}
"""Fixed texts of the pictures: titles, the legend heading, condition and exception lines."""
