"""The trainee's label table: every zh/en phrase a picture or the training page shows for a name
of the machine, the catalog or the inputs that the workflow itself never prints.

The workflow's own rows (states, events, roles, guards, case types) carry their labels in
:mod:`aftersales.workflow.vocabulary`; code names (guards, timer kinds, evidence kinds, error
codes) never reach a trainee, only these phrases do.
"""

from __future__ import annotations

from typing import Final

from ..workflow.vocabulary import Label

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

PHASE_LABELS: Final[dict[str, Label]] = {
    "request": Label("申请", "Request"),
    "negotiation": Label("协商", "Negotiation"),
    "return": Label("退货与换货", "Return and exchange"),
    "refund": Label("退款", "Refund"),
    "dispute": Label("拒绝与平台介入", "Rejection and dispute"),
    "outcome": Label("结果", "Outcome"),
}
"""The phases a case goes through, in the order training tells them."""

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

FALLBACK_LABEL: Final = Label("其他情况", "otherwise")
"""The unguarded last alternative of a routed transition."""

RISK_LABELS: Final[dict[str, Label]] = {
    "R1_direct_rejection": Label("直接拒绝:判商家责任", "direct rejection: merchant liable"),
    "R2_missing_evidence": Label("缺少所需凭证:判商家责任", "evidence missing: merchant liable"),
    "R3_evidence_timeout": Label("逾期未举证:判商家责任", "evidence too late: merchant liable"),
    "R4_defensible": Label("已协商且凭证齐全:商家无责", "negotiated with evidence: not liable"),
}
"""Each liability rule as a short risk phrase for arrows and quiz answers."""

NEGOTIATION_TYPE_LABELS: Final[dict[str, Label]] = {
    "invite_cancel": Label("已协商一致,邀请买家取消售后", "Agreed: invite the buyer to cancel"),
    "request_evidence": Label("邀请买家核实与补充凭证", "Ask the buyer to verify and add evidence"),
    "modify_request": Label("修改买家售后申请", "Modify the buyer's request"),
}
"""Console labels of the negotiation types (协商类型)."""

EVIDENCE_GROUP_LABELS: Final[dict[str, Label]] = {
    "media": Label("任一图片或视频类凭证", "any photo or video evidence"),
    "any": Label("任一凭证", "any evidence"),
}
"""The placeholders of an evidence need (:class:`EvidenceNeed`): any media item, any item."""

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
