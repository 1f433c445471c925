"""Named styles and the canvas that applies them.

Every colour a picture uses comes from a named style here, and the canvas remembers which styles
it applied, so a picture's legend lists exactly what the picture draws and nothing it does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from html import escape

import graphviz

from .labels import LEGEND_LABELS, PICTURE_LABELS
from .words import Lang, text

FONT = "Noto Sans CJK SC"
NL = "\\n"  # DOT's own line break, kept as an escape so each edge stays on one line

EDGE_STYLES: dict[str, dict[str, str]] = {
    "merchant": {"color": "#d84315", "fontcolor": "#bf360c"},
    "buyer": {"color": "#1565c0", "fontcolor": "#0d47a1"},
    "platform": {"color": "#6a1b9a", "fontcolor": "#4a148c"},
    "system": {"color": "#546e7a", "fontcolor": "#37474f", "style": "dashed"},
    "mixed": {"color": "#212121", "fontcolor": "#212121"},
    "instant": {"color": "#9e9e9e", "fontcolor": "#616161", "style": "dotted"},
    "anytime": {"color": "#00897b", "fontcolor": "#00695c", "style": "dotted", "penwidth": "2"},
    "risk": {"color": "#c62828", "fontcolor": "#c62828", "penwidth": "2.5"},
    "recommended": {"color": "#2e7d32", "fontcolor": "#1b5e20", "penwidth": "3"},
    "risky": {"color": "#c62828", "fontcolor": "#b71c1c", "penwidth": "3"},
}
"""Arrow styles: who acts, how it happens, and what the merchant risks."""

NODE_STYLES: dict[str, dict[str, str]] = {
    "wait_merchant": {"fillcolor": "#fde3c8"},
    "wait_buyer": {"fillcolor": "#d6e8fb"},
    "wait_platform": {"fillcolor": "#e6dcf5"},
    "wait_system": {"fillcolor": "#e0e0e0"},
    "transient": {"fillcolor": "#fffde7", "style": "dashed,rounded,filled"},
    "final": {"fillcolor": "#c8e6c9", "peripheries": "2"},
}
"""State styles: whose turn it is, passed through at once, or final."""

SMALL = '<FONT POINT-SIZE="9" COLOR="#757575">{}</FONT>'
"""A state id beside its label: small and grey, for the developers reading the same picture."""

LINE_SAMPLE = {"dashed": "╍╍╍", "dotted": "┈┈┈"}


def key_colour(style: str) -> str:
    """The colour that stands for ``style`` in a legend."""
    if style in NODE_STYLES:
        return NODE_STYLES[style]["fillcolor"]
    return EDGE_STYLES[style]["color"]


def node_style(actor: str | None, final: bool) -> str:
    """The named style of a state: final, passed through at once, or whose turn it is."""
    if final:
        return "final"
    return f"wait_{actor}" if actor else "transient"


def html(label: str) -> str:
    """Text made safe inside a Graphviz HTML-like label."""
    return escape(label, quote=False)


class Canvas:
    """A ``graphviz.Digraph`` that applies named styles and draws the legend of those used."""

    def __init__(self, name: str, title: str, lang: Lang, rankdir: str = "TB") -> None:
        self.lang = lang
        self.used: list[str] = []
        self.dot = graphviz.Digraph(name)
        self.dot.attr(
            rankdir=rankdir, label=title, labelloc="t", fontsize="22", fontname=FONT, pad="0.2"
        )
        self.dot.attr("node", fontname=FONT, fontsize="13", shape="box", style="filled,rounded")
        self.dot.attr("edge", fontname=FONT, fontsize="12")

    @contextmanager
    def cluster(self, name: str, label: str, style: str = "dashed") -> Iterator[None]:
        """Draw into a labelled cluster (a framed group) while the block runs."""
        outer = self.dot
        with outer.subgraph(name=f"cluster_{name}") as inner:
            inner.attr(label=label, style=style, fontsize="14")
            self.dot = inner
            try:
                yield
            finally:
                self.dot = outer

    def use(self, style: str) -> dict[str, str]:
        """The attributes of ``style``, remembered for the legend."""
        if style not in self.used:
            self.used.append(style)
        return dict(NODE_STYLES.get(style) or EDGE_STYLES[style])

    def node(self, name: str, label: str, named: str | None = None, **extra: str) -> None:
        """A node in the ``named`` style (or unstyled), with any extra Graphviz attributes."""
        attrs = self.use(named) if named else {}
        self.dot.node(name, label=label, **{**attrs, **extra})

    def edge(self, tail: str, head: str, label: str, *styles: str, **extra: str) -> None:
        """An arrow with its styles applied in order (a later one wins)."""
        attrs: dict[str, str] = {}
        for style in styles:
            attrs.update(self.use(style))
        self.dot.edge(tail, head, label=label, **{**attrs, **extra})

    def finish(self) -> graphviz.Digraph:
        """The picture with its legend: the styles it used, arrows left and states right."""
        self.dot.node("legend", label=self.legend(), shape="plaintext", style="")
        return self.dot

    def legend(self) -> str:
        """The legend as an HTML-like table, in the fixed order of the label table."""
        used = [style for style in LEGEND_LABELS if style in self.used]
        arrows = [self._entry(s) for s in used if s in EDGE_STYLES]
        states = [self._entry(s) for s in used if s in NODE_STYLES]
        blank = "<TD></TD><TD></TD>"
        rows = [
            f"<TR>{arrows[i] if i < len(arrows) else blank}"
            f"{states[i] if i < len(states) else blank}</TR>"
            for i in range(max(len(arrows), len(states)))
        ]
        heading = html(text(PICTURE_LABELS["legend"], self.lang))
        # The frame is named, not in hex: every hex colour in a legend stands for a style.
        table = '<TABLE BORDER="1" COLOR="gray74" CELLBORDER="0" CELLSPACING="2">'
        return f'<{table}<TR><TD COLSPAN="4"><B>{heading}</B></TD></TR>{"".join(rows)}</TABLE>>'

    def _entry(self, style: str) -> str:
        words = html(text(LEGEND_LABELS[style], self.lang))
        colour = key_colour(style)
        if style in NODE_STYLES:
            sample = f'<TD BGCOLOR="{colour}" BORDER="1" WIDTH="30"> </TD>'
        else:
            line = LINE_SAMPLE.get(EDGE_STYLES[style].get("style", ""), "━━━")
            sample = f'<TD><FONT COLOR="{colour}">{line}</FONT></TD>'
        return f'{sample}<TD ALIGN="LEFT">{words}</TD>'
