"""The state of one case as plain data: what the machine reads and writes (its model)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .inputs import CaseFacts, Evidence, Policy


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


@dataclass(frozen=True)
class Negotiation:
    """One negotiation the merchant sent (售后协商)."""

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
    """The merchant's rejection and how section 5 judged it."""

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
    note: dict[str, Any] = field(default_factory=dict)
    """What the workflow decided beyond the state: findings, assessment, amounts."""
    timer: Timer | None = None
    """The timer running after the event, so stores can keep durable timer rows."""


@dataclass
class CaseRecord:
    """Everything the workflow knows about one case. The machine's model."""

    facts: CaseFacts
    policy: Policy
    state: str
    case_type: str
    agreed_amount: int
    now: datetime
    negotiations: list[Negotiation] = field(default_factory=list)
    rejection: Rejection | None = None
    timer: Timer | None = None
    evidence_demanded: bool = False
    evidence_missed: bool = False
    merchant_evidence: list[Evidence] = field(default_factory=list)
    seq: int = 0
    """The sequence number of the last recorded event: the case's version."""
    last_at: datetime | None = None
    """When the last recorded event happened; commands may not go back before it."""
    refund_due: int | None = None
    refund_amount: int | None = None
    liability: str | None = None
    liability_rules: tuple[str, ...] = ()
    path: list[str] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    """The recorded events held in memory: all of them for a case built in memory; a store
    loads them only when asked (snapshots leave them out, the log has them)."""
    commands: dict[str, int] = field(default_factory=dict)
    note: dict[str, Any] = field(default_factory=dict)

    @property
    def last_negotiation(self) -> Negotiation | None:
        """The negotiation the buyer is answering, or answered last."""
        return self.negotiations[-1] if self.negotiations else None

    @property
    def next_seq(self) -> int:
        """The sequence number the next event gets."""
        return self.seq + 1


class Binding:
    """The machine's model: the case record the machine works on now.

    Building a machine costs far more than sending it an event, so one machine serves many
    cases in turn (see :func:`aftersales.workflow.case.machine_for`) and is pointed at each
    case's record through this slot.
    """

    def __init__(self, record: CaseRecord | None = None) -> None:
        self.record: CaseRecord | None = record

    @property
    def state(self) -> str | None:
        return self.record.state if self.record is not None else None

    @state.setter
    def state(self, value: str) -> None:
        assert self.record is not None
        self.record.state = value
