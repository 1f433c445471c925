"""The public vocabulary as data: one row per state and per event, the groups of states
the machine and the WeChat edge share, the roles, and the labels the workflow speaks in.

Transitions are *not* listed here: they live only in :mod:`aftersales.workflow.machine`, and a
test holds the rows to its states and events. Labels that only pictures and the training page
show are in :mod:`aftersales.diagrams.labels`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, NamedTuple

from .inputs import (
    DeadlineData,
    DemandEvidenceData,
    EvidenceData,
    MessageData,
    ModifyData,
    NegotiateData,
    NoData,
    RejectData,
    RequiredMessageData,
    RuleData,
    Strict,
    TrackingData,
)

WORKFLOW_VERSION: Final = 3
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


class StateInfo(NamedTuple):
    """What the contract says of one state besides its transitions."""

    label: Label
    next_actor: Role | None
    """Who acts next (``None``: transient or final)."""
    phase: str
    """The part of a case the state belongs to (a grouping for pictures, not a rule)."""
    timer: str | None = None
    """The timer kind the state starts on entry."""


# Short names of the roles for the two tables below, so each row reads as one line.
M, B, P, S = Role.merchant, Role.buyer, Role.platform, Role.system

STATES: Final[dict[str, StateInfo]] = {
    "requested": StateInfo(
        Label("待商家处理", "Awaiting merchant"), M, "request", "merchant_response"
    ),
    "intercepting": StateInfo(
        Label("物流拦截中", "Parcel being intercepted"), S, "request", "interception"
    ),
    "negotiating": StateInfo(
        Label("待买家处理协商", "Awaiting buyer's answer to negotiation"),
        B,
        "negotiation",
        "buyer_response",
    ),
    "buyer_accepted": StateInfo(
        Label("买家已同意协商", "Buyer accepted negotiation"), None, "negotiation"
    ),
    "buyer_declined": StateInfo(
        Label("买家已拒绝协商", "Buyer declined negotiation"), M, "negotiation", "merchant_response"
    ),
    "buyer_timed_out": StateInfo(
        Label("买家超时未处理", "Buyer did not answer in time"),
        M,
        "negotiation",
        "merchant_response",
    ),
    "evidence_supplied": StateInfo(
        Label("买家已补充凭证", "Buyer supplied evidence"), M, "negotiation", "merchant_response"
    ),
    "awaiting_return": StateInfo(
        Label("待买家退货", "Awaiting buyer's return shipment"), B, "return", "return_shipping"
    ),
    "return_lapsed": StateInfo(Label("退货超时关闭", "Return lapsed"), B, "return", "escalation"),
    "awaiting_receipt": StateInfo(
        Label("待商家收货", "Awaiting merchant's receipt"), M, "return", "merchant_receipt"
    ),
    "exchange_shipped": StateInfo(
        Label("待用户收货(换货)", "Replacement on its way to the buyer"),
        B,
        "return",
        "buyer_receipt",
    ),
    "refunding": StateInfo(Label("退款中", "Refunding"), S, "refund"),
    "refund_failed": StateInfo(Label("退款失败", "Refund failed"), M, "refund"),
    "rejected": StateInfo(Label("商家已拒绝", "Rejected by merchant"), B, "dispute", "escalation"),
    "platform_intervention": StateInfo(Label("平台介入中", "Platform intervening"), P, "dispute"),
    "cancelled": StateInfo(Label("售后已取消", "Cancelled"), None, "outcome"),
    "refunded": StateInfo(Label("退款完成", "Refunded"), None, "outcome"),
    "partially_refunded": StateInfo(Label("部分退款完成", "Partially refunded"), None, "outcome"),
    "exchanged": StateInfo(Label("换货完成", "Exchanged"), None, "outcome"),
    "closed": StateInfo(Label("售后关闭", "Closed"), None, "outcome"),
}
"""Every state, in the machine's order, with its training label, who
acts next, its phase and the timer it starts on entry. ``merchant_evidence`` is started by
``demand_evidence`` instead, since it runs only while evidence is demanded."""


class EventInfo(NamedTuple):
    """What the contract says of one event besides its transitions."""

    role: Role
    """The one role allowed to send it."""
    label: Label
    data: type[Strict]
    """The model its data is validated against."""


EVENTS: Final[dict[str, EventInfo]] = {
    "agree": EventInfo(M, Label("同意", "agree"), NoData),
    "negotiate": EventInfo(M, Label("协商", "negotiate"), NegotiateData),
    "reject": EventInfo(M, Label("拒绝", "reject"), RejectData),
    "confirm_receipt": EventInfo(M, Label("确认收货", "confirm receipt"), NoData),
    "reship": EventInfo(M, Label("换货发货", "ship the replacement"), TrackingData),
    "intercept": EventInfo(M, Label("物流拦截", "intercept the parcel"), TrackingData),
    "submit_evidence": EventInfo(M, Label("商家举证", "submit evidence"), EvidenceData),
    "refund_offline": EventInfo(M, Label("线下退款", "refund offline"), EvidenceData),
    "accept": EventInfo(B, Label("同意协商", "accept"), NoData),
    "decline": EventInfo(B, Label("拒绝协商", "decline"), MessageData),
    "supply_evidence": EventInfo(B, Label("补充凭证", "supply evidence"), EvidenceData),
    "ship_return": EventInfo(B, Label("寄回商品", "ship return"), TrackingData),
    "confirm_exchange": EventInfo(B, Label("确认收到换货", "confirm the replacement"), NoData),
    "modify": EventInfo(B, Label("修改申请", "change the request"), ModifyData),
    "withdraw": EventInfo(B, Label("撤销售后", "withdraw"), NoData),
    "escalate": EventInfo(B, Label("申请平台介入", "escalate"), MessageData),
    "intervene": EventInfo(P, Label("平台介入", "intervene"), RequiredMessageData),
    "demand_evidence": EventInfo(P, Label("要求商家举证", "demand evidence"), DemandEvidenceData),
    "rule": EventInfo(P, Label("平台判责", "rule"), RuleData),
    "close": EventInfo(P, Label("客服关闭", "close"), RequiredMessageData),
    "set_deadline": EventInfo(P, Label("平台调整时限", "move the deadline"), DeadlineData),
    "update_tracking": EventInfo(P, Label("平台更新运单号", "update the waybill"), TrackingData),
    "expire": EventInfo(S, Label("超时", "expire"), NoData),
    "intercept_succeeded": EventInfo(S, Label("拦截成功", "interception succeeded"), NoData),
    "intercept_failed": EventInfo(S, Label("拦截失败", "interception failed"), MessageData),
    "refund_succeeded": EventInfo(S, Label("退款成功", "refund succeeded"), NoData),
    "refund_failed": EventInfo(S, Label("退款失败", "refund failed"), MessageData),
}
"""Every event, by role as the machine declares them, with the one role
allowed to send it, its training label and its data model (``set_deadline`` and
``update_tracking`` are this package's: the platform moving a running deadline, and the platform
giving the real waybill of a parcel recorded before WeChat showed it)."""

del M, B, P, S

# -- Named groups of states, each used in more than one place.

MERCHANT_TURN: Final = tuple(s for s, info in STATES.items() if info.timer == "merchant_response")
"""The merchant's turn to answer the request: every state the merchant's response timer runs in
(``requested`` and the three a negotiation ends in). The merchant may agree, negotiate or
reject there, and WeChat shows them all as ``MERCHANT_PROCESSING``."""

OPEN_STATES: Final = tuple(s for s, info in STATES.items() if info.next_actor is not None)
"""States a case waits in: neither final nor passed through at once."""

DEADLINE_STATES: Final = (
    *(s for s, info in STATES.items() if info.timer),
    "platform_intervention",
)
"""States a deadline may run in: those that start a timer on entry, and the dispute, where a
demand for evidence starts one. Each expires, and the platform may move each deadline."""

TRACKING_EVENTS: Final = tuple(e for e, info in EVENTS.items() if info.data is TrackingData)
"""Events whose data carry a parcel's ``tracking`` (waybill): the buyer's return, the
replacement, the intercepted parcel, and the platform's later word on one of them."""

