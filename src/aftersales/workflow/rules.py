"""The guards and actions the machine names, bound to one case record.

Guards are side-effect free: validators raise the stable error codes, conditions return a bool.
Actions change the record; they run only after every guard of the command has passed. A
callback takes the event's data as ``payload`` and the transition's ``source``, ``target`` or
``state`` by name; the command's time, origin and note come from the binding.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import (
    EvidenceRequired,
    InvalidAmount,
    InvalidInput,
    InvalidReason,
    LimitReached,
    NegotiationRequired,
    TransitionNotAllowed,
)
from .inputs import (
    DeadlineData,
    DemandEvidenceData,
    EvidenceData,
    ModifyData,
    NegotiateData,
    RejectData,
    RuleData,
    TrackingData,
    check_request,
)
from .liability import assess, evidence_need, rejection_findings
from .reasons import Reason, catalog
from .record import Binding, CaseRecord, Command, Negotiation, Rejection, Timer
from .vocabulary import EVIDENCE_TIMER, STATE_LABELS, STATE_TIMERS


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

    @property
    def command(self) -> Command:
        """The command being applied."""
        command = self.binding.command
        assert command is not None
        return command

    # -- conditions (routing) ----------------------------------------------------------------
    def is_refund_case(self) -> bool:
        """The case is (now) a refund-only case."""
        return self.record.case_type == "refund"

    def is_partial_refund(self) -> bool:
        """The refund under way pays less than the buyer asks for."""
        due = self.record.refund_due
        return due is not None and due < self.record.requested_amount

    def accepted_invite_cancel(self) -> bool:
        """The buyer accepted an invitation to cancel."""
        last = self.record.last_negotiation
        return last is not None and last.negotiation_type == "invite_cancel"

    def ruling_refunds(self, payload: RuleData) -> bool:
        """The ruling moves money: the merchant or both are liable, or none with an amount."""
        liable = _ruled(payload, self.record)
        return liable in ("merchant", "both") or (liable == "none" and payload.amount is not None)

    def follows_contract_v1(self) -> bool:
        """The case was opened under contract v1 and keeps its behaviour."""
        return not self.record.follows(2)

    # -- validators (refusals with codes) --------------------------------------------------
    def is_timer_due(self) -> None:
        """A timer expires once due; the platform may say it expired earlier (its clock wins)."""
        timer, command = self.record.timer, self.command
        if timer is None:
            raise not_allowed("expire", self.record.state, "no timer is running", "没有计时器")
        if timer.due > command.at and command.origin != "platform":
            raise not_allowed(
                "expire",
                self.record.state,
                f"the {timer.kind} timer is due only at {timer.due.isoformat()}",
                f"计时器要到 {timer.due.isoformat()} 才到期",
            )

    def is_valid_deadline(self, payload: DeadlineData) -> None:
        """A deadline moves a running timer to a time after the command."""
        if self.record.timer is None:
            raise not_allowed(
                "set_deadline", self.record.state, "no timer is running", "没有计时器"
            )
        if payload.due <= self.command.at:
            raise InvalidInput(
                "due must lie after the command's time.", "截止时间必须晚于当前时间。", "due"
            )

    def is_valid_tracking_update(self, payload: TrackingData, source: Any) -> None:
        """A new waybill may name the SKU sent only for a replacement (as ``reship`` does)."""
        if payload.sku_id is not None and source.value != "exchange_shipped":
            raise InvalidInput(
                "sku_id names the replacement's SKU: only a reshipped exchange has one.",
                "sku_id 为换货商品的 SKU,仅换货发货后可更新。",
                "sku_id",
            )

    def is_within_negotiation_limit(self) -> None:
        """Policy ``max_negotiations`` is not yet reached."""
        limit = self.record.policy.max_negotiations
        if limit is not None and self.record.negotiation_count >= limit:
            raise not_allowed(
                "negotiate",
                self.record.state,
                f"the limit of {limit} negotiations is reached",
                f"协商次数已达上限 {limit} 次",
            )

    def is_within_application_limit(self) -> None:
        """Policy ``max_applications``: the platform's applications per product line."""
        limit = self.record.policy.max_applications
        if self.record.application_count >= limit:
            raise application_limit(limit)

    def is_valid_modification(self, payload: ModifyData) -> None:
        """A changed type and amount follow the rules of opening a case."""
        record = self.record
        check_request(
            record.facts,
            payload.type or record.case_type,
            payload.requested_amount or record.requested_amount,
            type_field="type",
        )

    def can_intercept(self) -> None:
        """Only a refund of goods shipped and not yet received can be intercepted."""
        record = self.record
        if record.case_type != "refund" or not record.facts.shipped or record.facts.received:
            raise not_allowed(
                "intercept",
                record.state,
                "only a refund of goods shipped and not yet received can be intercepted",
                "只有已发货且买家未收货的仅退款售后可以拦截",
            )

    def is_exchange(self) -> None:
        """The replacement is shipped only for an exchange."""
        if self.record.case_type != "exchange":
            raise not_allowed("reship", self.record.state, "the case is not an exchange", "非换货")

    def is_not_exchange(self) -> None:
        """An exchange is answered by shipping the replacement, not by a refund."""
        if self.record.case_type == "exchange":
            raise not_allowed(
                "confirm_receipt",
                self.record.state,
                "an exchange is completed with reship",
                "换货需发出换货商品",
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
        """A ruling's amount lies within what was paid; holding both liable refunds part of the
        request; holding the buyer liable refunds nothing."""
        record = self.record
        if payload.amount is None:
            return
        self._check_amount(payload.amount)
        liable = _ruled(payload, record)
        if liable == "both" and payload.amount >= record.requested_amount:
            raise InvalidAmount(
                f"A ruling that holds both parties liable refunds part of the request: below "
                f"{record.requested_amount} fen, got {payload.amount}.",
                f"双方责任的判决只退部分款项:须低于申请金额 {record.requested_amount} 分,"
                f"收到 {payload.amount}。",
                "amount",
            )
        if liable == "buyer" and record.follows(2):
            raise InvalidInput(
                "The assessment holds the buyer liable: such a ruling refunds nothing; give "
                "liability none with the amount to refund without fault.",
                "判责结果为买家责任,不退款;如需无责退款,请以 liability none 并给出金额。",
                "amount",
            )

    def is_valid_due(self, payload: DemandEvidenceData) -> None:
        """A platform's evidence deadline lies after the demand."""
        if self._evidence_due(payload) <= self.command.at:
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
        requested = self.record.requested_amount
        if reason.requires.amount_unmet(requested, payload.amount):
            raise InvalidAmount(
                f"Reason {reason.key} needs an amount below the requested {requested} fen.",
                f"「{reason.label_zh}」的金额必须低于申请金额 {requested} 分。",
                "amount",
            )
        self._check_new_type(payload, reason)

    def is_rejection_permitted(self, payload: RejectData, source: Any) -> None:
        """Under policy ``forbid`` a non-defensible rejection is refused, as the platform does."""
        record = self.record
        if record.policy.direct_rejection != "forbid":
            return
        findings = rejection_findings(record, source.value, payload.evidence)
        if "R1_direct_rejection" in findings:
            raise NegotiationRequired(
                "A direct rejection is not allowed: negotiate first, and reject only after the "
                "buyer declines or lets the negotiation time out.",
                "当前售后暂不支持直接拒绝,需先使用「售后协商」与买家沟通,"
                "买家拒绝或超时未处理后方可拒绝。",
                "event",
            )
        if findings:
            need = evidence_need(record, source.value)
            raise EvidenceRequired(
                f"The rejection needs {need.label.en}.",
                f"拒绝需要提供:{need.label.zh}。",
                "evidence",
            )

    # -- actions ---------------------------------------------------------------------------
    def on_enter_state(self, state: Any) -> None:
        """Entering a state starts its timer afresh."""
        record, at = self.record, self.command.at
        kind = STATE_TIMERS.get(state.value)
        record.timer = Timer(kind, at + record.policy.duration(kind), state.value) if kind else None
        if state.value == "refunding" and record.refund_due is None:
            record.refund_due = record.agreed_amount
        if state.value == "platform_intervention":
            record.evidence_demanded = False
            record.intervened = True

    def on_negotiate(self, payload: NegotiateData) -> None:
        record = self.record
        record.negotiation_count += 1
        record.negotiation_evidence = record.negotiation_evidence | {
            item.kind for item in payload.evidence
        }
        record.last_negotiation = Negotiation(
            seq=record.next_seq,
            at=self.command.at,
            negotiation_type=payload.negotiation_type,
            reason=payload.reason,
            message=payload.message,
            amount=payload.amount,
            new_type=_target_type(payload, catalog()[payload.reason], record.case_type),
            evidence=payload.evidence,
        )

    def on_accept(self) -> None:
        record = self.record
        last = record.last_negotiation
        if last is not None and last.negotiation_type == "modify_request":
            record.case_type = last.new_type or record.case_type
            if last.amount is not None:
                record.agreed_amount = last.amount
                self.command.note["agreed_amount"] = last.amount

    def on_modify(self, payload: ModifyData) -> None:
        record = self.record
        record.case_type = payload.type or record.case_type
        record.requested_amount = payload.requested_amount or record.requested_amount
        record.buyer_reason = payload.buyer_reason or record.buyer_reason
        record.agreed_amount = record.requested_amount
        record.applications += 1
        # The buyer's change asks the merchant for a fresh decision: an earlier rejection no
        # longer stands (the log keeps it).
        record.rejection = None
        self.command.note["applications"] = record.application_count

    def on_reject(self, source: Any, payload: RejectData) -> None:
        record, note = self.record, self.command.note
        findings = rejection_findings(record, source.value, payload.evidence)
        record.rejection = Rejection(
            seq=record.next_seq,
            at=self.command.at,
            from_state=source.value,
            reject_reason=payload.reject_reason,
            evidence=payload.evidence,
            findings=findings,
        )
        note["defensible"] = not findings
        note["findings"] = list(findings)

    def on_demand_evidence(self, payload: DemandEvidenceData) -> None:
        record, note = self.record, self.command.note
        due = self._evidence_due(payload)
        record.timer = Timer(EVIDENCE_TIMER, due, record.state)
        record.evidence_demanded = True
        note["due"] = due.astimezone(UTC).isoformat()

    def on_set_deadline(self, payload: DeadlineData) -> None:
        timer = self.record.timer
        assert timer is not None  # the validator made sure
        self.record.timer = Timer(timer.kind, payload.due, timer.state)

    def on_submit_evidence(self, payload: EvidenceData) -> None:
        record = self.record
        record.merchant_evidence = record.merchant_evidence | {i.kind for i in payload.evidence}
        if record.timer is not None and record.timer.kind == EVIDENCE_TIMER:
            record.timer = None
            record.evidence_demanded = False

    def on_expire(self, source: Any) -> None:
        record, note = self.record, self.command.note
        if record.timer is not None:
            note["expired"] = record.timer.kind
        if source.value == "platform_intervention":
            record.evidence_missed = True
            record.evidence_demanded = False
            record.timer = None

    def on_rule(self, payload: RuleData) -> None:
        record, note = self.record, self.command.note
        assessment = assess(record)
        liable = _ruled(payload, record)
        record.liability = liable
        record.liability_rules = assessment.rules
        if liable == "merchant" or (liable in ("both", "none") and payload.amount is not None):
            record.refund_due = payload.amount or record.requested_amount
        note["assessment"] = assessment.to_dict()
        note["liability"] = liable
        note["disagrees"] = assessment.liable != liable

    def on_refund_succeeded(self) -> None:
        self.record.refund_amount = self.record.refund_due

    def on_refund_offline(self) -> None:
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
            problem = reason.requires.unmet(
                record.facts, record.buyer_reason, record.workflow_version
            )
        if problem:
            raise InvalidReason(
                f"Reason {reason.key} needs {problem}.",
                f"协商说明「{reason.label_zh}」不适用于本售后单({problem})。",
                "reason",
            )
        return reason

    def _evidence_due(self, payload: DemandEvidenceData) -> datetime:
        due, at = payload.due, self.command.at
        if due is None:
            return at + self.record.policy.merchant_evidence
        if isinstance(due, timedelta):
            return at + due
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
        if target in ("return_refund", "exchange") and not self.record.facts.shipped:
            raise InvalidInput(
                f"A {target} needs shipped goods.",
                "商品未发货,不能改为退货退款或换货。",
                "new_type",
            )


def application_limit(limit: int) -> LimitReached:
    """The refusal once the platform's applications per product line are used up."""
    return LimitReached(
        f"The limit of {limit} applications for this product line of the order is reached.",
        f"该订单商品的售后申请次数已达上限 {limit} 次。",
        "max_applications",
    )


def _ruled(payload: RuleData, record: CaseRecord) -> str:
    """The party a ruling holds liable: the platform's explicit word, else the assessment."""
    return payload.ruled or assess(record).liable


def _target_type(payload: NegotiateData, reason: Reason, current: str) -> str | None:
    if payload.negotiation_type != "modify_request":
        return None
    return payload.new_type or reason.new_type or current
