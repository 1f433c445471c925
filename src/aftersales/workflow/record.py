"""The state of one case as plain data: what the machine reads and writes (its model).

A :class:`CaseRecord` holds only what the rules need, so its size does not grow with the number
of commands: the log (the :class:`EventRecord` list) keeps the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from .inputs import CaseFacts, Evidence, Policy
from .vocabulary import WORKFLOW_VERSION


@dataclass(frozen=True)
class Actor:
    """Who sends a command: a role and, for merchants and buyers, the shop or buyer id."""

    role: str
    id: str | None = None

    @classmethod
    def merchant(cls, shop_id: str) -> Actor:
        """The merchant of ``shop_id``."""
        return cls("merchant", shop_id)

    @classmethod
    def buyer(cls, buyer_id: str) -> Actor:
        """The buyer ``buyer_id``."""
        return cls("buyer", buyer_id)

    @classmethod
    def platform(cls) -> Actor:
        """WeChat Shop's platform service (平台)."""
        return cls("platform")

    @classmethod
    def system(cls) -> Actor:
        """Timers and the payment system."""
        return cls("system")

    def to_dict(self) -> dict[str, Any]:
        """As in a history file: ``{"role": ..., "id": ...}``."""
        return {"role": self.role, "id": self.id} if self.id is not None else {"role": self.role}


@dataclass(frozen=True)
class Timer:
    """A running deadline of the case; it fires ``expire`` when due."""

    kind: str
    due: datetime
    state: str


PLATFORM_TIMERS: Final = frozenset(
    {"merchant_response", "buyer_response", "return_shipping", "buyer_receipt", "merchant_evidence"}
)
"""The timers the platform's clock owns on linked version-3 cases."""


@dataclass(frozen=True)
class Negotiation:
    """The negotiation the merchant sent last (售后协商)."""

    seq: int
    at: datetime
    negotiation_type: str
    reason: str
    message: str | None
    amount: int | None
    new_type: str | None
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Rejection:
    """The merchant's standing rejection, and how the defensibility table judged it when it
    was made."""

    seq: int
    at: datetime
    from_state: str
    reject_reason: str | None
    evidence: tuple[Evidence, ...]
    findings: tuple[str, ...]

    @property
    def defensible(self) -> bool:
        """A rejection is defensible when no liability rule found fault with it."""
        return not self.findings

    @property
    def direct(self) -> bool:
        """A rejection straight from ``requested``, without negotiating."""
        return self.from_state == "requested"


@dataclass(frozen=True)
class EventRecord:
    """One accepted event: the unit of the log."""

    seq: int
    event: str
    actor: Actor
    at: datetime
    data: dict[str, Any]
    state_before: str | None
    state_after: str
    command_id: str | None = None
    origin: str = "local"
    """``local`` (a command sent through this library) or ``platform`` (learned from WeChat)."""
    note: dict[str, Any] = field(default_factory=dict)
    """What the workflow decided beyond the state: findings, assessment, amounts."""
    timer: Timer | None = None
    """The timer running after the event, so stores can keep durable timer rows."""
    entered: tuple[str, ...] = ()
    """The states the event entered, in order: transient ones included, none for an event
    that stays where it is."""


@dataclass
class CaseRecord:
    """Everything the workflow knows about one case now: the machine's model.

    Every value is immutable and the rules only rebind attributes, so ``copy.copy`` makes an
    independent copy.
    """

    facts: CaseFacts
    policy: Policy
    state: str
    case_type: str
    requested_amount: int
    buyer_reason: str
    agreed_amount: int
    workflow_version: int = WORKFLOW_VERSION
    """The contract version the case was opened under; it keeps that behaviour for life."""
    applications: int = 1
    """Applications of this case: its opening and each ``modify``."""
    prior_applications: int = 0
    """Applications of earlier cases of the same product line (a store counts them)."""
    negotiation_count: int = 0
    last_negotiation: Negotiation | None = None
    negotiation_evidence: frozenset[str] = frozenset()
    """The evidence kinds the merchant's negotiations carried, all of them together."""
    rejection: Rejection | None = None
    timer: Timer | None = None
    intervened: bool = False
    evidence_demanded: bool = False
    evidence_missed: bool = False
    merchant_evidence: frozenset[str] = frozenset()
    """The evidence kinds the merchant submitted to the platform during an intervention."""
    seq: int = 0
    """The sequence number of the last recorded event: the case's version."""
    last_at: datetime | None = None
    """When the last recorded event happened; commands may not go back before it."""
    refund_due: int | None = None
    refund_amount: int | None = None
    liability: str | None = None
    liability_rules: tuple[str, ...] = ()

    @property
    def next_seq(self) -> int:
        """The sequence number the next event gets."""
        return self.seq + 1

    def platform_owns(self, timer: Timer) -> bool:
        """Whether the platform's clock decides this timer: on a case linked to a
        WeChat after-sale order and opened under contract version 3, the merchant's response
        window, the buyer's negotiation, return-shipping and receipt windows and the evidence
        demand happen when WeChat says they did, never by a local timer."""
        return self.follows(3) and bool(self.facts.platform_id) and timer.kind in PLATFORM_TIMERS

    def follows(self, version: int) -> bool:
        """Whether the case was opened under contract ``version`` or later: the gate for a
        rule whose behaviour changed in that version."""
        return self.workflow_version >= version

    @property
    def application_count(self) -> int:
        """Applications made for the case's product line, this case's included."""
        return self.prior_applications + self.applications


@dataclass
class Command:
    """What the command being applied brings besides its data: its time, where it came from, and
    the note its event record will carry. Never part of the record."""

    at: datetime
    origin: str = "local"
    note: dict[str, Any] = field(default_factory=dict)


class Binding:
    """The machine's model: the case record the machine works on now, and the command applying
    to it (python-statemachine hands an event's own arguments to the transition it triggers,
    not to the eventless ones that follow, so the command's context lives here)."""

    def __init__(self, record: CaseRecord | None = None, command: Command | None = None) -> None:
        self.record: CaseRecord | None = record
        self.command: Command | None = command

    @property
    def state(self) -> str | None:
        return self.record.state if self.record is not None else None

    @state.setter
    def state(self, value: str) -> None:
        assert self.record is not None
        self.record.state = value
