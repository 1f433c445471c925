"""Model-based exploration: drive real cases with a vocabulary of commands and see which edges
of the machine graph they take. The vocabulary is data about inputs; the transitions come only
from the machine."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import cache
from typing import Any

from aftersales import Actor, AftersalesError, Case, catalog, open_case
from aftersales.workflow.vocabulary import EVENT_ROLES
from tests.support import facts

FACT_VARIANTS: dict[str, dict[str, Any]] = {
    "refund_ordinary": {},
    "refund_virtual": {"category": "virtual", "used": True},
    "return_fresh": {"type": "return_refund", "category": "fresh"},
    "exchange_ordinary": {"type": "exchange", "buyer_reason": "quality_issue"},
}
V1_VARIANT = "return_ordinary_v1"
"""A return opened under contract v1: its lapsed return still cancels at once."""


def open_variant(name: str) -> Case:
    """A case of one of the fact variants (or the v1 one), with id ``name``."""
    if name == V1_VARIANT:
        case = open_case(facts(case_id=name, type="return_refund"))
        return Case.reopen(replace(case.events[0], note={}))  # a v1 opening notes no version
    return open_case(facts(case_id=name, **FACT_VARIANTS[name]))


MEDIA = [
    {"kind": "image", "ref": "i"},
    {"kind": "chat_record", "ref": "c"},
    {"kind": "service_completion_proof", "ref": "s"},
]


def _negotiations() -> Iterator[dict[str, Any]]:
    for reason in catalog().values():
        data: dict[str, Any] = {
            "negotiation_type": reason.negotiation_type,
            "reason": reason.key,
            "evidence": MEDIA,
        }
        if reason.negotiation_type == "modify_request":
            below = reason.requires.amount_below_requested
            data["amount"] = 4000 if below else 10000
        yield data


COMMANDS: list[tuple[str, dict[str, Any]]] = [
    ("agree", {}),
    *(("negotiate", data) for data in _negotiations()),
    (
        "negotiate",
        {
            "negotiation_type": "modify_request",
            "reason": "agreed_new_plan",
            "amount": 10000,
            "new_type": "return_refund",
            "evidence": MEDIA,
        },
    ),
    (
        "negotiate",
        {
            "negotiation_type": "modify_request",
            "reason": "agreed_new_plan",
            "amount": 10000,
            "new_type": "exchange",
            "evidence": MEDIA,
        },
    ),
    ("reject", {}),
    ("reject", {"evidence": MEDIA}),
    ("confirm_receipt", {}),
    ("reship", {"tracking": "SF456"}),
    ("intercept", {"tracking": "SF123"}),
    ("submit_evidence", {"evidence": MEDIA}),
    ("refund_offline", {"evidence": [{"kind": "payment_proof", "ref": "p"}]}),
    ("accept", {}),
    ("decline", {}),
    ("supply_evidence", {"evidence": MEDIA}),
    ("ship_return", {"tracking": "SF123"}),
    ("confirm_exchange", {}),
    ("modify", {"requested_amount": 6000}),
    ("modify", {"type": "return_refund"}),
    ("withdraw", {}),
    ("escalate", {}),
    ("intervene", {"message": "auto"}),
    ("demand_evidence", {}),
    ("rule", {}),
    ("rule", {"outcome": "buyer"}),
    ("rule", {"outcome": "merchant"}),
    ("rule", {"liability": "both", "amount": 3000}),
    ("rule", {"liability": "none"}),
    ("rule", {"liability": "none", "amount": 2000}),
    ("close", {"message": "customer service closed the case"}),
    ("set_deadline", {"due": "2030-01-01T00:00:00+08:00"}),
    ("update_tracking", {"tracking": "SF789"}),
    ("update_tracking", {"tracking": "SF789", "sku_id": "SKU-NEW"}),
    ("intercept_succeeded", {}),
    ("intercept_failed", {}),
    ("refund_succeeded", {}),
    ("refund_failed", {}),
]
"""Every event (``expire`` comes from ticks) with data variants that pass or fail its guards."""

ROLE_ACTORS = {
    "merchant": Actor.merchant("S1"),
    "buyer": Actor.buyer("B1"),
    "platform": Actor.platform(),
    "system": Actor.system(),
}


def actor_for(event: str) -> Actor:
    """The rightful actor of ``event`` on the cases :func:`explore` opens."""
    return ROLE_ACTORS[EVENT_ROLES[event]]


def step(case: Case, event: str, data: dict[str, Any]) -> Case | None:
    """A copy of ``case`` after the command one hour on, or ``None`` if it was refused."""
    probe = case.copy()
    try:
        if event == "tick":
            if probe.timer is None:
                return None
            probe.fire_due_timers(probe.timer.due)
        else:
            when = probe.last_at + timedelta(hours=1)
            probe.send(event, actor=actor_for(event), at=when, data=data)
    except AftersalesError:
        return None
    return probe


def edges_taken(before: Case, after: Case) -> set[tuple[str, str, str | None]]:
    """The (source, target, event) edges a step took, eventless ones with event ``None``: each
    event record says which states it entered, in order."""
    taken: set[tuple[str, str, str | None]] = set()
    for record in after.events[len(before.events) :]:
        assert record.state_before is not None
        source, event = record.state_before, record.event
        for target in record.entered or (record.state_before,):
            taken.add((source, target, event))
            source, event = target, None
    return taken


@dataclass
class Exploration:
    """What a breadth-first run over real cases found."""

    edges: set[tuple[str, str, str | None]] = field(default_factory=set)
    reached: set[str] = field(default_factory=set)
    cases: list[Case] = field(default_factory=list)
    """Every distinct case met, with its whole log."""
    parents: set[int] = field(default_factory=set)

    @property
    def leaves(self) -> list[Case]:
        """The cases no explored case continues: their logs hold every other as a prefix."""
        return [case for case in self.cases if id(case) not in self.parents]


@cache
def explore(max_depth: int = 5) -> Exploration:
    """Breadth-first over real cases: the edges taken, the states reached, the cases met."""
    found = Exploration()
    edges, reached = found.edges, found.reached
    queue: deque[tuple[Case, int]] = deque()
    seen: set[tuple[Any, ...]] = set()
    for name in [*FACT_VARIANTS, V1_VARIANT]:
        queue.append((open_variant(name), 0))
    while queue:
        case, depth = queue.popleft()
        found.cases.append(case)
        reached.update(case.path)
        if depth == max_depth or case.final:
            continue
        for event, data in [("tick", {}), *COMMANDS]:
            after = step(case, event, data)
            if after is None:
                continue
            edges |= edges_taken(case, after)
            key = _signature(after)
            if key not in seen:
                seen.add(key)
                found.parents.add(id(case))
                queue.append((after, depth + 1))
    return found


def _signature(case: Case) -> tuple[Any, ...]:
    record = case.record
    last = record.last_negotiation
    return (
        record.facts.case_id,
        record.state,
        record.case_type,
        (last.negotiation_type, last.new_type) if last else None,
        record.refund_due,
        record.requested_amount,
        record.rejection is not None and record.rejection.direct,
        record.timer.kind if record.timer else None,
        record.evidence_missed,
        record.applications,
    )
