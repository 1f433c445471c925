"""The drawing primitives every picture shares: a state, an arrow and its label lines, a bundle
of alike arrows, a fold from "any open state". Every label is looked up through :mod:`.words`;
the state id stands small under its label for the developers who read the same picture.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from . import words
from .labels import PICTURE_LABELS, RISK_LABELS
from .model import Arrow, Fold, Node
from .styles import NL, SMALL, Canvas, html, node_style
from .words import Lang, text


def node_label(node: Node, lang: Lang) -> str:
    """A state's label: its name, its id under it in small grey type, then the timer it starts.

    Stacked, not side by side: a picture drawn left to right must stay narrow.
    """
    lines = [f"<B>{html(words.state(node.id, lang))}</B>", SMALL.format(node.id)]
    if node.timer:
        lines.append(f'<FONT POINT-SIZE="11">{html(words.timer(node.timer, lang))}</FONT>')
    return "<" + "<BR/>".join(lines) + ">"


def draw_node(canvas: Canvas, node: Node) -> None:
    """One state in the style of whose turn it is."""
    canvas.node(node.id, node_label(node, canvas.lang), node_style(node.actor, node.final))


def arrow_lines(arrow: Arrow, lang: Lang, path: bool = False) -> list[str]:
    """An arrow's label lines: the event, its conditions, its timer.

    On a path (``path``) the line names who acted, and only the conditions that chose where the
    event led are shown: the refusing guards evidently held, since the step was taken.
    """
    name = words.who(arrow.role, arrow.event, lang) if path and arrow.role else None
    lines = [name or words.event(arrow.event, lang)]
    conditions = words.guards(arrow.routes if path else arrow.guards, arrow.fallback, lang)
    if conditions:  # a line each: labels grow down, where a page has room, not across
        lines.append(text(PICTURE_LABELS["if"], lang).format(conditions[0]))
        lines += conditions[1:]
    if arrow.timer:
        lines.append(words.timer(arrow.timer, lang))
    return lines


def risk_line(rule: str, lang: Lang) -> str:
    """The warning an arrow carries for a liability rule."""
    return "⚠ " + text(RISK_LABELS[rule], lang)


def arrow_styles(arrow: Arrow) -> tuple[str, ...]:
    """The named styles of an arrow: who acts (or how it happens), then any risk on top."""
    base = "instant" if arrow.role is None else arrow.role
    return (base, "risk") if arrow.risk else (base,)


def draw_arrow(canvas: Canvas, arrow: Arrow, source: str | None = None) -> None:
    """One transition with its label and styles (from ``source`` instead, for a bundle)."""
    lines = arrow_lines(arrow, canvas.lang)
    if arrow.risk:
        lines.append(risk_line(arrow.risk, canvas.lang))
    canvas.edge(source or arrow.source, arrow.target, NL.join(lines), *arrow_styles(arrow))


def bundles(arrows: Sequence[Arrow]) -> list[list[Arrow]]:
    """Arrows that differ only in their source, grouped: the same move from several states."""
    found: dict[tuple[object, ...], list[Arrow]] = {}
    for arrow in arrows:
        # A loop stays on its own state, so its source is part of what makes it alike.
        loop = arrow.source if arrow.source == arrow.target else None
        alike = (loop, arrow.event, arrow.target, arrow.guards, arrow.fallback, arrow.timer)
        found.setdefault((*alike, arrow.risk), []).append(arrow)
    return list(found.values())


def draw_arrows(canvas: Canvas, arrows: Sequence[Arrow]) -> None:
    """Transitions; the same move from several states is labelled once, after a junction
    where its arrows meet, so a picture does not repeat one label four times."""
    for index, group in enumerate(bundles(arrows)):
        if len(group) == 1:
            draw_arrow(canvas, group[0])
            continue
        junction = f"join{index}"
        styles = arrow_styles(group[0])
        colour = canvas.use(styles[-1])["color"]
        canvas.node(junction, "", shape="point", width="0.1", color=colour, fillcolor=colour)
        for arrow in group:
            canvas.edge(arrow.source, junction, "", *styles, arrowhead="none")
        draw_arrow(canvas, group[0], source=junction)


def draw_fold(canvas: Canvas, fold: Fold) -> None:
    """An event possible from most open states: one arrow from "any open state"."""
    lang = canvas.lang
    source = "any_open"  # one node for every fold: they all start from the same states
    canvas.node(source, text(PICTURE_LABELS["any_open"], lang), shape="box", style="dotted")
    lines = [words.event(fold.event, lang)]
    if fold.missing:  # one exception a line, so the label stays narrow
        lines.append(text(PICTURE_LABELS["except"], lang).format(""))
        lines += [words.state(state, lang) for state in fold.missing]
    canvas.edge(source, fold.target, NL.join(lines), fold.role, "anytime")


def draw_nodes(canvas: Canvas, nodes: Iterable[Node]) -> None:
    """States, the final ones grouped on one rank."""
    nodes = list(nodes)
    with canvas.cluster("final", text(PICTURE_LABELS["final_group"], canvas.lang)):
        for node in nodes:
            if node.final:
                draw_node(canvas, node)
    for node in nodes:
        if not node.final:
            draw_node(canvas, node)
