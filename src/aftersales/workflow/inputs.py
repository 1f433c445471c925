"""The shape of every input: case facts, policy and each event's data.

This is the one validation layer at the edge of the public API. Pydantic checks types,
presence and bounds; a failure becomes :class:`InvalidInput` naming the field. Rules that depend
on the case (amounts against what was paid, reasons, evidence) are guards, not input checks.

Bounds, documented in ``docs/`` and enforced on every backend:

- ids (``case_id``, ``shop_id``, ``command_id``...): non-blank, at most :data:`MAX_ID` characters,
  no control characters;
- free text: at most :data:`MAX_TEXT` characters (``message`` and ``reject_reason`` also at most the
  policy's ``max_message_chars``), no NUL, no lone surrogate, no control character but newline
  and tab;
- amounts: whole fen, at most :data:`MAX_AMOUNT` (2^53 - 1: exact in every JSON reader and in a
  BIGINT column);
- evidence: at most :data:`MAX_EVIDENCE` items a command;
- times: timezone-aware, years :data:`MIN_YEAR` to :data:`MAX_YEAR`;
- policy durations: from :data:`MIN_DURATION` to :data:`MAX_DURATION`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from .errors import InvalidAmount, InvalidInput

MAX_ID: Final = 128
MAX_TEXT: Final = 2000
MAX_REF: Final = 512
MAX_AMOUNT: Final = 2**53 - 1
MAX_EVIDENCE: Final = 50
MIN_YEAR: Final = 2000
MAX_YEAR: Final = 2200
MIN_DURATION: Final = timedelta(minutes=1)
MAX_DURATION: Final = timedelta(days=3 * 366)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\n\t\u2028\u2029]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _clean_text(value: str) -> str:
    if _SURROGATE.search(value):
        raise ValueError("text holds a lone surrogate (not valid Unicode)")
    if _CONTROL.search(value):
        raise ValueError("text holds a control character (only newline and tab are allowed)")
    return value


def _clean_id(value: str) -> str:
    _clean_text(value)
    if _LINE_BREAKS.search(value):
        raise ValueError("an id holds no line breaks or tabs")
    if not value.strip():
        raise ValueError("an id may not be blank")
    return value


def _clean_sku(value: str) -> str:
    # A product line may have no sku id (""), but a given one follows the rules of ids.
    return _clean_id(value) if value else value


def _only_time(value: Any) -> Any:
    # Pydantic would read an integer as a Unix time; a time here must say so explicitly.
    if not isinstance(value, datetime | str):
        raise ValueError("a time is a datetime or an ISO 8601 string")
    return value


def _sane_year(value: datetime) -> datetime:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"a time lies in the years {MIN_YEAR} to {MAX_YEAR}")
    return value


def _sane_duration(value: timedelta) -> timedelta:
    if not MIN_DURATION <= value <= MAX_DURATION:
        raise ValueError(f"a duration lies between {MIN_DURATION} and {MAX_DURATION.days} days")
    return value


Id = Annotated[str, Field(max_length=MAX_ID), AfterValidator(_clean_id)]
Key = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_clean_id)]
Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_clean_text)]
Ref = Annotated[str, Field(max_length=MAX_REF), AfterValidator(_clean_id)]
Amount = Annotated[StrictInt, Field(le=MAX_AMOUNT)]
Time = Annotated[AwareDatetime, BeforeValidator(_only_time), AfterValidator(_sane_year)]
Duration = Annotated[timedelta, AfterValidator(_sane_duration)]

CaseType = Literal["refund", "return_refund", "exchange"]
SevenDayReturn = Literal["supported", "not_supported", "supported_until_used"]
SEVEN_DAY_RETURN: Final[dict[str, SevenDayReturn]] = {
    "ordinary": "supported",
    "virtual": "supported_until_used",
    "fresh": "not_supported",
    "plants": "not_supported",
    "custom": "not_supported",
}
"""Every goods category, with the seven-day no-reason return it has unless the case says
otherwise."""
SPECIAL_CATEGORIES: Final = frozenset(
    category for category, default in SEVEN_DAY_RETURN.items() if default != "supported"
)
"""Goods the platform treats as special: no seven-day no-reason return, or only until used."""
if TYPE_CHECKING:
    Category = str
else:  # the schema's enum, from the table above
    Category = Literal[tuple(SEVEN_DAY_RETURN)]
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
Liability = Literal["merchant", "buyer", "both", "none"]
PERSONAL_REASONS: Final = frozenset({"no_reason", "other"})
"""Buyer reasons the seed calls personal (个人原因)."""


class Strict(BaseModel):
    """Base of every input model: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(Strict):
    """One evidence item: a reference to the caller's media or record, never the file.

    ``ref`` is the caller's own handle; ``media_id`` is WeChat's, for items uploaded there (only
    those can be sent to WeChat's APIs).
    """

    kind: EvidenceKind
    ref: Ref
    note: Text | None = None
    media_id: Ref | None = None

    @property
    def is_media(self) -> bool:
        """Every kind but a reshipment tracking number is a media item."""
        return is_media_kind(self.kind)


