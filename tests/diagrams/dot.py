"""Reading the DOT text of a picture back: edges (through junctions), nodes, the legend."""

from __future__ import annotations

import re
from html import unescape

EDGE = re.compile(r"^\s*(\w+)(?::(\w+))? -> (\w+)(?::\w+)? \[(.*)\]$", re.M)
NODE = re.compile(r"^\s*(\w+) \[label=(.*)\]$", re.M)
COLOUR = re.compile(r'(?:COLOR|BGCOLOR|color|fillcolor)="(#[0-9a-f]{6})"')
TAG = re.compile(r"<[^>]*>")


def edges(source: str) -> list[tuple[str, str, str]]:
    """(tail, head, attributes) of every edge, ports dropped."""
    return [(tail, head, attrs) for tail, _port, head, attrs in EDGE.findall(source)]


def ported(source: str) -> list[tuple[str, str | None, str, str]]:
    """(tail, tail port, head, attributes) of every edge."""
    return [(tail, port or None, head, attrs) for tail, port, head, attrs in EDGE.findall(source)]


def moves(source: str) -> list[tuple[str, str, str]]:
    """Edges with each junction resolved: (source, target, attributes of the labelled part)."""
    drawn = edges(source)
    into: dict[str, list[str]] = {}
    for tail, head, _ in drawn:
        if head.startswith("join"):
            into.setdefault(head, []).append(tail)
    found = []
    for tail, head, attrs in drawn:
        if head.startswith("join"):
            continue
        for origin in into.get(tail, [tail]):
            found.append((origin, head, attrs))
    return found


def nodes(source: str) -> dict[str, str]:
    """Node name -> its label and attributes."""
    return dict(NODE.findall(source))


def legend_colours(source: str) -> set[str]:
    """The colours the legend shows."""
    return set(COLOUR.findall(nodes(source)["legend"]))


def without_legend(source: str) -> str:
    """The DOT text with the legend node left out."""
    return "\n".join(line for line in source.splitlines() if not line.strip().startswith("legend"))


def texts(source: str) -> list[str]:
    """Every label's text, plain: HTML-like labels stripped of their tags, escapes undone."""
    found = []
    pattern = r'label=(<.*?>)(?= \w+=|\]$)|label="((?:[^"\\]|\\.)*)"'
    for raw in re.findall(pattern, source, re.M):
        html, plain = raw
        text = TAG.sub(" ", html[1:-1]) if html else plain.replace("\\n", " ")
        found.append(unescape(text))
    return found
