"""Draw the machine with ``graphviz.Digraph``: the whole machine, each seed scenario, and any
case's path. Styles are named (who acts, timers, risk, highlight) and applied from the model."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import graphviz

from ..workflow.record import EventRecord
from ..workflow.vocabulary import ROLE_LABELS, Label
from .model import Arrow, DrawModel, Node, Step, draw_model, event_label, steps

Lang = Literal["zh", "en"]
FONT = "Noto Sans CJK SC"
NL = "\\n"  # DOT's own line break, kept as an escape so each edge stays on one line

ACTOR_FILL = {
    "merchant": "#fde3c8",
    "buyer": "#d6e8fb",
    "platform": "#e6dcf5",
    "system": "#ececec",
}
FINAL_FILL = {
    "cancelled": "#f2f2f2",
    "refunded": "#c9ebcf",
    "partially_refunded": "#def3d4",
    "closed": "#d9d9d9",
}
RISK_COLOR = "#c62828"
GREY = "#bbbbbb"
HIGHLIGHT = "#1b5e20"


def _text(label: Label, lang: Lang) -> str:
    return label.zh if lang == "zh" else label.en


def _node_attrs(node: Node, lang: Lang) -> dict[str, str]:
    lines = [_text(node.label, lang), node.id]
    if node.actor:
        role = ROLE_LABELS[node.actor]
        lines.append(("下一步:" + role.zh) if lang == "zh" else f"next: {role.en}")
    if node.timer:
        lines.append(("计时 " if lang == "zh" else "timer ") + node.timer)
    attrs = {
        "label": NL.join(lines),
        "style": "filled,rounded",
        "shape": "box",
        "fillcolor": ACTOR_FILL.get(node.actor or "", "white"),
    }
    if node.final:
        attrs.update(peripheries="2", fillcolor=FINAL_FILL[node.id])
    if node.transient:
        attrs.update(style="dashed,rounded")
    return attrs


def _edge_attrs(arrow: Arrow, lang: Lang) -> dict[str, str]:
    label = _text(event_label(arrow.event), lang)
    if arrow.role:
        role = ROLE_LABELS[arrow.role]
        label += f" ({_text(role, lang)})"
    if arrow.timer:
        label += NL + arrow.timer.split(" ", 1)[1]
    if arrow.guards:
        label += NL + "[" + ", ".join(arrow.guards) + "]"
    attrs = {"label": label}
    if arrow.timer:
        attrs["style"] = "dashed"
    if arrow.risk is not None:
        attrs.update(color=RISK_COLOR, fontcolor=RISK_COLOR, penwidth="2")
        attrs["label"] += NL + "⚠ " + _text(arrow.risk, lang)
    return attrs


def _graph(name: str, title: str) -> graphviz.Digraph:
    dot = graphviz.Digraph(name)
    dot.attr(rankdir="TB", label=title, labelloc="t", fontsize="18", fontname=FONT)
    dot.attr("node", fontname=FONT, fontsize="11")
    dot.attr("edge", fontname=FONT, fontsize="9")
    return dot


def _add_nodes(dot: graphviz.Digraph, nodes: Sequence[Node], lang: Lang, dim: set[str]) -> None:
    with dot.subgraph(name="cluster_final") as final:
        final.attr(label="终态" if lang == "zh" else "final states", style="dashed", rank="same")
        for node in nodes:
            if node.final:
                final.node(node.id, **_dimmed(_node_attrs(node, lang), node.id in dim))
    for node in nodes:
        if not node.final:
            dot.node(node.id, **_dimmed(_node_attrs(node, lang), node.id in dim))


def _dimmed(attrs: dict[str, str], dim: bool) -> dict[str, str]:
    if dim:
        return {**attrs, "color": GREY, "fontcolor": GREY, "fillcolor": "white"}
    return attrs


def machine_diagram(lang: Lang = "zh") -> graphviz.Digraph:
    """The whole machine: every state and transition, risky ones in red."""
    model = draw_model()
    title = "售后单状态机" if lang == "zh" else "After-sales case machine"
    dot = _graph(f"machine_{lang}", title)
    _add_nodes(dot, model.nodes, lang, set())
    for arrow in model.arrows:
        dot.edge(arrow.source, arrow.target, **_edge_attrs(arrow, lang))
    return dot


def actor_arrows(model: DrawModel, role: str) -> list[Arrow]:
    """The transitions ``role`` sets off, and the eventless ones that resolve where they lead."""
    chosen = [arrow for arrow in model.arrows if arrow.role == role]
    reached = {arrow.target for arrow in chosen}
    transient = {node.id for node in model.nodes if node.transient}
    for arrow in model.arrows:
        if arrow.event is None and arrow.source in reached & transient:
            chosen.append(arrow)
    return chosen


def actor_diagram(role: str, lang: Lang = "zh") -> graphviz.Digraph:
    """One party's part of the machine: only what ``role`` can do, from where, and to what."""
    model = draw_model()
    arrows = actor_arrows(model, role)
    states = {state for arrow in arrows for state in (arrow.source, arrow.target)}
    who = ROLE_LABELS[role]
    title = f"{who.zh}可以做什么" if lang == "zh" else f"What the {who.en} can do"
    dot = _graph(f"actor_{role}_{lang}", title)
    dot.attr(rankdir="LR")  # where the party acts on the left, what follows on the right
    _add_nodes(dot, [node for node in model.nodes if node.id in states], lang, set())
    for arrow in arrows:
        dot.edge(arrow.source, arrow.target, **_edge_attrs(arrow, lang))
    return dot


