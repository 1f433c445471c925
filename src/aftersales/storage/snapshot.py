"""The snapshot: a versioned, documented, disposable shape of what the rules need of a case.

A snapshot is *not* the workflow's internal record: it is this shape, written beside the case
row's version. The facts and the policy live in the case row's own columns (they never change),
so the snapshot holds only what commands change. When a snapshot is missing, older than
:data:`SNAPSHOT_VERSION` or unreadable, the case is rebuilt from its log, which is the truth.

Shape (version 1), a JSON object::

    state, case_type, requested_amount, buyer_reason, agreed_amount     current request
    workflow_version                          contract version the case follows
    applications, prior_applications          applications of the case / of its product line before
    negotiation_count, last_negotiation       {seq, at, negotiation_type, reason, message, amount,
                                              new_type, evidence}
    negotiation_evidence, merchant_evidence   evidence kinds offered (lists, sorted)
    rejection                                 {seq, at, from_state, reject_reason, evidence,
                                              findings} or null
    timer                                     {kind, due, state} or null
    intervened, evidence_demanded, evidence_missed
    seq, last_at                              version and time of the last event
    refund_due, refund_amount, liability, liability_rules
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final, Literal

import msgspec
from pydantic import TypeAdapter, ValidationError

from ..workflow.graph import machine_graph
from ..workflow.inputs import BuyerReason, CaseFacts, CaseType, Evidence, Policy
from ..workflow.record import CaseRecord, Negotiation, Rejection, Timer
from .codec import iso, timer_json

SNAPSHOT_VERSION: Final = 1

_Aware = Annotated[datetime, msgspec.Meta(tz=True)]


class _Timer(msgspec.Struct):
    kind: str
    due: _Aware
    state: str


class _Negotiation(msgspec.Struct):
    seq: int
    at: _Aware
    negotiation_type: str
    reason: str
    message: str | None
    amount: int | None
    new_type: str | None
    evidence: list[dict[str, Any]]


class _Rejection(msgspec.Struct):
    seq: int
    at: _Aware
    from_state: str
    reject_reason: str | None
    evidence: list[dict[str, Any]]
    findings: list[str]


class _Shape(msgspec.Struct):
    """The snapshot's shape (version 1), checked strictly by ``msgspec`` on reading."""

    state: str
    case_type: CaseType
    requested_amount: int
    buyer_reason: BuyerReason
    agreed_amount: int
    workflow_version: Literal[1, 2, 3]
    applications: int
    prior_applications: int
    negotiation_count: int
    intervened: bool
    evidence_demanded: bool
    evidence_missed: bool
    seq: int
    refund_due: int | None
    refund_amount: int | None
    liability: Literal["merchant", "buyer", "both", "none"] | None
    last_negotiation: _Negotiation | None
    negotiation_evidence: list[str]
    merchant_evidence: list[str]
    rejection: _Rejection | None
    timer: _Timer | None
    last_at: _Aware
    liability_rules: list[str]


_PLAIN = (
    "state",
    "case_type",
    "requested_amount",
    "buyer_reason",
    "agreed_amount",
    "workflow_version",
    "applications",
    "prior_applications",
    "negotiation_count",
    "intervened",
    "evidence_demanded",
    "evidence_missed",
    "seq",
    "refund_due",
    "refund_amount",
    "liability",
)
_EVIDENCE = TypeAdapter(tuple[Evidence, ...])


class Unreadable(Exception):
    """A snapshot that cannot be read: the case is rebuilt from its log instead."""


def _evidence(items: tuple[Evidence, ...]) -> list[dict[str, Any]]:
    return [item.model_dump(mode="json") for item in items]


def to_snapshot(record: CaseRecord) -> dict[str, Any]:
    """The snapshot of ``record``, as JSON-ready data."""
    snapshot = {name: getattr(record, name) for name in _PLAIN}
    negotiation, rejection = record.last_negotiation, record.rejection
    snapshot.update(
        last_negotiation=None
        if negotiation is None
        else {
            "seq": negotiation.seq,
            "at": iso(negotiation.at),
            "negotiation_type": negotiation.negotiation_type,
            "reason": negotiation.reason,
            "message": negotiation.message,
            "amount": negotiation.amount,
            "new_type": negotiation.new_type,
            "evidence": _evidence(negotiation.evidence),
        },
        negotiation_evidence=sorted(record.negotiation_evidence),
        merchant_evidence=sorted(record.merchant_evidence),
        rejection=None
        if rejection is None
        else {
            "seq": rejection.seq,
            "at": iso(rejection.at),
            "from_state": rejection.from_state,
            "reject_reason": rejection.reject_reason,
            "evidence": _evidence(rejection.evidence),
            "findings": list(rejection.findings),
        },
        timer=timer_json(record.timer),
        last_at=None if record.last_at is None else record.last_at.isoformat(),
        liability_rules=list(record.liability_rules),
    )
    return snapshot


def _evidence_of(items: list[dict[str, Any]]) -> tuple[Evidence, ...]:
    return _EVIDENCE.validate_python(items) if items else ()


def from_snapshot(snapshot: Any, facts: CaseFacts, policy: Policy) -> CaseRecord:
    """The record a snapshot describes, with the case's facts and policy; :class:`Unreadable`
    if it is not a snapshot of this version's shape."""
    try:
        shape = msgspec.convert(snapshot, _Shape)
        if shape.state not in machine_graph().states:
            raise ValueError(f"unknown state {shape.state!r}")
        negotiation, rejection, timer = shape.last_negotiation, shape.rejection, shape.timer
        return CaseRecord(
            facts=facts,
            policy=policy,
            **{name: getattr(shape, name) for name in _PLAIN},
            last_negotiation=None
            if negotiation is None
            else Negotiation(
                negotiation.seq,
                negotiation.at,
                negotiation.negotiation_type,
                negotiation.reason,
                negotiation.message,
                negotiation.amount,
                negotiation.new_type,
                _evidence_of(negotiation.evidence),
            ),
            negotiation_evidence=frozenset(shape.negotiation_evidence),
            merchant_evidence=frozenset(shape.merchant_evidence),
            rejection=None
            if rejection is None
            else Rejection(
                rejection.seq,
                rejection.at,
                rejection.from_state,
                rejection.reject_reason,
                _evidence_of(rejection.evidence),
                tuple(rejection.findings),
            ),
            timer=None if timer is None else Timer(timer.kind, timer.due, timer.state),
            last_at=shape.last_at,
            liability_rules=tuple(shape.liability_rules),
        )
    except (KeyError, TypeError, ValueError, ValidationError, msgspec.ValidationError) as exc:
        raise Unreadable(str(exc)[:200]) from exc
