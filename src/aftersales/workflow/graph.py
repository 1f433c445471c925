"""The machine as a small plain graph, read from :class:`CaseMachine` by introspection.

Everything that needs to know the transitions (the state check before guards, the diagrams, the
generated paths of the tests) reads them here, so nothing restates them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

from .machine import CaseMachine

LEGACY_CONDS = frozenset({"follows_contract_v1"})
"""Conditions that keep an earlier contract's behaviour for the cases opened under it."""


@dataclass(frozen=True)
class Edge:
    """One transition: ``event`` is ``None`` for an eventless one."""

    source: str
    target: str
    event: str | None
    conds: tuple[str, ...]
    validators: tuple[str, ...]
    internal: bool

    @property
    def legacy(self) -> bool:
        """Taken only by cases opened under an earlier contract version."""
        return any(cond in LEGACY_CONDS for cond in self.conds)


@dataclass(frozen=True)
class Graph:
    """States in declaration order, the initial and final ones, and every edge."""

    states: tuple[str, ...]
    initial: str
    final: frozenset[str]
    edges: tuple[Edge, ...]

    def events_from(self, state: str) -> frozenset[str]:
        """The events some transition of ``state`` listens to."""
        return self._events_by_state.get(state, frozenset())

    @cached_property
    def _events_by_state(self) -> dict[str, frozenset[str]]:
        found: dict[str, set[str]] = {}
        for edge in self.edges:
            if edge.event:
                found.setdefault(edge.source, set()).add(edge.event)
        return {state: frozenset(events) for state, events in found.items()}

    @property
    def current_edges(self) -> tuple[Edge, ...]:
        """The edges a case opened now can take (no earlier contract's)."""
        return tuple(edge for edge in self.edges if not edge.legacy)

    @property
    def events(self) -> tuple[str, ...]:
        """Every event, in declaration order."""
        return tuple(dict.fromkeys(e.event for e in self.edges if e.event))


def _names(specs: object) -> tuple[str, ...]:
    return tuple(str(getattr(spec, "func", spec)) for spec in specs)  # type: ignore[attr-defined]


@cache
def machine_graph() -> Graph:
    """The graph of :class:`CaseMachine`, built once."""
    edges = []
    for state in CaseMachine.states:
        for transition in state.transitions:
            for target in transition.targets:
                names: list[str | None] = [str(e) for e in transition.events] or [None]
                for event in names:
                    edges.append(
                        Edge(
                            source=state.value,
                            target=target.value,
                            event=event,
                            conds=_names(transition.cond),
                            validators=_names(transition.validators),
                            internal=bool(transition.internal),
                        )
                    )
    return Graph(
        states=tuple(s.value for s in CaseMachine.states),
        initial=CaseMachine.initial_state.value,
        final=frozenset(s.value for s in CaseMachine.final_states),
        edges=tuple(edges),
    )