def highlight_diagram(
    name: str,
    title: str,
    recommended: Sequence[Sequence[Step]],
    risky: Sequence[Sequence[Step]] = (),
    lang: Lang = "zh",
    numbered: bool = False,
) -> graphviz.Digraph:
    """The machine with given paths drawn bold (recommended) or red (risky), the rest grey."""
    model = draw_model()
    good = {step for path in recommended for step in path}
    bad = {step for path in risky for step in path} - good
    visited = {state for step in good | bad for state in step[:2]}
    dot = _graph(name, title)
    _add_nodes(dot, model.nodes, lang, {n.id for n in model.nodes} - visited)
    order = _numbers(recommended[0]) if numbered and recommended else {}
    for arrow in model.arrows:
        attrs = _edge_attrs(arrow, lang)
        if arrow.step in good:
            attrs.update(color=HIGHLIGHT, fontcolor=HIGHLIGHT, penwidth="3")
        elif arrow.step in bad:
            attrs.update(color=RISK_COLOR, fontcolor=RISK_COLOR, penwidth="3")
        else:
            attrs.update(color=GREY, fontcolor=GREY, penwidth="1")
            attrs["label"] = ""
        if arrow.step in order:
            attrs["label"] = order[arrow.step] + " " + attrs["label"]
        dot.edge(arrow.source, arrow.target, **attrs)
    return dot


def _numbers(path: Sequence[Step]) -> dict[Step, str]:
    numbers: dict[Step, list[str]] = {}
    for index, step in enumerate(path, start=1):
        numbers.setdefault(step, []).append(str(index))
    return {step: "#" + ",".join(found) for step, found in numbers.items()}


def case_diagram(
    events: Sequence[EventRecord], path: Sequence[str], case_id: str, lang: Lang = "zh"
) -> graphviz.Digraph:
    """One case's actual path over the machine, its steps numbered in order."""
    title = f"售后单 {case_id} 的实际路径" if lang == "zh" else f"Path of case {case_id}"
    return highlight_diagram(
        f"case_{case_id}_{lang}", title, [steps(events, path)], lang=lang, numbered=True
    )


FORMATS = ("svg", "png", "pdf", "dot")


def write(dot: graphviz.Digraph, out: Path, stem: str, formats: Iterable[str]) -> list[Path]:
    """Write ``dot`` as ``out/stem.<format>`` for each format; DOT needs no Graphviz binary."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        target = out / f"{stem}.{fmt}"
        if fmt == "dot":
            target.write_text(dot.source, encoding="utf-8")
        else:
            target.write_bytes(dot.pipe(format=fmt))
        written.append(target)
    return written


def render_all(out: Path, formats: Iterable[str] = ("dot", "svg")) -> list[Path]:
    """The committed training set: machine and scenarios in both languages, and the page."""
    from .page import training_diagrams, write_page

    formats = tuple(formats)
    written = []
    for stem, dot in training_diagrams():
        written += write(dot, out, stem, formats)
    written.append(write_page(out))
    return written
