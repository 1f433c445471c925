"""Model-based exploration: drive real cases with a vocabulary of commands and see which edges
of the machine graph they take. The vocabulary is data about inputs; the transitions come only
from the machine."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from aftersales import Actor, AftersalesError, Case, catalog, open_case
from aftersales.workflow.vocabulary import EVENT_ROLES
from tests.support import facts

FACT_VARIANTS: dict[str, dict[str, Any]] = {
    "refund_ordinary": {},
    "refund_virtual": {"category": "virtual"},
    "return_fresh": {"type": "return_refund", "category": "fresh"},
}

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
    ("reject", {}),
    ("reject", {"evidence": MEDIA}),
    ("confirm_receipt", {}),
    ("submit_evidence", {"evidence": MEDIA}),
    ("refund_offline", {"evidence": [{"kind": "payment_proof", "ref": "p"}]}),
    ("accept", {}),
    ("decline", {}),
    ("supply_evidence", {"evidence": MEDIA}),
    ("ship_return", {"tracking": "SF123"}),
    ("withdraw", {}),
    ("escalate", {}),
    ("intervene", {"message": "auto"}),
    ("demand_evidence", {}),
    ("rule", {}),
    ("rule", {"outcome": "buyer"}),
    ("rule", {"outcome": "merchant"}),
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
            probe.send(event, actor=actor_for(event), at=when, **data)
    except AftersalesError:
        return None
    return probe


def edges_taken(before: Case, after: Case) -> set[tuple[str, str, str | None]]:
    """The (source, target, event) edges a step took, eventless ones with event ``None``."""
    taken: set[tuple[str, str, str | None]] = {
        (r.state_before, r.state_after, r.event)
        for r in after.events[len(before.events) :]
        if r.state_before is not None
    }
    added = after.path[len(before.path) :]
    if "buyer_accepted" in added:
        i = added.index("buyer_accepted")
        taken.discard(("negotiating", added[i + 1], "accept"))
        taken.add(("negotiating", "buyer_accepted", "accept"))
        taken.add(("buyer_accepted", added[i + 1], None))
    return taken


def explore(max_depth: int = 5) -> tuple[set[tuple[str, str, str | None]], set[str]]:
    """Breadth-first over real cases; returns the edges taken and the states reached."""
    edges: set[tuple[str, str, str | None]] = set()
    reached: set[str] = set()
    queue: deque[tuple[Case, int]] = deque()
    seen: set[tuple[Any, ...]] = set()
    for name, overrides in FACT_VARIANTS.items():
        queue.append((open_case(facts(case_id=name, **overrides)), 0))
    while queue:
        case, depth = queue.popleft()
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
                queue.append((after, depth + 1))
    return edges, reached


def _signature(case: Case) -> tuple[Any, ...]:
    record = case.record
    last = record.last_negotiation
    return (
        record.facts.case_id,
        record.state,
        record.case_type,
        (last.negotiation_type, last.new_type) if last else None,
        record.refund_due,
        record.rejection is not None and record.rejection.direct,
        record.timer.kind if record.timer else None,
        record.evidence_missed,
    )
