"""The guards and actions the machine names, bound to one case record.

Guards are side-effect free: validators raise the spec's error codes, conditions return a bool.
Actions change the record; they run only after every guard of the command has passed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .errors import (
    EvidenceRequired,
    InvalidAmount,
    InvalidInput,
    InvalidReason,
    NegotiationRequired,
    TransitionNotAllowed,
)
from .inputs import (
    DemandEvidenceData,
    EvidenceData,
    NegotiateData,
    RejectData,
    RuleData,
)
from .liability import Assessment, assess, evidence_need, rejection_findings
from .reasons import Reason, catalog
from .record import Binding, CaseRecord, Negotiation, Rejection, Timer
from .vocabulary import STATE_LABELS, STATE_TIMERS


def not_allowed(event: str, state: str, why_en: str = "", why_zh: str = "") -> TransitionNotAllowed:
    """The refusal for an event the current state does not allow."""
    label = STATE_LABELS[state]
    return TransitionNotAllowed(
        f"Can't {event} when in {state}{': ' + why_en if why_en else ''}.",
        f"当前状态「{label.zh}」不能执行 {event}{':' + why_zh if why_zh else ''}。",
        "event",
    )


class CaseRules:
    """Implements every guard and action of :class:`CaseMachine` for the bound ``CaseRecord``."""

    def __init__(self, binding: Binding) -> None:
        self.binding = binding

    @property
    def record(self) -> CaseRecord:
        """The case the machine works on now."""
        record = self.binding.record
        assert record is not None
        return record

    # -- conditions (routing) ----------------------------------------------------------------
    def is_refund_case(self) -> bool:
        """The case is (now) a refund-only case."""
        return self.record.case_type == "refund"

    def is_partial_refund(self) -> bool:
        """The refund under way pays less than the buyer asked for."""
        due = self.record.refund_due
        return due is not None and due < self.record.facts.requested_amount

    def accepted_invite_cancel(self) -> bool:
        """The buyer accepted an invitation to cancel."""
        last = self.record.last_negotiation
        return last is not None and last.negotiation_type == "invite_cancel"

    def accepted_refund(self) -> bool:
        """The buyer accepted a modified request that ends as refund-only."""
        return self.record.case_type == "refund"

    def ruling_favours_buyer(self, payload: RuleData) -> bool:
        """The platform's explicit outcome, or else the assessment, favours the buyer."""
        return _outcome(payload, assess(self.record)) == "buyer"

    # -- validators (refusals with codes) --------------------------------------------------
    def has_running_timer(self) -> None:
        """A timer can expire only while one runs."""
        if self.record.timer is None:
            raise not_allowed("expire", self.record.state, "no timer is running", "没有计时器")

    def is_within_negotiation_limit(self) -> None:
        """Policy ``max_negotiations`` is not yet reached."""
        limit = self.record.policy.max_negotiations
        if limit is not None and len(self.record.negotiations) >= limit:
            raise not_allowed(
                "negotiate",
                self.record.state,
                f"the limit of {limit} negotiations is reached",
                f"协商次数已达上限 {limit} 次",
            )

    def is_not_evidence_request(self) -> None:
        """A request for evidence is answered with evidence, not accepted."""
        last = self.record.last_negotiation
        if last is not None and last.negotiation_type == "request_evidence":
            raise not_allowed(
                "accept",
                "negotiating",
                "a request_evidence negotiation is answered with supply_evidence",
                "补充凭证类协商需以补充凭证回应",
            )

    def is_evidence_request(self) -> None:
        """Evidence is supplied only when the merchant asked for it."""
        last = self.record.last_negotiation
        if last is None or last.negotiation_type != "request_evidence":
            raise not_allowed(
                "supply_evidence",
                "negotiating",
                "the negotiation did not request evidence",
                "该协商未要求补充凭证",
            )

    def has_evidence(self, payload: EvidenceData) -> None:
        """At least one evidence item comes with the command."""
        if not payload.evidence:
            raise EvidenceRequired(
                "At least one evidence item is required.", "至少需要一项凭证。", "evidence"
            )

    def has_refund_certificate(self, payload: EvidenceData) -> None:
        """An offline refund is proven by a refund certificate or a payment proof."""
        kinds = {item.kind for item in payload.evidence}
        if not kinds & {"refund_certificate", "payment_proof"}:
            raise EvidenceRequired(
                "An offline refund needs a refund_certificate or payment_proof.",
                "线下退款需要退款凭证或打款截图。",
                "evidence",
            )

    def is_valid_ruling(self, payload: RuleData) -> None:
        """A ruling's amount lies within what was paid."""
        if payload.amount is not None:
            self._check_amount(payload.amount)

    def is_valid_due(self, payload: DemandEvidenceData) -> None:
        """A platform's evidence deadline lies after the demand."""
        if self._evidence_due(payload) <= self.record.now:
            raise InvalidInput(
                "due must lie after the command's time.", "举证截止时间必须晚于当前时间。", "due"
            )

    def is_valid_negotiation(self, payload: NegotiateData) -> None:
        """The reason exists and fits; evidence and amount meet the reason's rules."""
        reason = self._fitting_reason(payload)
        if reason.need_image and not any(item.is_media for item in payload.evidence):
            raise EvidenceRequired(
                f"Reason {reason.key} needs at least one image or other media evidence.",
                f"协商说明「{reason.label_zh}」需要上传至少一项图片凭证。",
                "evidence",
            )
        if payload.amount is not None:
            self._check_amount(payload.amount)
        if reason.requires.amount_unmet(self.record.facts, payload.amount):
            raise InvalidAmount(
                f"Reason {reason.key} needs an amount below the requested "
                f"{self.record.facts.requested_amount} fen.",
                f"「{reason.label_zh}」的金额必须低于申请金额 "
                f"{self.record.facts.requested_amount} 分。",
                "amount",
            )
        self._check_new_type(payload, reason)

    def is_rejection_permitted(self, payload: RejectData) -> None:
        """Under policy ``forbid`` a non-defensible rejection is refused, as the platform does."""
        if self.record.policy.direct_rejection != "forbid":
            return
        findings = rejection_findings(self.record, self.record.state, payload.evidence)
        if "R1_direct_rejection" in findings:
            raise NegotiationRequired(
                "A direct rejection is not allowed: negotiate first, and reject only after the "
                "buyer declines or lets the negotiation time out.",
                "当前售后暂不支持直接拒绝,需先使用「售后协商」与买家沟通,"
                "买家拒绝或超时未处理后方可拒绝。",
                "event",
            )
        if findings:
            need = evidence_need(self.record, self.record.state)
            raise EvidenceRequired(
                f"The rejection needs {need.label.en}.",
                f"拒绝需要提供:{need.label.zh}。",
                "evidence",
            )

    # -- actions ---------------------------------------------------------------------------
    def on_enter_state(self, state: Any) -> None:
        """Entering a state records it in the path and starts its timer afresh."""
        record = self.record
        record.path.append(state.value)
        kind = STATE_TIMERS.get(state.value)
        record.timer = (
            Timer(kind, record.now + record.policy.duration(kind), state.value) if kind else None
        )
        if state.value == "refunding" and record.refund_due is None:
            record.refund_due = record.agreed_amount
        if state.value == "platform_intervention":
            record.evidence_demanded = False

    def on_negotiate(self, payload: NegotiateData) -> None:
        self.record.negotiations.append(
            Negotiation(
                seq=self.record.next_seq,
                at=self.record.now,
                negotiation_type=payload.negotiation_type,
                reason=payload.reason,
                message=payload.message,
                amount=payload.amount,
                new_type=_target_type(payload, catalog()[payload.reason], self.record.case_type),
                evidence=payload.evidence,
            )
        )

    def on_accept(self) -> None:
        last = self.record.last_negotiation
        if last is not None and last.negotiation_type == "modify_request":
            self.record.case_type = last.new_type or self.record.case_type
            if last.amount is not None:
                self.record.agreed_amount = last.amount
                self.record.note["agreed_amount"] = last.amount

    def on_reject(self, source: Any, payload: RejectData) -> None:
        findings = rejection_findings(self.record, source.value, payload.evidence)
        self.record.rejection = Rejection(
            seq=self.record.next_seq,
            at=self.record.now,
            from_state=source.value,
            reject_reason=payload.reject_reason,
            evidence=payload.evidence,
            findings=findings,
        )
        self.record.note["defensible"] = not findings
        self.record.note["findings"] = list(findings)

    def on_demand_evidence(self, payload: DemandEvidenceData) -> None:
        record = self.record
        due = self._evidence_due(payload)
        record.timer = Timer("merchant_evidence", due, record.state)
        record.evidence_demanded = True
        record.note["due"] = due.isoformat()

    def on_submit_evidence(self, payload: EvidenceData) -> None:
        self.record.merchant_evidence.extend(payload.evidence)
        if self.record.timer is not None and self.record.timer.kind == "merchant_evidence":
            self.record.timer = None
            self.record.evidence_demanded = False

    def on_expire(self, source: Any) -> None:
        if self.record.timer is not None:
            self.record.note["timer"] = self.record.timer.kind
        if source.value == "platform_intervention":
            self.record.evidence_missed = True
            self.record.evidence_demanded = False
            self.record.timer = None

    def on_rule(self, payload: RuleData) -> None:
        record = self.record
        assessment = assess(record)
        outcome = _outcome(payload, assessment)
        record.liability = "merchant" if outcome == "buyer" else "buyer"
        record.liability_rules = assessment.rules
        if outcome == "buyer":
            record.refund_due = payload.amount or record.facts.requested_amount
        record.note["assessment"] = assessment.to_dict()
        record.note["liability"] = record.liability
        record.note["disagrees"] = assessment.liable != record.liability

    def on_refund_succeeded(self) -> None:
        self.record.refund_amount = self.record.refund_due

    def on_refund_offline(self, payload: EvidenceData) -> None:
        self.record.refund_amount = self.record.refund_due

    # -- helpers ---------------------------------------------------------------------------
    def _fitting_reason(self, payload: NegotiateData) -> Reason:
        reason = catalog().get(payload.reason)
        if reason is None:
            raise InvalidReason(
                f"Unknown negotiation reason {payload.reason!r}.",
                f"未知的协商说明 {payload.reason!r}。",
                "reason",
            )
        record = self.record
        problem = None
        if reason.negotiation_type != payload.negotiation_type:
            problem = f"negotiation type {reason.negotiation_type}"
        elif record.case_type not in reason.applies_to:
            problem = f"a {' or '.join(reason.applies_to)} case"
        else:
            problem = reason.requires.unmet(record.facts)
        if problem:
            raise InvalidReason(
                f"Reason {reason.key} needs {problem}.",
                f"协商说明「{reason.label_zh}」不适用于本售后单({problem})。",
                "reason",
            )
        return reason

    def _evidence_due(self, payload: DemandEvidenceData) -> datetime:
        due = payload.due
        if due is None:
            return self.record.now + self.record.policy.merchant_evidence
        if isinstance(due, timedelta):
            return self.record.now + due
        return due

    def _check_amount(self, amount: int) -> None:
        paid = self.record.facts.paid_amount
        if not 0 < amount <= paid:
            raise InvalidAmount(
                f"amount must be in 1..{paid} fen (what was paid), got {amount}.",
                f"金额必须在 1 到 {paid} 分(实付金额)之间,收到 {amount}。",
                "amount",
            )

    def _check_new_type(self, payload: NegotiateData, reason: Reason) -> None:
        if reason.new_type and payload.new_type and payload.new_type != reason.new_type:
            raise InvalidReason(
                f"Reason {reason.key} turns the case into {reason.new_type}, "
                f"not {payload.new_type}.",
                f"协商说明「{reason.label_zh}」会将售后类型改为 {reason.new_type}。",
                "new_type",
            )
        target = _target_type(payload, reason, self.record.case_type)
        if target == "return_refund" and not self.record.facts.shipped:
            raise InvalidInput(
                "A return needs shipped goods.", "商品未发货,不能改为退货退款。", "new_type"
            )


def _outcome(payload: RuleData, assessment: Assessment) -> str:
    """The party a ruling favours: the platform's explicit outcome wins over the assessment."""
    if payload.outcome is not None:
        return payload.outcome
    return "buyer" if assessment.liable == "merchant" else "merchant"


def _target_type(payload: NegotiateData, reason: Reason, current: str) -> str | None:
    if payload.negotiation_type != "modify_request":
        return None
    return payload.new_type or reason.new_type or current
