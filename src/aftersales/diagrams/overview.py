"""The whole machine on one page: its phases, the states in each, and the ways out of each.

A phase is drawn as a table: its states (coloured by whose turn it is), then one row per way out
of the phase, saying who does what and where it leads; the arrow leaves from that row. A move
inside a phase (the buyer answering a negotiation) is left to the detailed pictures of each
party, so the overview stays a picture a trainer can follow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import graphviz

from . import words
from .draw import draw_node, risk_line
from .labels import PHASE_LABELS, PICTURE_LABELS
from .model import Arrow, DrawModel, Fold, Node, draw_model
from .styles import EDGE_STYLES, SMALL, Canvas, html, node_style
from .words import Lang, text

OUTCOME = "outcome"
"""The phase of the final states, drawn one by one: which outcome a move reaches matters."""

ROWS = (("request", "legend"), ("negotiation", "return"), ("dispute", "refund"))
"""Phases side by side, so the picture keeps about the shape of a page instead of one tall
column. Layout only: the machine decides what is drawn."""

COLUMNS = {"negotiation": "left", "dispute": "left", "return": "right", "refund": "right"}
"""Phases kept one above the other (Graphviz ``group``), so the rows stay two tables wide."""

TABLE = '<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" COLOR="#90a4ae">'


@dataclass
class PhaseArrow:
    """The arrows from one phase to one phase (or final state), drawn as one."""

    tail: str
    head: str
    risky: bool = False
    lines: dict[str, str] = field(default_factory=dict)
    """Label line -> the named style it is written in."""

    def styles(self) -> tuple[str, ...]:
        """One party's colour if one party acts, else the mixed style; the risk on top."""
        kinds = {style for style in self.lines.values() if style != "risk"}
        base = kinds.pop() if len(kinds) == 1 else "mixed"
        return (base, "risk") if self.risky else (base,)


def _line(arrow: Arrow, lang: Lang) -> tuple[str, str]:
    conditions = words.guards(arrow.routes, arrow.fallback, lang)
    # No timer phrase: the row of the state the timer runs in already shows it.
    if arrow.role is None:  # resolved at once: name the state it passes through
        return words.aside(words.state(arrow.source, lang), conditions, lang), "instant"
    return words.aside(words.who(arrow.role, arrow.event, lang), conditions, lang), arrow.role


def phase_arrows(model: DrawModel, lang: Lang) -> list[PhaseArrow]:
    """Every arrow that leaves its phase, grouped by the phases it joins; a risky rejection
    keeps an arrow of its own, so its warning cannot be missed."""
    found: dict[tuple[str, str, bool], PhaseArrow] = {}
    for arrow in model.unfolded():
        source, target = model.node(arrow.source), model.node(arrow.target)
        if source.phase == target.phase:
            continue
        tail = f"phase_{source.phase}"
        head = target.id if target.phase == OUTCOME else f"phase_{target.phase}"
        risky = arrow.risk is not None
        move = found.setdefault((tail, head, risky), PhaseArrow(tail, head, risky))
        line, style = _line(arrow, lang)
        move.lines.setdefault(line, style)
        if arrow.risk:
            move.lines.setdefault(risk_line(arrow.risk, lang), "risk")
    return list(found.values())


def _state_row(canvas: Canvas, node: Node) -> str:
    fill = canvas.use(node_style(node.actor, node.final))["fillcolor"]
    name = f"<B>{html(words.state(node.id, canvas.lang))}</B> " + SMALL.format(node.id)
    if node.timer:
        name += f'<BR/><FONT POINT-SIZE="11">{html(words.timer(node.timer, canvas.lang))}</FONT>'
    return f'<TR><TD BGCOLOR="{fill}">{name}</TD></TR>'


