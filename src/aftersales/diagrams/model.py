"""The machine as a small plain model for drawing, extracted by introspection. Reads only the
workflow: no edge or state is listed here by hand.

The model keeps the machine's own names (state ids, events, guard names, timer kinds, rule ids);
:mod:`aftersales.diagrams.words` turns them into the trainee's words when a picture is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from ..workflow.graph import Edge, machine_graph
from ..workflow.liability import FOLLOWS_NEGOTIATION
from ..workflow.record import EventRecord
from ..workflow.vocabulary import EVENT_ROLES, EVIDENCE_TIMER, NEXT_ACTOR, STATE_TIMERS, STATES

Step = tuple[str, str, str | None]
"""One step of a path: (source, target, event); eventless steps have event ``None``."""

BOOKKEEPING = frozenset({"set_deadline", "update_tracking"})
"""Events no one is trained for: the platform moving a deadline or replacing a waybill."""


@dataclass(frozen=True)
class Node:
    """A state to draw."""

    id: str
    actor: str | None
    final: bool
    transient: bool
    timer: str | None
    """The timer kind the state starts on entry, if any."""
    phase: str


@dataclass(frozen=True)
class Arrow:
    """A transition to draw."""

    source: str
    target: str
    event: str | None
    role: str | None
    """Who sets it off; ``None`` for an eventless transition, which happens at once."""
    guards: tuple[str, ...]
    """Every guard of the transition, those that refuse and those that route."""
    routes: tuple[str, ...]
    """The guards that only choose between alternatives of the same event."""
    fallback: bool
    """The unguarded last alternative of a routed event ("otherwise")."""
    timer: str | None
    """For an expiry, the timer kind that ran out."""
    risk: str | None
    """The liability rule the merchant risks by taking this transition, if any."""

    @property
    def step(self) -> Step:
        """The arrow as a path step."""
        return (self.source, self.target, self.event)


@dataclass(frozen=True)
class Fold:
    """An event possible from most open states, drawn once instead of as a fan of arrows."""

    event: str
    role: str
    target: str
    sources: tuple[str, ...]
    missing: tuple[str, ...]
    """Open states the event is *not* possible from, named as the exceptions."""


@dataclass(frozen=True)
class DrawModel:
    """Everything a diagram needs."""

    nodes: tuple[Node, ...]
    arrows: tuple[Arrow, ...]
    folds: tuple[Fold, ...]

    def node(self, state: str) -> Node:
        """The node of ``state``."""
        return next(node for node in self.nodes if node.id == state)

    @property
    def open_states(self) -> tuple[str, ...]:
        """States a case waits in: neither final nor resolved at once."""
        return tuple(n.id for n in self.nodes if not (n.final or n.transient))

    def unfolded(self, arrows: Sequence[Arrow] | None = None) -> list[Arrow]:
        """``arrows`` (default: all) without those a fold stands for."""
        folded = {fold.event for fold in self.folds}
        return [a for a in (self.arrows if arrows is None else arrows) if a.event not in folded]


def _risk(source: str, event: str | None) -> str | None:
    # Under the default policy every rejection from the request itself is direct (R1); after a
    # negotiation it stands or falls with its evidence (R2).
    if event == "reject":
        return "R2_missing_evidence" if source in FOLLOWS_NEGOTIATION else "R1_direct_rejection"
    if event == "expire" and source == "platform_intervention":
        return "R3_evidence_timeout"
    return None


def _arrow(edge: Edge, routed: set[tuple[str, str | None]]) -> Arrow:
    timer = None
    if edge.event == "expire":
        timer = STATE_TIMERS.get(edge.source, EVIDENCE_TIMER)
    return Arrow(
        source=edge.source,
        target=edge.target,
        event=edge.event,
        role=EVENT_ROLES[edge.event].value if edge.event else None,
        guards=edge.validators + edge.conds,
        routes=edge.conds,
        fallback=not edge.conds and (edge.source, edge.event) in routed,
        timer=timer,
        risk=_risk(edge.source, edge.event),
    )


def _folds(arrows: Sequence[Arrow], open_states: Sequence[str]) -> tuple[Fold, ...]:
    """Events with one target, possible from at least half the open states."""
    by_event: dict[str, list[Arrow]] = {}
    for arrow in arrows:
        if arrow.event and arrow.role:
            by_event.setdefault(arrow.event, []).append(arrow)
    folds = []
    for event, found in by_event.items():
        targets = {a.target for a in found}
        sources = tuple(a.source for a in found)
        if len(targets) == 1 and 2 * len(sources) >= len(open_states):
            missing = tuple(s for s in open_states if s not in sources)
            folds.append(Fold(event, str(found[0].role), found[0].target, sources, missing))
    return tuple(folds)


@cache
def draw_model() -> DrawModel:
    """The machine of :mod:`aftersales.workflow.machine` as nodes, arrows and folds."""
    graph = machine_graph()
    edges = [edge for edge in graph.current_edges if edge.event not in BOOKKEEPING]
    routed = {(e.source, e.event) for e in edges if e.conds}
    nodes = tuple(
        Node(
            id=state,
            actor=NEXT_ACTOR[state],
            final=state in graph.final,
            transient=NEXT_ACTOR[state] is None and state not in graph.final,
            timer=STATE_TIMERS.get(state),
            phase=STATES[state].phase,
        )
        for state in graph.states
    )
    arrows = tuple(_arrow(edge, routed) for edge in edges)
    open_states = tuple(n.id for n in nodes if not (n.final or n.transient))
    return DrawModel(nodes, arrows, _folds(arrows, open_states))


def steps(events: Sequence[EventRecord], path: Sequence[str]) -> list[Step]:
    """The transitions a recorded case took, in order, eventless ones included.

    Each event enters the next states of ``path`` up to its ``state_after``; any state entered on
    the way was resolved at once by an eventless transition.
    """
    taken: list[Step] = []
    position = 1  # path[0] is the state the opening entered
    for record in events:
        if record.state_before is None:
            continue
        if record.state_before == record.state_after:
            taken.append((record.state_before, record.state_after, record.event))
            continue
        source: str = record.state_before
        event: str | None = record.event
        while position < len(path):
            target = path[position]
            position += 1
            taken.append((source, target, event))
            source, event = target, None
            if target == record.state_after:
                break
    return taken