def is_media_kind(kind: str) -> bool:
    """Whether evidence of ``kind`` is a media item."""
    return kind != "reshipment_tracking"


EvidenceList = Annotated[tuple[Evidence, ...], Field(max_length=MAX_EVIDENCE)]


class CaseFacts(Strict):
    """The facts set when a case is opened."""

    case_id: Id
    order_id: Id
    shop_id: Id
    buyer_id: Id
    type: CaseType
    category: Category
    seven_day_return: SevenDayReturn
    paid_amount: Amount
    requested_amount: Amount
    buyer_reason: BuyerReason
    shipped: StrictBool = True
    received: StrictBool = False
    used: StrictBool = False
    sku_id: Annotated[str, Field(max_length=MAX_ID), AfterValidator(_clean_sku)] = ""
    count: Annotated[StrictInt, Field(ge=1, le=100_000)] = 1
    platform_id: Id | None = None
    opened_at: Time

    @model_validator(mode="before")
    @classmethod
    def _fill_seven_day_return(cls, data: Any) -> Any:
        # The default depends on the category, so it is filled before validation.
        if isinstance(data, Mapping) and data.get("seven_day_return") is None:
            category = data.get("category")
            if isinstance(category, str):
                default = SEVEN_DAY_RETURN.get(category, "supported")
                return {**data, "seven_day_return": default}
        return data


class Policy(Strict):
    """Durations and rules that may differ per store or per case (docs/reference/policy.md)."""

    merchant_response: Duration = Field(
        default=timedelta(hours=48),
        description="How long the merchant has to act on a request; then it is agreed for them.",
    )
    buyer_response: Duration = Field(
        default=timedelta(hours=48),
        description="How long the buyer has to answer a negotiation; then it has timed out.",
    )
    return_shipping: Duration = Field(
        default=timedelta(days=7),
        description="How long the buyer has to ship goods back; then the return lapses.",
    )
    merchant_receipt: Duration = Field(
        default=timedelta(days=10),
        description="How long the merchant has to confirm or refuse returned goods; then they "
        "count as received and the refund is due.",
    )
    escalation: Duration = Field(
        default=timedelta(days=7),
        description="How long the buyer may ask the platform to step in after a rejection or a "
        "lapsed return; then the case ends (closed, or cancelled after a lapsed return).",
    )
    merchant_evidence: Duration = Field(
        default=timedelta(hours=48),
        description="How long the merchant has to answer the platform's demand for evidence "
        "(when the demand gives no due time of its own).",
    )
    interception: Duration = Field(
        default=timedelta(days=5),
        description="How long a parcel interception may run; then it counts as failed.",
    )
    buyer_receipt: Duration = Field(
        default=timedelta(days=10),
        description="How long the buyer has to confirm a reshipped exchange; then it is done.",
    )
    direct_rejection: Literal["liable", "forbid"] = Field(
        default="liable",
        description="liable: a rejection is accepted and its findings (direct, evidence "
        "missing) make the merchant liable if the platform judges the case; forbid: a direct "
        "rejection is refused with negotiation_required, and one lacking the evidence it needs "
        "with evidence_required.",
    )
    direct_rejection_scope: Literal["all", "special_goods"] = Field(
        default="all",
        description="Which cases the rule against direct rejection covers: every case, or only "
        "special goods (virtual, fresh, plants, custom, or goods without seven-day no-reason "
        "return).",
    )
    max_message_chars: Annotated[StrictInt, Field(gt=0, le=MAX_TEXT)] = Field(
        default=500, description="The longest free-text message or reason accepted."
    )
    max_negotiations: Annotated[StrictInt, Field(gt=0, le=1000)] | None = Field(
        default=None, description="How many negotiations one case allows; null: no limit."
    )
    max_applications: Annotated[StrictInt, Field(gt=0, le=1000)] = Field(
        default=5,
        description="How many after-sale applications one order line allows, counting "
        "changed requests.",
    )

    def duration(self, timer_kind: str) -> timedelta:
        """The duration of a timer kind under this policy."""
        value = getattr(self, timer_kind)
        assert isinstance(value, timedelta)
        return value


