"""Training diagrams drawn from the machine itself with graphviz; reads only the workflow."""

from ..extras import require

require("aftersales.diagrams", "diagrams", "graphviz")

from .render import FORMATS, case_diagram, highlight_diagram, machine_diagram, render_all

__all__ = ["FORMATS", "case_diagram", "highlight_diagram", "machine_diagram", "render_all"]
