"""DOT-level checks of every picture kind; only rendering needs Graphviz's dot."""

from __future__ import annotations

import re
import shutil
from html import escape
from pathlib import Path

import pytest

from aftersales.diagrams.labels import LEGEND_LABELS, RISK_LABELS
from aftersales.diagrams.model import BOOKKEEPING, draw_model, steps
from aftersales.diagrams.overview import overview_diagram
from aftersales.diagrams.render import actor_diagram, case_diagram, machine_diagram, write
from aftersales.diagrams.styles import EDGE_STYLES, key_colour
from aftersales.diagrams.training.page import scenario_diagram, training_diagrams
from aftersales.histories import MemoryTarget, replay_file
from aftersales.scenarios import SCENARIOS
from aftersales.workflow.graph import machine_graph
from aftersales.workflow.vocabulary import EVENT_ROLES, STATES, Role

from .dot import edges, legend_colours, moves, nodes, ported, texts, without_legend
from .names import SMALL_ID, found_in

PHASE_OF = {state: info.phase for state, info in STATES.items()}

REPO = Path(__file__).resolve().parents[2]
RED, GREEN = EDGE_STYLES["risk"]["color"], EDGE_STYLES["recommended"]["color"]
CURRENT = [e for e in machine_graph().current_edges if e.event not in BOOKKEEPING]
PICTURES = dict(training_diagrams())


def folded(role: str | None = None) -> dict[str, tuple[str, ...]]:
    """Events drawn once from "any open state", with the states they stand for."""
    return {f.event: f.sources for f in draw_model().folds if role in (None, f.role)}


# -- the overview: the machine by phase ---------------------------------------------------------


def test_overview_shows_every_state_in_its_phase():
    source = overview_diagram("en").source
    drawn = nodes(source)
    for state, phase in PHASE_OF.items():
        holder = state if phase == "outcome" else f"phase_{phase}"
        assert f">{state}</FONT>" in drawn[holder], (state, holder)


def test_overview_arrows_leave_a_phase_for_another():
    source = overview_diagram("zh").source
    crossing = {
        (
            f"phase_{PHASE_OF[e.source]}",
            e.target if PHASE_OF[e.target] == "outcome" else f"phase_{PHASE_OF[e.target]}",
        )
        for e in CURRENT
        if PHASE_OF[e.source] != PHASE_OF[e.target] and e.event not in folded()
    }
    drawn = {(tail, head) for tail, head, _ in edges(source) if tail.startswith("phase_")}
    assert drawn == crossing
    assert len(edges(source)) < 30, "an overview, not the whole tangle"


def test_overview_marks_the_direct_rejection_red_on_its_own_row():
    source = overview_diagram("zh").source
    red = [(tail, port, head) for tail, port, head, a in ported(source) if RED in a]
    head = "phase_dispute"
    assert ("phase_request", head) in {(t, h) for t, _, h in red}
    port = next(p for t, p, h in red if (t, h) == ("phase_request", head))
    row = re.search(rf'PORT="{port}">(.*?)</TD>', nodes(source)["phase_request"])
    assert row and RISK_LABELS["R1_direct_rejection"].zh in row.group(1)


def test_overview_folds_withdraw_and_close_into_one_box():
    source = overview_diagram("en").source
    assert set(folded()) == {"withdraw", "close"}
    assert {(t, h) for t, h, _ in edges(source) if t == "any_open"} == {
        ("any_open", "cancelled"),
        ("any_open", "closed"),
    }
    assert "except:" in nodes(source)["any_open"]


def test_machine_diagram_is_the_overview():
    assert machine_diagram("en").source == overview_diagram("en").source


# -- what each party can do ---------------------------------------------------------------------


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_actor_diagram_draws_only_what_that_party_does(role):
    source = actor_diagram(role, "en").source
    own = [e for e in CURRENT if e.event and EVENT_ROLES[e.event] == role]
    assert own, role
    ends = {state for e in own for state in (e.source, e.target)}
    resolved = [e for e in CURRENT if e.event is None and e.source in ends]
    expected = {(e.source, e.target) for e in own + resolved if e.event not in folded(role)} | {
        ("any_open", f.target) for f in draw_model().folds if f.role == role
    }
    assert {(a, b) for a, b, _ in moves(source)} == expected


def test_actor_diagrams_together_draw_the_whole_machine():
    drawn = set()
    for role in Role:
        drawn |= {(a, b) for a, b, _ in moves(actor_diagram(role.value, "zh").source)}
    for fold in draw_model().folds:
        drawn |= {(source, fold.target) for source in fold.sources}
    assert drawn - {("any_open", "cancelled"), ("any_open", "closed")} == {
        (e.source, e.target) for e in CURRENT
    }


def test_the_same_move_from_several_states_is_labelled_once():
    source = actor_diagram("merchant", "zh").source
    negotiations = [attrs for _, head, attrs in edges(source) if head == "negotiating"]
    assert len(negotiations) == 1 and "协商次数未用完" in negotiations[0]
    assert {a for a, b, _ in moves(source) if b == "negotiating"} == {
        "requested",
        "buyer_declined",
        "buyer_timed_out",
        "evidence_supplied",
    }