DEFAULT_POLICY: Final = Policy()
"""The default policy, built once (a policy is immutable)."""


class NoData(Strict):
    """Events that carry no data."""


class NegotiateData(Strict):
    negotiation_type: NegotiationType
    reason: Key
    message: Text | None = None
    amount: Amount | None = None
    new_type: CaseType | None = None
    evidence: EvidenceList = ()

    @model_validator(mode="after")
    def _amount_present(self) -> NegotiateData:
        if self.negotiation_type == "modify_request" and self.amount is None:
            raise ValueError("modify_request needs an amount")
        return self


class RejectData(Strict):
    reject_reason: Text | None = None
    evidence: EvidenceList = ()
    reject_reason_type: Annotated[int, Field(ge=1, le=999_999)] | None = None
    """WeChat's ``reject_reason_type`` chosen for this rejection (from ``rejectreason/get``)."""


class EvidenceData(Strict):
    evidence: EvidenceList = ()


class MessageData(Strict):
    message: Text | None = None


class RequiredMessageData(Strict):
    message: Annotated[Text, Field(min_length=1)]


class TrackingData(Strict):
    tracking: Annotated[str, Field(max_length=64), AfterValidator(_clean_id)]
    sku_id: Id | None = None
    """For ``reship`` (and ``update_tracking`` after it): the SKU sent as the replacement (an
    exchange may change the SKU)."""


class DemandEvidenceData(Strict):
    due: Time | Duration | None = None


class DeadlineData(Strict):
    due: Time


class ModifyData(Strict):
    """What the buyer changes in the request (用户修改申请): at least one field."""

    type: CaseType | None = None
    requested_amount: Amount | None = None
    buyer_reason: BuyerReason | None = None
    evidence: EvidenceList = ()

    @model_validator(mode="after")
    def _changes_something(self) -> ModifyData:
        if (self.type, self.requested_amount, self.buyer_reason) == (None, None, None) and (
            not self.evidence
        ):
            raise ValueError("modify needs one of type, requested_amount, buyer_reason, evidence")
        return self


class RuleData(Strict):
    """A ruling: the party it favours (``outcome``) or the party held liable (``liability``)."""

    outcome: Literal["buyer", "merchant"] | None = None
    liability: Liability | None = None
    amount: Amount | None = None

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> RuleData:
        if self.outcome is not None and self.liability is not None:
            raise ValueError("give outcome or liability, not both")
        if self.liability == "both" and self.amount is None:
            raise ValueError("a ruling that holds both parties liable needs an amount")
        v1 = (info.context or {}).get("workflow_version", 2) < 2
        if self.ruled == "buyer" and self.amount is not None and not v1:
            raise ValueError("a ruling that holds the buyer liable refunds no amount")
        return self

    @property
    def ruled(self) -> str | None:
        """The liable party the ruling names, if it names one."""
        if self.outcome is not None:
            return "merchant" if self.outcome == "buyer" else "buyer"
        return self.liability


