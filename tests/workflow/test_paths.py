"""Paths generated from the machine: every state and transition is reachable by real commands."""

from __future__ import annotations

import pytest

from aftersales.workflow.graph import machine_graph
from tests.workflow.explore import explore


@pytest.fixture(scope="module")
def explored():
    found = explore()
    return found.edges, found.reached


def test_every_state_is_reached(explored):
    _, reached = explored
    assert reached == set(machine_graph().states)


def test_every_final_state_is_reached_from_requested(explored):
    _, reached = explored
    assert machine_graph().final <= reached
    assert machine_graph().final == {
        "cancelled",
        "refunded",
        "partially_refunded",
        "exchanged",
        "closed",
    }


def test_every_transition_is_taken(explored):
    edges, _ = explored
    graph_edges = {(e.source, e.target, e.event) for e in machine_graph().edges}
    assert edges == graph_edges, sorted(graph_edges - edges, key=str)


def test_final_states_have_no_way_out():
    graph = machine_graph()
    assert not [e for e in graph.edges if e.source in graph.final]