TRACKING_STATES: Final = ("intercepting", "awaiting_receipt", "exchange_shipped")
"""States a parcel is on its way in, entered by the event that recorded its waybill
(``intercept``, ``ship_return``, ``reship``): the platform may replace that waybill there."""

# -- Views of the rows, for readers that need one column.

STATE_LABELS: Final = {state: info.label for state, info in STATES.items()}
"""Each state's training label."""

NEXT_ACTOR: Final = {
    state: None if info.next_actor is None else info.next_actor.value
    for state, info in STATES.items()
}
"""Who acts next in each state (``None``: transient or final)."""

STATE_TIMERS: Final = {state: info.timer for state, info in STATES.items() if info.timer}
"""The timer each state starts on entry."""

EVIDENCE_TIMER: Final = "merchant_evidence"
"""The one timer a state does not start on entry: the platform's demand for evidence starts it,
in ``platform_intervention``."""

TIMER_KINDS: Final = (*dict.fromkeys(STATE_TIMERS.values()), EVIDENCE_TIMER)
"""Every timer kind, each a duration of the policy."""

EVENT_ROLES: Final = {event: info.role for event, info in EVENTS.items()}
"""The one role allowed to send each event."""

EVENT_LABELS: Final = {event: info.label for event, info in EVENTS.items()}
"""Each event's training label."""

EVENT_DATA: Final = {event: info.data for event, info in EVENTS.items()}
"""The data model of each event."""

ROLE_LABELS: Final[dict[str, Label]] = {
    "merchant": Label("商家", "merchant"),
    "buyer": Label("买家", "buyer"),
    "platform": Label("平台", "platform"),
    "system": Label("系统", "system"),
}
"""Each role as the training and the command line name it."""

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
    "is_valid_tracking_update": Label("新SKU仅随换货运单更新", "a new SKU only for a replacement"),
    "is_valid_ruling": Label("判责金额有效", "valid ruling amount"),
}
"""Short phrases for the guards named in :class:`CaseMachine`, shown on the arrows."""

CASE_TYPE_LABELS: Final[dict[str, Label]] = {
    "refund": Label("仅退款", "refund only"),
    "return_refund": Label("退货退款", "return and refund"),
    "exchange": Label("换货", "exchange"),
}
"""The after-sales types as the console names them."""

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