TEXT_FIELDS = ("message", "reject_reason")
"""Free-text fields whose length policy ``max_message_chars`` bounds."""

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Any, context: Mapping[str, Any] | None = None) -> M:
    """Validate ``data`` as ``model``; a failure is :class:`InvalidInput` naming the field."""
    if not isinstance(data, Mapping):
        raise InvalidInput(
            f"Expected an object of fields, got {type(data).__name__}.",
            f"应为字段对象,收到 {type(data).__name__}。",
            None,
        )
    try:
        return model.model_validate(dict(data), context=dict(context or {}))
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        msg = first["msg"]
        raise InvalidInput(
            f"Invalid {field or 'input'}: {msg}.", f"字段 {field or '输入'} 无效:{msg}。", field
        ) from None
    except (RecursionError, OverflowError, ValueError) as exc:  # pathological input
        raise InvalidInput(f"Invalid input: {type(exc).__name__}.", "输入无效。", None) from None


def parse_time(value: object, field: str = "at") -> datetime:
    """A timezone-aware datetime from a datetime or an ISO 8601 string; naive is refused."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if len(value) <= 64 else None
        except ValueError:
            value = None
        if value is None:
            raise InvalidInput(
                f"{field} is not an ISO 8601 time.", f"{field} 不是 ISO 8601 时间。", field
            )
    if not isinstance(value, datetime):
        raise InvalidInput(f"{field} must be a time.", f"{field} 必须是时间。", field)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            f"{field} must be timezone-aware, got the naive time {value.isoformat()}.",
            f"{field} 必须带时区,收到的是无时区时间 {value.isoformat()}。",
            field,
        )
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise InvalidInput(
            f"{field} must lie in the years {MIN_YEAR} to {MAX_YEAR}.",
            f"{field} 必须在 {MIN_YEAR} 至 {MAX_YEAR} 年之间。",
            field,
        )
    return value


def check_request(
    facts: CaseFacts, type_: str, requested_amount: int, type_field: str = "shipped"
) -> None:
    """The rules of an application's type and amount for ``open`` and
    for the buyer's ``modify``."""
    if type_ in ("return_refund", "exchange") and not facts.shipped:
        raise InvalidInput(
            f"A {type_} case needs shipped goods (shipped: true).",
            "退货退款或换货需要商品已发货(shipped: true)。",
            type_field,
        )
    if not 0 < requested_amount <= facts.paid_amount:
        raise InvalidAmount(
            f"requested_amount must be in 1..{facts.paid_amount} fen, got {requested_amount}.",
            f"申请金额必须在 1 到 {facts.paid_amount} 分之间,收到 {requested_amount}。",
            "requested_amount",
        )


def check_facts(facts: CaseFacts) -> None:
    """The cross-field rules that types alone cannot say."""
    if facts.seven_day_return == "supported_until_used" and facts.category != "virtual":
        raise InvalidInput(
            f"seven_day_return supported_until_used is only for virtual goods, "
            f"not {facts.category}.",
            f"「使用后不支持七天无理由」仅适用于虚拟商品,不适用于 {facts.category}。",
            "seven_day_return",
        )
    if facts.received and not facts.shipped:
        raise InvalidInput(
            "Goods that were not shipped cannot have been received.",
            "商品未发货,买家不可能已收货。",
            "received",
        )
    if facts.paid_amount <= 0:
        raise InvalidAmount(
            f"paid_amount must be above 0 fen, got {facts.paid_amount}.",
            f"实付金额必须大于 0 分,收到 {facts.paid_amount}。",
            "paid_amount",
        )
    check_request(facts, facts.type, facts.requested_amount)
