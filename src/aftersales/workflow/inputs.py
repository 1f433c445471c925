"""The shape of every input: case facts, policy and each event's data (spec sections 1, 3, 7).

Pydantic validates types and presence; a failure becomes :class:`InvalidInput` naming the field.
Rules that depend on the case (amounts, reasons, evidence) are guards, not input checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    model_validator,
)

from .errors import InvalidAmount, InvalidInput
from .vocabulary import default_seven_day_return

NonEmpty = Annotated[str, Field(min_length=1)]
CaseType = Literal["refund", "return_refund"]
Category = Literal["ordinary", "virtual", "fresh", "plants", "custom"]
SevenDayReturn = Literal["supported", "not_supported", "supported_until_used"]
BuyerReason = Literal[
    "no_reason", "quality_issue", "not_as_described", "wrong_item", "not_received", "other"
]
EvidenceKind = Literal[
    "image",
    "video",
    "chat_record",
    "service_completion_proof",
    "reshipment_tracking",
    "payment_proof",
    "shipping_proof",
    "refund_certificate",
]
NegotiationType = Literal["invite_cancel", "request_evidence", "modify_request"]


class Strict(BaseModel):
    """Base of every input model: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(Strict):
    """One evidence item: a reference to the caller's media or record, never the file."""

    kind: EvidenceKind
    ref: NonEmpty
    note: str | None = None

    @property
    def is_media(self) -> bool:
        """Every kind but a reshipment tracking number is a media item."""
        return self.kind != "reshipment_tracking"


class CaseFacts(Strict):
    """The facts set when a case is opened (spec section 1)."""

    case_id: NonEmpty
    order_id: NonEmpty
    shop_id: NonEmpty
    buyer_id: NonEmpty
    type: CaseType
    category: Category
    seven_day_return: SevenDayReturn
    paid_amount: StrictInt
    requested_amount: StrictInt
    buyer_reason: BuyerReason
    shipped: StrictBool = True
    opened_at: AwareDatetime

    @model_validator(mode="before")
    @classmethod
    def _fill_seven_day_return(cls, data: Any) -> Any:
        # The spec's default depends on the category, so it is filled before validation.
        if isinstance(data, Mapping) and data.get("seven_day_return") is None:
            category = data.get("category")
            if isinstance(category, str):
                return {**data, "seven_day_return": default_seven_day_return(category)}
        return data


class Policy(Strict):
    """Durations and rules that may differ per store or per case (spec section 7)."""

    merchant_response: timedelta = timedelta(hours=48)
    buyer_response: timedelta = timedelta(hours=48)
    return_shipping: timedelta = timedelta(days=7)
    merchant_receipt: timedelta = timedelta(days=10)
    escalation: timedelta = timedelta(days=7)
    merchant_evidence: timedelta = timedelta(hours=48)
    direct_rejection: Literal["liable", "forbid"] = "liable"
    max_message_chars: Annotated[int, Field(gt=0)] = 500
    max_negotiations: Annotated[int, Field(gt=0)] | None = None

    def duration(self, timer_kind: str) -> timedelta:
        """The duration of a timer kind under this policy."""
        value = getattr(self, timer_kind)
        assert isinstance(value, timedelta)
        return value


class NoData(Strict):
    """Events that carry no data."""


class NegotiateData(Strict):
    negotiation_type: NegotiationType
    reason: NonEmpty
    message: str | None = None
    amount: StrictInt | None = None
    new_type: CaseType | None = None
    evidence: tuple[Evidence, ...] = ()

    @model_validator(mode="after")
    def _amount_present(self) -> NegotiateData:
        if self.negotiation_type == "modify_request" and self.amount is None:
            raise ValueError("modify_request needs an amount")
        return self


class RejectData(Strict):
    reject_reason: str | None = None
    evidence: tuple[Evidence, ...] = ()


class EvidenceData(Strict):
    evidence: tuple[Evidence, ...] = ()


class MessageData(Strict):
    message: str | None = None


class InterveneData(Strict):
    message: str


class ShipReturnData(Strict):
    tracking: NonEmpty


class DemandEvidenceData(Strict):
    due: AwareDatetime | timedelta | None = None


class RuleData(Strict):
    outcome: Literal["buyer", "merchant"] | None = None
    amount: StrictInt | None = None


EVENT_DATA: dict[str, type[Strict]] = {
    "agree": NoData,
    "negotiate": NegotiateData,
    "reject": RejectData,
    "confirm_receipt": NoData,
    "submit_evidence": EvidenceData,
    "refund_offline": EvidenceData,
    "accept": NoData,
    "decline": MessageData,
    "supply_evidence": EvidenceData,
    "ship_return": ShipReturnData,
    "withdraw": NoData,
    "escalate": MessageData,
    "intervene": InterveneData,
    "demand_evidence": DemandEvidenceData,
    "rule": RuleData,
    "expire": NoData,
    "refund_succeeded": NoData,
    "refund_failed": MessageData,
}
"""The data model of each event of spec section 3."""

TEXT_FIELDS = ("message", "reject_reason")
"""Free-text fields whose length policy ``max_message_chars`` bounds."""

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Mapping[str, Any]) -> M:
    """Validate ``data`` as ``model``; a failure is :class:`InvalidInput` naming the field."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        msg = first["msg"]
        raise InvalidInput(
            f"Invalid {field or 'input'}: {msg}.", f"字段 {field or '输入'} 无效:{msg}。", field
        ) from exc


def parse_time(value: object, field: str = "at") -> datetime:
    """A timezone-aware datetime from a datetime or an ISO 8601 string; naive is refused."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as exc:
            raise InvalidInput(
                f"{field} is not an ISO 8601 time: {value!r}.",
                f"{field} 不是 ISO 8601 时间:{value!r}。",
                field,
            ) from exc
    if not isinstance(value, datetime):
        raise InvalidInput(f"{field} must be a time.", f"{field} 必须是时间。", field)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            f"{field} must be timezone-aware, got the naive time {value.isoformat()}.",
            f"{field} 必须带时区,收到的是无时区时间 {value.isoformat()}。",
            field,
        )
    return value


def check_facts(facts: CaseFacts) -> None:
    """The cross-field rules of spec section 1 that types alone cannot say."""
    if facts.type == "return_refund" and not facts.shipped:
        raise InvalidInput(
            "A return_refund case needs shipped goods (shipped: true).",
            "退货退款需要商品已发货(shipped: true)。",
            "shipped",
        )
    if facts.seven_day_return == "supported_until_used" and facts.category != "virtual":
        raise InvalidInput(
            f"seven_day_return supported_until_used is only for virtual goods, "
            f"not {facts.category}.",
            f"「使用后不支持七天无理由」仅适用于虚拟商品,不适用于 {facts.category}。",
            "seven_day_return",
        )
    if facts.paid_amount <= 0:
        raise InvalidAmount(
            f"paid_amount must be above 0 fen, got {facts.paid_amount}.",
            f"实付金额必须大于 0 分,收到 {facts.paid_amount}。",
            "paid_amount",
        )
    if not 0 < facts.requested_amount <= facts.paid_amount:
        raise InvalidAmount(
            f"requested_amount must be in 1..{facts.paid_amount} fen, "
            f"got {facts.requested_amount}.",
            f"申请金额必须在 1 到 {facts.paid_amount} 分之间,收到 {facts.requested_amount}。",
            "requested_amount",
        )
