"""DOT-level checks of every picture kind; only rendering needs Graphviz's dot."""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path

import pytest

from aftersales.diagrams.model import draw_model, steps
from aftersales.diagrams.page import click_path, page_html, scenario_diagram, training_diagrams
from aftersales.diagrams.render import actor_diagram, case_diagram, machine_diagram, write
from aftersales.histories import MemoryTarget, replay_file
from aftersales.scenarios import SCENARIOS
from aftersales.workflow.graph import machine_graph
from aftersales.workflow.vocabulary import EVENT_ROLES, Role

REPO = Path(__file__).resolve().parents[2]
EDGE = re.compile(r"^\s*(\w+) -> (\w+) \[(.*)\]$", re.M)


def edges(source: str) -> list[tuple[str, str, str]]:
    return EDGE.findall(source)


def test_machine_has_every_state_and_transition():
    source = machine_diagram("en").source
    for state in machine_graph().states:
        assert re.search(rf"^\s*{state} \[", source, re.M), state
    drawn = edges(source)
    assert len(drawn) == len(machine_graph().edges)
    pairs = {(a, b) for a, b, _ in drawn}
    assert pairs == {(e.source, e.target) for e in machine_graph().edges}


def test_risky_edges_are_red_and_only_those():
    drawn = edges(machine_diagram("zh").source)
    red = {(a, b) for a, b, attrs in drawn if "#c62828" in attrs}
    assert ("requested", "rejected") in red
    assert {("buyer_declined", "rejected"), ("awaiting_receipt", "rejected")} <= red
    assert ("platform_intervention", "platform_intervention") in red
    assert ("requested", "negotiating") not in red
    direct = next(attrs for a, b, attrs in drawn if (a, b) == ("requested", "rejected"))
    assert "直接拒绝" in direct


def test_timer_expiries_are_dashed_with_durations():
    drawn = edges(machine_diagram("en").source)
    expiry = [attrs for a, b, attrs in drawn if (a, b) == ("rejected", "closed")]
    assert expiry and "dashed" in expiry[0] and "7 d" in expiry[0]
    negotiation = [attrs for a, b, attrs in drawn if (a, b) == ("negotiating", "buyer_timed_out")]
    assert "48 h" in negotiation[0]


def test_final_states_are_grouped():
    source = machine_diagram("en").source
    cluster = source.split("subgraph cluster_final {", 1)[1].split("}", 1)[0]
    for state in ("cancelled", "refunded", "partially_refunded", "closed"):
        assert f"\t\t{state} [" in cluster


def bold(source: str, color: str) -> set[tuple[str, str]]:
    return {(a, b) for a, b, attrs in edges(source) if color in attrs and "penwidth=3" in attrs}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.key for s in SCENARIOS])
def test_scenario_highlights_recommended_and_risky_paths(scenario):
    source = scenario_diagram(scenario, "zh").source
    green = bold(source, "#1b5e20")
    red = bold(source, "#c62828")
    assert ("requested", "negotiating") in green
    assert ("requested", "rejected") in red
    assert ("requested", "rejected") not in green
    grey = [attrs for _, _, attrs in edges(source) if "#bbbbbb" in attrs]
    assert grey, "the rest of the machine is greyed"


def test_case_diagram_numbers_the_steps_of_a_replayed_history():
    target = MemoryTarget()
    replay_file(REPO / "tests/histories/reason_agreed_new_plan_to_return.jsonl", target)
    case = target.case
    source = case_diagram(case.events, case.path, case.case_id, "en").source
    numbered = {(a, b): attrs for a, b, attrs in edges(source) if 'label="#' in attrs}
    assert 'label="#1 ' in numbered[("requested", "negotiating")]
    assert 'label="#3 ' in numbered[("buyer_accepted", "awaiting_return")]
    assert len(numbered) == len(steps(case.events, case.path)) == 6


def test_steps_follow_transient_states():
    target = MemoryTarget()
    replay_file(REPO / "tests/histories/idempotent_retries.jsonl", target)
    assert steps(target.case.events, target.case.path) == [
        ("requested", "refunding", "agree"),
        ("refunding", "refund_failed", "refund_failed"),
    ]


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_actor_diagram_draws_only_what_that_party_does(role):
    source = actor_diagram(role, "en").source
    drawn = edges(source)
    own = [e for e in machine_graph().edges if e.event and EVENT_ROLES[e.event] == role]
    assert own, role
    ends = {state for e in own for state in (e.source, e.target)}
    # Eventless arrows only where the party's own arrows lead to a state resolved at once.
    resolved = [e for e in machine_graph().edges if e.event is None and e.source in ends]
    assert sorted((a, b) for a, b, _ in drawn) == sorted(
        (e.source, e.target) for e in own + resolved
    )
    for _, _, attrs in drawn:
        assert f"({role})" in attrs or "at once" in attrs
    drawn_states = set(re.findall(r"^\s*(\w+) \[label=", source, re.M))
    assert drawn_states == ends | {e.target for e in resolved}


def test_actor_diagrams_together_draw_the_whole_machine():
    drawn = set()
    for role in Role:
        drawn |= {(a, b) for a, b, _ in edges(actor_diagram(role.value, "zh").source)}
    assert drawn == {(e.source, e.target) for e in machine_graph().edges}


def test_every_model_arrow_matches_a_machine_edge():
    model = draw_model()
    assert {a.step for a in model.arrows} == {
        (e.source, e.target, e.event) for e in machine_graph().edges
    }


def test_committed_diagrams_are_fresh():
    folder = REPO / "diagrams"
    for stem, dot in training_diagrams():
        committed = folder / f"{stem}.dot"
        assert committed.exists(), f"missing {committed}: run `aftersales diagrams render`"
        assert committed.read_text(encoding="utf-8") == dot.source, (
            f"{committed} is stale: run `aftersales diagrams render`"
        )
        assert (folder / f"{stem}.svg").exists()
    assert (folder / "index.html").read_text(encoding="utf-8") == page_html()


def test_page_has_each_scenario_and_click_path():
    html = unescape(page_html())
    for scenario in SCENARIOS:
        assert scenario.title_zh in html and scenario.title_en in html
        for reason in scenario.reasons:
            assert click_path(reason) in html
    assert (
        "售后管理 > 售后处理 > 售后处理列表 > 协商 > 协商类型(已协商一致,邀请买家取消售后)" in html
    )


@pytest.mark.render
@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("fmt", ["svg", "png", "pdf", "dot"])
def test_render_formats(tmp_path, fmt):
    [written] = write(machine_diagram("zh"), tmp_path, "m", [fmt])
    data = written.read_bytes()
    assert len(data) > 1000
    magic = {"svg": b"<svg", "png": b"\x89PNG", "pdf": b"%PDF", "dot": b"digraph"}[fmt]
    assert magic in data[:400]
