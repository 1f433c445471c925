"""The machine as a small plain model for drawing, extracted by introspection. Reads only the
workflow: no edge or state is listed here by hand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from ..workflow.graph import machine_graph
from ..workflow.inputs import Policy
from ..workflow.liability import FOLLOWS_NEGOTIATION
from ..workflow.record import EventRecord
from ..workflow.vocabulary import (
    EVENT_LABELS,
    EVENT_ROLES,
    NEXT_ACTOR,
    STATE_LABELS,
    STATE_TIMERS,
    Label,
)

Step = tuple[str, str, str | None]
"""One step of a path: (source, target, event); eventless steps have event ``None``."""


@dataclass(frozen=True)
class Node:
    """A state to draw."""

    id: str
    label: Label
    actor: str | None
    final: bool
    transient: bool
    timer: str | None
    """The timer the state starts, with its default duration (``"merchant_response 48 h"``)."""


@dataclass(frozen=True)
class Arrow:
    """A transition to draw."""

    source: str
    target: str
    event: str | None
    role: str | None
    guards: tuple[str, ...]
    timer: str | None
    risk: Label | None
    """What the merchant risks by taking this transition, if anything."""

    @property
    def step(self) -> Step:
        return (self.source, self.target, self.event)


@dataclass(frozen=True)
class DrawModel:
    """Everything a diagram needs."""

    nodes: tuple[Node, ...]
    arrows: tuple[Arrow, ...]


DIRECT = Label("直接拒绝:平台判定商家责任", "direct rejection: merchant liable")
UNPROVEN = Label("缺少所需凭证则商家责任", "merchant liable without the evidence")
MISSED = Label("逾期未举证:商家责任", "evidence deadline missed: merchant liable")


def human(duration: timedelta) -> str:
    """``48 h`` or ``7 d``."""
    hours = int(duration.total_seconds() // 3600)
    return f"{hours // 24} d" if hours % 24 == 0 and hours >= 72 else f"{hours} h"


def _risk(source: str, event: str | None) -> Label | None:
    if event == "reject":
        return UNPROVEN if source in FOLLOWS_NEGOTIATION else DIRECT
    if event == "expire" and source == "platform_intervention":
        return MISSED
    return None


def _timer(kind: str | None) -> str | None:
    return f"{kind} {human(Policy().duration(kind))}" if kind else None


def draw_model() -> DrawModel:
    """The machine of :mod:`aftersales.workflow.machine` as nodes and arrows."""
    graph = machine_graph()
    nodes = tuple(
        Node(
            id=state,
            label=STATE_LABELS[state],
            actor=NEXT_ACTOR[state],
            final=state in graph.final,
            transient=NEXT_ACTOR[state] is None and state not in graph.final,
            timer=_timer(STATE_TIMERS.get(state)),
        )
        for state in graph.states
    )
    arrows = []
    for edge in graph.edges:
        kind = None
        if edge.event == "expire":
            kind = STATE_TIMERS.get(edge.source, "merchant_evidence")
        arrows.append(
            Arrow(
                source=edge.source,
                target=edge.target,
                event=edge.event,
                role=EVENT_ROLES[edge.event].value if edge.event else None,
                guards=edge.validators + edge.conds,
                timer=_timer(kind),
                risk=_risk(edge.source, edge.event),
            )
        )
    return DrawModel(nodes, tuple(arrows))


def event_label(event: str | None) -> Label:
    """The training label of an event; eventless steps resolve at once."""
    return EVENT_LABELS[event] if event else Label("立即", "at once")


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
