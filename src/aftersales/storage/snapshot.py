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

from typing import Any, Final, Literal

from pydantic import AwareDatetime, BaseModel, StrictBool, StrictInt, TypeAdapter, ValidationError

from ..workflow.graph import machine_graph
from ..workflow.inputs import BuyerReason, CaseFacts, CaseType, Policy
from ..workflow.record import CaseRecord, Negotiation, Rejection, Timer

SNAPSHOT_VERSION: Final = 1


class _Plain(BaseModel):
    state: str
    case_type: CaseType
    requested_amount: StrictInt
    buyer_reason: BuyerReason
    agreed_amount: StrictInt
    workflow_version: Literal[1, 2]
    applications: StrictInt
    prior_applications: StrictInt
    negotiation_count: StrictInt
    intervened: StrictBool
    evidence_demanded: StrictBool
    evidence_missed: StrictBool
    seq: StrictInt
    refund_due: StrictInt | None
    refund_amount: StrictInt | None
    liability: Literal["merchant", "buyer", "both", "none"] | None


_PLAIN = tuple(_Plain.model_fields)
_NEGOTIATION = TypeAdapter(Negotiation | None)
_REJECTION = TypeAdapter(Rejection | None)
_TIMER = TypeAdapter(Timer | None)
_AT = TypeAdapter(AwareDatetime)


class Unreadable(Exception):
    """A snapshot that cannot be read: the case is rebuilt from its log instead."""


def to_snapshot(record: CaseRecord) -> dict[str, Any]:
    """The snapshot of ``record``, as JSON-ready data."""
    snapshot = {name: getattr(record, name) for name in _PLAIN}
    snapshot.update(
        last_negotiation=_NEGOTIATION.dump_python(record.last_negotiation, mode="json"),
        negotiation_evidence=sorted(record.negotiation_evidence),
        merchant_evidence=sorted(record.merchant_evidence),
        rejection=_REJECTION.dump_python(record.rejection, mode="json"),
        timer=_TIMER.dump_python(record.timer, mode="json"),
        last_at=None if record.last_at is None else record.last_at.isoformat(),
        liability_rules=list(record.liability_rules),
    )
    return snapshot


def from_snapshot(snapshot: Any, facts: CaseFacts, policy: Policy) -> CaseRecord:
    """The record a snapshot describes, with the case's facts and policy; :class:`Unreadable`
    if it is not a snapshot of this version's shape."""
    try:
        plain = _Plain.model_validate({name: snapshot[name] for name in _PLAIN}).model_dump()
        if plain["state"] not in machine_graph().states:
            raise ValueError(f"unknown state {plain['state']!r}")
        return CaseRecord(
            facts=facts,
            policy=policy,
            **plain,
            last_negotiation=_NEGOTIATION.validate_python(snapshot["last_negotiation"]),
            negotiation_evidence=frozenset(snapshot["negotiation_evidence"]),
            merchant_evidence=frozenset(snapshot["merchant_evidence"]),
            rejection=_REJECTION.validate_python(snapshot["rejection"]),
            timer=_TIMER.validate_python(snapshot["timer"]),
            last_at=_AT.validate_python(snapshot["last_at"]),
            liability_rules=tuple(snapshot["liability_rules"]),
        )
    except (KeyError, TypeError, ValueError, ValidationError) as exc:
        raise Unreadable(str(exc)[:200]) from exc