def _exit_row(canvas: Canvas, index: int, lines: Sequence[tuple[str, str]]) -> str:
    parts = []
    for line, style in lines:
        canvas.use(style)  # the text colour says who acts, so the legend must name it
        parts.append(f'<FONT COLOR="{EDGE_STYLES[style]["fontcolor"]}">{html(line)}</FONT>')
    cell = f'<TD ALIGN="LEFT" BALIGN="LEFT" PORT="x{index}">{"<BR/>".join(parts)}</TD>'
    return f"<TR>{cell}</TR>"


def _table(canvas: Canvas, title: str, rows: Sequence[str]) -> str:
    head = f'<TR><TD BGCOLOR="#eceff1"><B>{html(title)}</B></TD></TR>'
    return f"<{TABLE}{head}{''.join(rows)}</TABLE>>"


def _draw_phase(canvas: Canvas, phase: str, members: list[Node], exits: list[PhaseArrow]) -> None:
    lang, heads = canvas.lang, _heads(canvas.lang)
    rows = [_state_row(canvas, node) for node in members]
    for index, move in enumerate(exits):
        lines = list(move.lines.items())
        last = max(i for i, (_, style) in enumerate(lines) if style != "risk")
        lines[last] = (f"{lines[last][0]} → {heads[move.head]}", lines[last][1])
        rows.append(_exit_row(canvas, index, lines))
    name = f"phase_{phase}"
    label = _table(canvas, text(PHASE_LABELS[phase], lang), rows)
    canvas.node(name, label, shape="plaintext", style="", group=COLUMNS.get(phase, phase))
    for index, move in enumerate(exits):
        canvas.edge(f"{name}:x{index}", move.head, "", *move.styles())


def _draw_folds(canvas: Canvas, folds: Sequence[Fold]) -> None:
    lang, heads = canvas.lang, _heads(canvas.lang)
    rows = []
    for index, fold in enumerate(folds):
        lines = [(f"{words.who(fold.role, fold.event, lang)} → {heads[fold.target]}", fold.role)]
        if fold.missing:  # one exception a line: the row stays as narrow as the others
            lines.append((text(PICTURE_LABELS["except"], lang).format(""), fold.role))
            lines += [("  " + words.state(state, lang), fold.role) for state in fold.missing]
        rows.append(_exit_row(canvas, index, lines))
    title = text(PICTURE_LABELS["any_open"], lang)
    canvas.node("any_open", _table(canvas, title, rows), shape="plaintext", style="")
    for index, fold in enumerate(folds):
        # Beside the outcomes, not above them: these arrows must not add a rank of their own.
        canvas.edge(f"any_open:x{index}", fold.target, "", fold.role, "anytime", constraint="false")


def _heads(lang: Lang) -> dict[str, str]:
    found = {f"phase_{phase}": text(label, lang) for phase, label in PHASE_LABELS.items()}
    return found | {node.id: words.state(node.id, lang) for node in draw_model().nodes}


def overview_diagram(lang: Lang = "zh") -> graphviz.Digraph:
    """The machine by phase (request, negotiation, return, refund, dispute, outcome)."""
    model = draw_model()
    canvas = Canvas(f"overview_{lang}", text(PICTURE_LABELS["overview_title"], lang), lang)
    canvas.dot.attr(nodesep="0.3", ranksep="0.45")
    found = phase_arrows(model, lang)
    for phase in PHASE_LABELS:
        if phase != OUTCOME:
            members = [node for node in model.nodes if node.phase == phase]
            exits = [move for move in found if move.tail == f"phase_{phase}"]
            _draw_phase(canvas, phase, members, exits)
    _draw_folds(canvas, model.folds)
    finals = [node for node in model.nodes if node.phase == OUTCOME]
    for node in finals:
        draw_node(canvas, node)
    _rank(canvas, "sink", ["any_open", *(node.id for node in finals)])
    for row in ROWS:
        _rank(canvas, "same", [p if p == "legend" else f"phase_{p}" for p in row])
    return canvas.finish()


def _rank(canvas: Canvas, rank: str, names: Sequence[str]) -> None:
    with canvas.dot.subgraph() as group:
        group.attr(rank=rank)
        for name in names:
            group.node(name)