def test_rejections_are_red_with_their_risk():
    source = actor_diagram("merchant", "zh").source
    red = {(a, b): attrs for a, b, attrs in moves(source) if RED in attrs}
    assert ("requested", "rejected") in red and "直接拒绝" in red[("requested", "rejected")]
    assert ("buyer_declined", "rejected") in red and ("awaiting_receipt", "rejected") in red
    assert "缺少所需凭证" in red[("buyer_declined", "rejected")]
    assert not any(b == "negotiating" for a, b in red)
    system = actor_diagram("system", "zh").source
    assert ("platform_intervention", "platform_intervention") in {
        (a, b) for a, b, attrs in moves(system) if RED in attrs
    }


def test_expiries_are_dashed_with_timer_phrases():
    drawn = {(a, b): attrs for a, b, attrs in moves(actor_diagram("system", "en").source)}
    assert "dashed" in drawn[("rejected", "closed")]
    assert "buyer has 7 d to escalate" in drawn[("rejected", "closed")]
    assert "buyer has 48 h to answer" in drawn[("negotiating", "buyer_timed_out")]
    zh = {(a, b): attrs for a, b, attrs in moves(actor_diagram("system", "zh").source)}
    assert "买家48小时内答复" in zh[("negotiating", "buyer_timed_out")]


def test_final_states_are_grouped():
    source = actor_diagram("buyer", "en").source
    cluster = source.split("subgraph cluster_final {", 1)[1].split("}", 1)[0]
    assert "\t\tcancelled [" in cluster and "\t\texchanged [" in cluster


# -- every picture: words, legend ---------------------------------------------------------------


@pytest.mark.parametrize("stem", list(PICTURES))
def test_no_code_name_in_a_picture(stem):
    source = PICTURES[stem].source
    shown = " ".join(texts(SMALL_ID.sub(" ", source)))
    assert found_in(shown) == []


@pytest.mark.parametrize("stem", list(PICTURES))
def test_legend_names_only_what_the_picture_draws(stem):
    source = PICTURES[stem].source
    colours = legend_colours(source)
    assert colours, stem
    rest = without_legend(source)
    for colour in colours:
        assert colour in rest, f"{stem}: the legend shows {colour}, the picture never draws it"
    legend = nodes(source)["legend"]
    lang = stem.rsplit("_", 1)[1]
    named = [
        s
        for s, label in LEGEND_LABELS.items()
        if f">{escape(getattr(label, lang), quote=False)}<" in legend
    ]
    assert len(named) == legend.count('<TD ALIGN="LEFT">'), "every entry names a style"
    for style in named:
        assert key_colour(style) in rest, f"{stem}: the legend names {style}, never drawn"


def test_scenario_legend_promises_green_only_where_green_is_drawn():
    source = scenario_diagram(SCENARIOS[0], "zh").source
    assert GREEN in legend_colours(source) and GREEN in without_legend(source)
    assert GREEN not in legend_colours(actor_diagram("merchant", "zh").source)


# -- scenarios and case paths -------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.key for s in SCENARIOS])
def test_scenario_draws_its_recommended_and_risky_paths_only(scenario):
    source = scenario_diagram(scenario, "zh").source
    drawn = edges(source)
    green = {(a, b) for a, b, attrs in drawn if GREEN in attrs}
    red = {(a, b) for a, b, attrs in drawn if RED in attrs}
    assert ("requested", "negotiating") in green
    assert ("requested", "rejected") in red and ("requested", "rejected") not in green
    assert green | red == {(a, b) for a, b, _ in drawn}, "nothing but the two kinds of path"
    shown = {name for name in nodes(source) if name in machine_graph().states}
    assert shown == {state for pair in green | red for state in pair}


def test_case_diagram_numbers_the_steps_of_a_replayed_history():
    target = MemoryTarget()
    replay_file(REPO / "tests/histories/reason_agreed_new_plan_to_return.jsonl", target)
    case = target.case
    source = case_diagram(case.events, case.path, case.case_id, "en").source
    numbered = {(a, b): attrs for a, b, attrs in edges(source) if 'label="#' in attrs}
    assert 'label="#1 merchant: negotiate' in numbered[("requested", "negotiating")]
    assert 'label="#3 ' in numbered[("buyer_accepted", "awaiting_return")]
    assert len(numbered) == len(steps(case.events, case.path)) == 6


def test_steps_follow_transient_states():
    target = MemoryTarget()
    replay_file(REPO / "tests/histories/idempotent_retries.jsonl", target)
    assert steps(target.case.events, target.case.path) == [
        ("requested", "refunding", "agree"),
        ("refunding", "refund_failed", "refund_failed"),
    ]


def test_every_model_arrow_matches_a_current_machine_edge():
    assert {a.step for a in draw_model().arrows} == {(e.source, e.target, e.event) for e in CURRENT}


@pytest.mark.render
@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("fmt", ["svg", "png", "pdf", "dot"])
def test_render_formats(tmp_path, fmt):
    [written] = write(machine_diagram("zh"), tmp_path, "m", [fmt])
    data = written.read_bytes()
    assert len(data) > 1000
    magic = {"svg": b"<svg", "png": b"\x89PNG", "pdf": b"%PDF", "dot": b"digraph"}[fmt]
    assert magic in data[:400]
