"""Draw the machine's pictures with ``graphviz.Digraph`` and write them: the overview by phase
(:mod:`.overview`), what each party can do, the paths of a scenario, and any case's path.

The primitives they share are in :mod:`.draw`; the training page that holds the committed set
is :mod:`aftersales.diagrams.training`, which imports this module, never the reverse.
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
from ..workflow.vocabulary import ROLE_LABELS
from . import words
from .draw import arrow_lines, draw_arrows, draw_fold, draw_nodes, risk_line
from .labels import PICTURE_LABELS
from .model import Arrow, DrawModel, Step, draw_model, steps
from .overview import overview_diagram
from .styles import NL, Canvas
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
    "write",
]


def machine_diagram(lang: Lang = "zh") -> graphviz.Digraph:
    """The whole machine at a glance: its phases, the states in each, and the moves between
    phases (see :func:`aftersales.diagrams.overview.overview_diagram`)."""
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
