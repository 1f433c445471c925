"""Draw the machine's detailed views with ``graphviz.Digraph``: what each party can do, the paths
of a scenario, and any case's path. The overview by phase is in :mod:`.overview`.

Every label is looked up through :mod:`.words`; the state id stands small under its label for
the developers who read the same picture.
"""

from __future__ import annotations

import shutil
import subprocess
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import graphviz

from ..extras import SystemWarning, ToolMissing
from ..workflow.record import EventRecord
from ..workflow.vocabulary import PICTURE_LABELS, RISK_LABELS, ROLE_LABELS
from . import words
from .model import Arrow, DrawModel, Fold, Node, Step, draw_model, steps
from .styles import NL, SMALL, Canvas, html, node_style
from .words import Lang, text

__all__ = [
    "FORMATS",
    "Lang",
    "actor_diagram",
    "case_diagram",
    "check_system",
    "has_cjk_font",
    "highlight_diagram",
    "machine_diagram",
    "render_all",
    "write",
]


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


def machine_diagram(lang: Lang = "zh") -> graphviz.Digraph:
    """The whole machine at a glance: its phases, the states in each, and the moves between
    phases (see :func:`aftersales.diagrams.overview.overview_diagram`)."""
    from .overview import overview_diagram  # here, not above: the overview draws with this module

    return overview_diagram(lang)


RANKDIR = {"system": "TB"}
"""Layout only: most parties act from a few states into others, best read left to right; the
system's expiries chain state after state, which reads (and prints) better top to bottom."""


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
    """One party's part of the machine: only what ``role`` can do, from where, and to what.

    An event the party can send from most open states is drawn once, from "any open state".
    """
    model = draw_model()
    arrows = model.unfolded(actor_arrows(model, role))
    folds = [fold for fold in model.folds if fold.role == role]
    shown = {s for a in arrows for s in (a.source, a.target)} | {f.target for f in folds}
    title = text(PICTURE_LABELS["actor_title"], lang).format(text(ROLE_LABELS[role], lang))
    canvas = Canvas(f"actor_{role}_{lang}", title, lang, rankdir=RANKDIR.get(role, "LR"))
    canvas.dot.attr(ranksep="0.3", nodesep="0.2")
    draw_nodes(canvas, (node for node in model.nodes if node.id in shown))
    draw_arrows(canvas, arrows)
    for fold in folds:
        draw_fold(canvas, fold)
    return canvas.finish()


def highlight_diagram(
    name: str,
    title: str,
    recommended: Sequence[Sequence[Step]],
    risky: Sequence[Sequence[Step]] = (),
    lang: Lang = "zh",
    numbered: bool = False,
) -> graphviz.Digraph:
    """Only the states and steps of the given paths: recommended ones green, risky ones red.

    A step the recommended paths take is never drawn as risky. With ``numbered`` the steps of
    the first recommended path carry their order (``#1``, ``#2``...).
    """
    model = draw_model()
    good = list(dict.fromkeys(step for path in recommended for step in path))
    bad = [s for s in dict.fromkeys(s for p in risky for s in p) if s not in set(good)]
    visited = {state for step in good + bad for state in step[:2]}
    canvas = Canvas(name, title, lang)
    draw_nodes(canvas, (node for node in model.nodes if node.id in visited))
    arrows = {arrow.step: arrow for arrow in model.arrows}
    order = _numbers(recommended[0]) if numbered and recommended else {}
    for style, chosen in (("recommended", good), ("risky", bad)):
        for step in chosen:
            lines = _step_lines(step, arrows.get(step), lang, risky=style == "risky")
            if step in order:
                lines[0] = f"{order[step]} {lines[0]}"
            canvas.edge(step[0], step[1], NL.join(lines), style)
    return canvas.finish()


def _step_lines(step: Step, arrow: Arrow | None, lang: Lang, risky: bool) -> list[str]:
    if arrow is None:  # a step of an earlier contract or of platform bookkeeping
        return [words.event(step[2], lang)]
    lines = arrow_lines(arrow, lang, path=True)
    if risky and arrow.risk:
        lines.append(risk_line(arrow.risk, lang))
    return lines


def _numbers(path: Sequence[Step]) -> dict[Step, str]:
    numbers: dict[Step, list[str]] = {}
    for index, step in enumerate(path, start=1):
        numbers.setdefault(step, []).append(str(index))
    return {step: "#" + ",".join(found) for step, found in numbers.items()}


def case_diagram(
    events: Sequence[EventRecord], path: Sequence[str], case_id: str, lang: Lang = "zh"
) -> graphviz.Digraph:
    """One case's actual path, its steps numbered in order."""
    title = text(PICTURE_LABELS["case_title"], lang).format(case_id)
    return highlight_diagram(
        f"case_{case_id}_{lang}", title, [steps(events, path)], lang=lang, numbered=True
    )


FORMATS = ("svg", "png", "pdf", "dot")


def check_system(formats: Iterable[str], lang: str | None = None) -> None:
    """Before anything is written: Graphviz's ``dot`` must be there for any format but DOT
    (:class:`ToolMissing` otherwise), and Chinese labels want a CJK font (a
    :class:`SystemWarning` when fontconfig lists none)."""
    formats = tuple(formats)
    if any(fmt != "dot" for fmt in formats) and shutil.which("dot") is None:
        raise ToolMissing(
            "Graphviz's dot program is not installed",
            "install the graphviz package, for example: apt-get install graphviz",
        )
    if lang != "en" and any(fmt != "dot" for fmt in formats) and not has_cjk_font():
        warnings.warn(
            "no CJK font found: the Chinese labels will render as boxes "
            "(install one, for example: apt-get install fonts-noto-cjk)",
            SystemWarning,
            stacklevel=3,
        )


def has_cjk_font() -> bool:
    """Whether fontconfig knows a font for Chinese (true when it cannot be asked)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return True  # no fontconfig tools to ask; Graphviz may still find a font
    listed = subprocess.run(
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False
    )
    return bool(listed.stdout.strip())


def write(
    dot: graphviz.Digraph, out: Path, stem: str, formats: Iterable[str], *, lang: str | None = None
) -> list[Path]:
    """Write ``dot`` as ``out/stem.<format>`` for each format; DOT needs no Graphviz binary.
    ``lang`` ``en`` says the picture holds no Chinese (no font check)."""
    formats = tuple(formats)
    check_system(formats, lang)
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
    """The committed training set: every picture in both languages, and the page."""
    from .page import training_diagrams, write_page

    formats = tuple(formats)
    written = []  # the first write checks for dot before anything is written
    for stem, dot in training_diagrams():
        written += write(dot, out, stem, formats)
    written.append(write_page(out))
    return written
